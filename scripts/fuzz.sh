#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time on the stable toolchain and reports
# executions, executions per second and crashes per target.
#
# libFuzzer (libfuzzer-sys) drives the targets. cargo-fuzz is used when installed
# (`cargo fuzz build -s none` works on stable); otherwise the script passes the same
# SanitizerCoverage flags itself, so nothing beyond a C++ compiler is needed.
# Corpora are seeded at run time from ../shared/corpus (workflows, expressions taken from them,
# `tags:` lines), the OpenAPI description's examples and the repository's fixtures; nothing of
# the shared corpus is copied into the repository. Crash inputs land in
# $FUZZ_WORK/artifacts/<target>/; add each as fixtures/fuzz/<target>/<name> (see
# tests/it/fuzz_regressions.rs) once it is fixed.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, every target)
# Exits 1 when any target crashed, 2 when the targets could not be built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared"
secs=${1:-60}
shift || true
target_dir="${CARGO_TARGET_DIR:-$root/target}/fuzz"
work=${FUZZ_WORK:-"$target_dir/work"}
triple=$(rustc -vV | sed -n 's/^host: //p')

targets=(yaml_lint expr dockerignore tag_rules github_decode ledger policy)
features=(--features gate)
[ $# -gt 0 ] && targets=("$@")

echo "== building fuzz targets (stable, libFuzzer, debug assertions on)" >&2
if cargo fuzz --version >/dev/null 2>&1; then
  (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo fuzz build -s none -O --debug-assertions \
    "${features[@]}" >&2) || exit 2
  bindir="$target_dir/$triple/release"
else
  flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
  flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
  flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
  flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
  # --target keeps the flags off build scripts and proc macros.
  RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" cargo build --release --quiet \
    --manifest-path "$root/fuzz/Cargo.toml" --target "$triple" "${features[@]}" >&2 || exit 2
  bindir="$target_dir/$triple/release"
fi

# Seeds, rebuilt on every run from the shared corpus (never committed).
seed() {
  local t=$1 dir="$work/seeds/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  case $t in
    yaml_lint)
      if [ -d "$shared/corpus" ]; then
        find "$shared/corpus" -type f \( -name '*.yml' -o -name '*.yaml' \) -size -64k -print0 |
          xargs -0 -I{} sh -c 'cp "$1" "$2/$(printf %s "$1" | sha1sum | cut -c1-16)"' _ {} "$dir"
      fi
      cp "$root"/fixtures/lint/*.yml "$dir"/ 2>/dev/null || true ;;
    expr)
      if [ -d "$shared/corpus" ]; then
        grep -rhoE '\$\{\{[^}]*\}\}' "$shared/corpus" --include='*.yml' --include='*.yaml' |
          sed -E 's/^\$\{\{ *//; s/ *\}\}$//' | sort -u | awk 'NR <= 4000' |
          split -l 1 -a 4 - "$dir/e"
      fi
      printf '%s' "github.event.pull_request.title" >"$dir/x-ctx"
      printf '%s' "format('{0}', fromJSON(needs.a.outputs.b)[0].c) && !cancelled()" >"$dir/x-fn" ;;
    dockerignore)
      find "$root/fixtures" -name '.dockerignore' -print0 |
        xargs -0 -I{} sh -c 'cp "$1" "$2/$(printf %s "$1" | sha1sum | cut -c1-16)"' _ {} "$dir"
      printf '# comment\n*.md\n!README.md\n**/node_modules\n/build/**/tmp\n[a-c]?.txt\n\\#x\n' >"$dir/x-all" ;;
    tag_rules)
      if [ -d "$shared/corpus" ]; then
        grep -rhoE 'type=[a-z]+[^"#]*' "$shared/corpus/workflows" --include='*.yml' |
          sed 's/[[:space:]]*$//' | sort -u | awk 'NR <= 2000' | split -l 1 -a 4 - "$dir/t"
      fi
      printf 'type=semver,pattern={{major}}.{{minor}}\ntype=ref,event=branch\ntype=sha,format=long\ntype=raw,value=latest,enable={{is_default_branch}}\ntype=match,pattern=v(.*),group=1\ntype=schedule,pattern={{date '"'"'YYYYMMDD'"'"' tz='"'"'Asia/Tokyo'"'"'}}\n\0latest=auto\nprefix=v-,onlatest=true\nsuffix=-alpine\n' >"$dir/x-all"
      printf 'type=pep440,pattern={{version}}\ntype=edge,branch=main\n' >"$dir/x-pep" ;;
    github_decode)
      if [ -f "$shared/github-api/openapi-subset.json" ]; then
        python3 - "$shared/github-api/openapi-subset.json" "$dir" <<'PY'
