#!/usr/bin/env bash
# Generates every stack x registry x target combination of `deploy-action gen-workflow` (plus a
# "full" variant per registry x target: two services, a static frontend, Trivy, notifications)
# into a temporary folder, adds the seed fixtures' golden workflows, and checks each workflow with the peers:
#   actionlint (with shellcheck when installed), GitHub's official parser
#   (../shared/bench/ghparse.mjs), and zizmor --offline at every severity;
# and with deploy-action's own linter (every rule, notes included). A workflow passes when none
# of them reports anything. The action's own action.yml goes through zizmor and our linter too.
# Prints one line per failure with the tools' output, then "N passed, N failed".
# Usage: scripts/check-generated.sh [--keep]   (--keep leaves the generated files and prints where)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared"
keep=0
[ "${1:-}" = "--keep" ] && keep=1

[ -d "$shared/bench" ] || { echo "error: $shared/bench not found; ../shared must sit beside the checkout" >&2; exit 2; }
peers=$(bash "$shared/bench/install-peers.sh")
actionlint="$peers/venv/bin/actionlint"
zizmor="$peers/venv/bin/zizmor"
ghparse="$peers/ghparse.mjs"
command -v node >/dev/null || { echo "error: node not found (GitHub's parser needs Node >= 20.6)" >&2; exit 2; }
command -v shellcheck >/dev/null || echo "note: shellcheck not installed; actionlint checks run: scripts without it" >&2

cargo build --quiet --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/deploy-action"

work=$(mktemp -d)
if [ "$keep" = 0 ]; then trap 'rm -rf "$work"' EXIT; fi

# The names, from --list: "stacks:", "registries:", "targets:" sections of "  name  help" lines.
section() { "$bin" gen-workflow --list | awk -v s="$1:" '$0 == s {on = 1; next} /^[a-z]/ {on = 0} on && NF {print $1}'; }
mapfile -t stacks < <(section stacks)
mapfile -t registries < <(section registries)
mapfile -t targets < <(section targets)

# Relative paths from $work, as every tool prints them; the c-/f- prefixes keep one name from
# being a substring of another.
cd "$work"
files=()
failed_gen=()
n=0
for stack in "${stacks[@]}"; do
  for registry in "${registries[@]}"; do
    for target in "${targets[@]}"; do
      dir="c-$stack-$registry-$target"
      mkdir -p "$dir"
      if "$bin" gen-workflow --dir "$dir" --stack "$stack" --registry "$registry" --target "$target" 2>"$dir.log"; then
        files+=("$dir/.github/workflows/deploy.yml")
      else
        failed_gen+=("$dir")
      fi
    done
  done
done
notify=(slack webhook)
for registry in "${registries[@]}"; do
  for target in "${targets[@]}"; do
    stack=${stacks[$((n % ${#stacks[@]}))]}
    kind=${notify[$((n % 2))]}
    n=$((n + 1))
    dir="f-$stack-$registry-$target"
    mkdir -p "$dir"
    if "$bin" gen-workflow --dir "$dir" --stack "$stack" --registry "$registry" --target "$target" \
      --service api=api/Dockerfile --service worker=worker/Dockerfile --frontend web \
      --trivy --notify "$kind" --staging-branch staging --production-branch release 2>"$dir.log"; then
      files+=("$dir/.github/workflows/deploy.yml")
    else
      failed_gen+=("$dir")
    fi
  done
done

# The seed fixtures' committed pipelines (golden files) too.
for f in "$root"/fixtures/seeds/*/.github/workflows/deploy.yml; do
  seed=$(basename "$(dirname "$(dirname "$(dirname "$f")")")")
  mkdir -p "s-$seed/.github/workflows"
  cp "$f" "s-$seed/.github/workflows/deploy.yml"
  files+=("s-$seed/.github/workflows/deploy.yml")
done

# A canary every checker must flag (a misspelt key, a pull request title expanded into a
# script, a checkout keeping its credentials), so a checker that silently checks nothing
# cannot make the run pass.
canary=z-canary/.github/workflows/deploy.yml
mkdir -p "$(dirname "$canary")"
cat >"$canary" <<'YAML'
on: pull_request
permissions: {}
jobs:
  x:
    runs-on: ubuntu-latest
    runs_on: typo
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
YAML

# Each tool runs once over every file; exit statuses above "findings" mean the tool failed.
status=0
"$actionlint" -no-color -oneline "${files[@]}" "$canary" >"$work/actionlint.txt" 2>&1 || status=$?
[ "$status" -le 1 ] || { cat "$work/actionlint.txt"; echo "error: actionlint failed ($status)" >&2; exit 2; }
status=0
node "$ghparse" "${files[@]}" "$canary" >"$work/ghparse.txt" 2>&1 || status=$?
[ "$status" -le 1 ] || { cat "$work/ghparse.txt"; echo "error: GitHub's parser failed ($status)" >&2; exit 2; }
status=0
"$zizmor" --offline --no-progress --format github "${files[@]}" "$canary" \
  >"$work/zizmor.txt" 2>"$work/zizmor.log" || status=$?
[ "$status" = 0 ] || [ "$status" -ge 10 ] || { cat "$work/zizmor.log"; echo "error: zizmor failed ($status)" >&2; exit 2; }
status=0
"$bin" lint --format github "${files[@]}" "$canary" >"$work/ours.txt" 2>&1 || status=$?
[ "$status" -le 1 ] || { cat "$work/ours.txt"; echo "error: deploy-action lint failed ($status)" >&2; exit 2; }
for tool in actionlint ghparse zizmor ours; do
  grep -qF "$canary" "$work/$tool.txt" || { echo "error: $tool reported nothing on a broken workflow ($canary); the check is not working" >&2; exit 2; }
done

# The action itself: zizmor and our linter, every severity.
status=0
"$zizmor" --offline --no-progress --format github "$root/action.yml" >"$work/action-zizmor.txt" 2>"$work/action-zizmor.log" || status=$?
[ "$status" = 0 ] || [ "$status" -ge 10 ] || { cat "$work/action-zizmor.log"; echo "error: zizmor failed on action.yml ($status)" >&2; exit 2; }
"$bin" lint --format github "$root/action.yml" >"$work/action-ours.txt" 2>&1 || true
action_failed=0
for tool in zizmor ours; do
  if [ -s "$work/action-$tool.txt" ]; then
    [ "$action_failed" = 0 ] && echo "FAIL action.yml"
    action_failed=1
    sed "s|^|  $tool: |" "$work/action-$tool.txt"
  fi
done

passed=0
failed=$(( ${#failed_gen[@]} + action_failed ))
for d in "${failed_gen[@]}"; do
  echo "FAIL $d: gen-workflow failed: $(cat "$d.log")"
done
for f in "${files[@]}"; do
  bad=0
  for tool in actionlint ghparse zizmor ours; do
    if grep -qF "$f" "$work/$tool.txt"; then
      [ "$bad" = 0 ] && echo "FAIL $f"
      bad=1
      grep -F "$f" "$work/$tool.txt" | sed "s|^|  $tool: |"
    fi
  done
  if [ "$bad" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
[ "$keep" = 1 ] && echo "generated files kept in $work"
echo "generated workflows (actionlint, GitHub parser, zizmor, deploy-action lint): $passed passed, $failed failed"
[ "$failed" = 0 ]
