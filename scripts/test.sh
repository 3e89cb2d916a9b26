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

started=0
cleanup() {
  if [ "$started" = 1 ]; then scripts/test-env.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ "$with_docker" = 1 ]; then
  if ! scripts/test-env.sh status >/dev/null 2>&1; then
    scripts/test-env.sh up >/dev/null
    started=1
  fi
  eval "$(scripts/test-env.sh env)"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --all-targets -- -D warnings
echo "== cargo test"
cargo test --quiet 2>&1 | tee target/test-output.log
echo "== generated workflows through actionlint, GitHub's parser and zizmor"
scripts/check-generated.sh
echo "== deploy-action lints its own workflows and action.yml"
cargo run --quiet -- lint
echo "== pre-commit hook through the real pre-commit"
cargo build --release --quiet
scripts/test-precommit.sh