import json, sys, hashlib
spec, out = sys.argv[1], sys.argv[2]
seen = set()
def emit(v):
    text = json.dumps(v)
    if text in seen: return
    seen.add(text)
    open(f"{out}/{hashlib.sha1(text.encode()).hexdigest()[:16]}", "w").write(text)
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "example": emit(v)
            elif k == "examples" and isinstance(v, dict):
                for e in v.values():
                    if isinstance(e, dict) and "value" in e: emit(e["value"])
            walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(open(spec)))
PY
      fi ;;
    ledger)
      python3 - "$dir" <<'PY'
import json, sys
out = sys.argv[1]
def dep(i, env, payload):
    d = {"id": i, "sha": "0123456789abcdef0123456789abcdef01234567", "ref": "main",
         "environment": env, "description": "deploy", "transient_environment": False,
         "production_environment": env == "production", "created_at": "2026-01-02T03:04:05Z"}
    if payload: d["payload"] = {"image": "ghcr.io/o/app", "digest": "sha256:" + "a" * 64,
                                "tags": ["v1.0.0"], "run_url": "https://github.com/o/r/actions/runs/1"}
    return d
def st(i, state):
    return {"id": i, "state": state, "description": "ok", "environment_url": "https://x",
            "log_url": None, "created_at": "2026-01-02T03:04:06Z"}
ledgers = {
    "empty": {"version": 1, "next_id": 1, "deployments": []},
    "two": {"version": 1, "next_id": 6, "deployments": [
        {"deployment": dep(1, "staging", True), "statuses": [st(2, "in_progress"), st(3, "success")]},
        {"deployment": dep(4, "production", False), "statuses": [st(5, "failure")]}]},
    "newer": {"version": 2, "next_id": 1, "deployments": []},
}
for name, value in ledgers.items():
    open(f"{out}/{name}", "w").write(json.dumps(value))
PY
      ;;
    policy)
      find "$root" -path "$root/target" -prune -o -name '*.y*ml' -path '*polic*' -print0 2>/dev/null |
        xargs -0 -I{} cp {} "$dir"/ 2>/dev/null || true
      printf 'environments:\n  production:\n    from: staging\n' >"$dir/x-min" ;;
  esac
  find "$dir" -type f -empty -delete
}

failed=()
mkdir -p "$work"
summary="$work/summary.txt"
printf '%-14s %10s %12s %9s %8s %s\n' target seconds execs execs/s crashes corpus >"$summary"
for t in "${targets[@]}"; do
  seed "$t"
  corpus="$work/corpus/$t" artifacts="$work/artifacts/$t/"
  mkdir -p "$corpus" "$artifacts"
  log="$work/$t.log"
  echo "== $t: ${secs}s, $(ls "$work/seeds/$t" | wc -l) seeds" >&2
  set +e
  "$bindir/$t" "$corpus" "$work/seeds/$t" -max_total_time="$secs" -timeout=20 \
    -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 -artifact_prefix="$artifacts" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$rc" != 0 ]; then
    failed+=("$t")
    grep -m5 -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" >&2 || tail -n 20 "$log" >&2
  fi
  printf '%-14s %10s %12s %9s %8s %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$crashes" \
    "$(ls "$corpus" | wc -l)" >>"$summary"
done
cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs under $work/artifacts/)" >&2
  exit 1
fi
echo "no crashes"
