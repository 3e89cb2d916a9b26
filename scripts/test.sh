#!/usr/bin/env bash
# README's test command: installs and starts what the tests need (a private dockerd and a
# registry on 127.0.0.1:5000, from Debian's packages), runs every check, and stops them again.
# Usage: scripts/test.sh            (everything)
#        scripts/test.sh --no-docker (skip the daemon; tests that need it fail when CI=true)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v cargo >/dev/null; then
  echo "error: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 2
fi

with_docker=1
[ "${1:-}" = "--no-docker" ] && with_docker=0

# The release-profile build here feeds the pre-commit, LSP and wheel tests, which need a working
# binary, not the shipped one's optimisation (the release workflow and scripts/release.sh build
# that; the benchmarks build their own). Unoptimised, it takes a fraction of the time, and
# pre-commit's `cargo install` and maturin build with the same settings, so they reuse it.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=${CARGO_PROFILE_RELEASE_OPT_LEVEL:-0}
export CARGO_PROFILE_RELEASE_LTO=${CARGO_PROFILE_RELEASE_LTO:-false}
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-256}

# The compiles need none of the tools installed below: start them now, so they use the cores
# while apt-get, pip and npm wait on the network. `wait_for NAME` joins one and shows its log
# when it failed.
mkdir -p target
declare -A background=()
in_background() {
  local name=$1
  shift
  ("$@" >"target/ci-$name.log" 2>&1; echo $? >"target/ci-$name.rc") &
  background[$name]=$!
}
wait_for() {
  [ -n "${background[$1]:-}" ] || return 0
  wait "${background[$1]}" || true
  local rc
  rc=$(cat "target/ci-$1.rc" 2>/dev/null || echo 0)
  if [ "$rc" != 0 ]; then
    cat "target/ci-$1.log" >&2
    echo "error: $1 failed (exit $rc)" >&2
    exit 1
  fi
}
rm -f target/ci-*.rc
if ! cargo deny --version >/dev/null 2>&1; then
  echo "== cargo-deny missing: cargo install --locked cargo-deny (in the background)"
  in_background deny-install cargo install --locked --quiet cargo-deny
fi
in_background test-build cargo test --workspace --no-run --locked --quiet

started=0
cleanup() {
  local rc=$?
  if [ "$(type -t report_timings)" = function ]; then report_timings; fi
  if [ "$started" = 1 ]; then scripts/test-env.sh down >/dev/null 2>&1 || true; fi
  return $rc
}
trap cleanup EXIT

if [ "$with_docker" = 1 ]; then
  if ! scripts/test-env.sh status >/dev/null 2>&1; then
    scripts/test-env.sh up >/dev/null
    started=1
  fi
  eval "$(scripts/test-env.sh env)"
fi

# Tools the tests call besides Rust's and the test environment's (scripts/test-env.sh installs
# the daemon, registry, ssh, openssl, haproxy), from Debian's packages in one apt-get run:
# - shellcheck: the lint's `shellcheck` rule, its conformance kind;
# - python3-venv: the LSP client test (pygls), the wheel test (maturin, pre-commit) and the
#   pre-commit test install their PyPI tools into venvs of their own;
# - nodejs and npm: GitHub's parser (ghparse.mjs, installed with the peers by npm). This
#   machine kind ships Node.js 20 with npm; where there is none, Debian's is installed, and
#   check-generated.sh says so if it is older than the parser needs (20.6);
# - time (GNU time): the hostile-YAML tests bound each lint's own peak memory with it.
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v shellcheck >/dev/null || missing+=(shellcheck)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3 python3-venv python3-pip)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "== installing ${missing[*]} (apt-get)"
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get -q -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -d "$root/../shared/bench" ]; then
  bash "$root/../shared/bench/install-peers.sh" >/dev/null
fi

# Each step's wall time, printed at the end (the CI budget is in docs/architecture.md).
timings=()
step_start=$SECONDS
step_name=setup
step() {
  timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
  step_name=$1
  step_start=$SECONDS
  echo "== $1"
}
report_timings() {
  timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
  echo "== step times"
  printf '%s\n' "${timings[@]}"
  echo "total ${SECONDS}s"
}

step "cargo fmt --check"
cargo fmt --all -- --check
step "the test build (started in the background)"
wait_for test-build
# The release-profile build (its own lock: target/release) runs beside clippy, the tests and act.
in_background release-build cargo build --release --locked --quiet --bin deploy-action
step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings
step "the house: scripts/check-layout"
scripts/check-layout
step "cargo test --workspace"
cargo test --quiet --workspace --no-fail-fast 2>&1 | tee target/test-output.log
# act waits on the daemon for minutes: it runs beside the checks that follow (none uses Docker).
echo "== generated pipelines under act (nektos/act): scripts/test-act.sh (in the background)"
in_background act scripts/test-act.sh
step "generated workflows through actionlint, GitHub's parser and zizmor"
scripts/check-generated.sh
step "deploy-action lints its own workflows and action.yml"
cargo run --quiet -- lint
step "pre-commit hook through the real pre-commit"
wait_for release-build
scripts/test-precommit.sh
step "the language server through a real LSP client (pygls): scripts/test-lsp.sh"
scripts/test-lsp.sh target/release/deploy-action
step "the wheel (maturin) in a fresh venv and its pre-commit hook: scripts/test-wheel.sh"
scripts/test-wheel.sh
step "generated pipelines under act (started after the tests)"
wait_for act
tail -n 3 target/ci-act.log
step "cargo deny (deny.toml: licenses, bans, sources; advisories when the database is here)"
wait_for deny-install
cargo deny --all-features check --hide-inclusion-graph licenses bans sources
# The database lives under $CARGO_HOME/advisory-dbs (cargo-deny's default). Fetching it needs
# GitHub; without a copy the advisories check is skipped, loudly.
db_root=${CARGO_HOME:-$HOME/.cargo}/advisory-dbs
if compgen -G "$db_root/*/crates" >/dev/null 2>&1 || compgen -G "$db_root/*/.git" >/dev/null 2>&1; then
  cargo deny --offline --all-features check --hide-inclusion-graph advisories
elif [ "${DENY_FETCH_ADVISORIES:-}" = 1 ]; then
  cargo deny --all-features check --hide-inclusion-graph advisories
else
  echo "warning: advisories NOT checked: no RustSec database under $db_root" >&2
  echo "         (set DENY_FETCH_ADVISORIES=1 where GitHub is reachable to fetch it)" >&2
fi
