#!/usr/bin/env bash
# README's first command: the main job on a local default, no cloud account needed.
# 1. builds deploy-action (release) and lints a pipeline (clean, then one with findings);
# 2. starts a private Docker daemon and registry on this machine (scripts/test-env.sh: installs
#    Debian's docker.io and docker-registry if missing; nothing is pulled from Docker Hub);
# 3. runs the whole story with the local ledger (scripts/demo-promote.sh): build and push an
#    app image, deploy it to staging, promote the same digest to production behind health,
#    smoke, soak and digest gates, refuse a bad build, roll back one that fails verification.
# The daemon and registry are stopped again at the end if this script started them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (https://rustup.rs) first" >&2; exit 2; }
cargo build --release --quiet
bin="$root/target/release/deploy-action"
echo "== deploy-action lint (this repository: clean)"
"$bin" lint && echo "no findings"
echo
echo "== deploy-action lint fixtures/lint/mixed-errors.yml (findings, exit status 1)"
"$bin" lint --color always fixtures/lint/mixed-errors.yml || echo "exit status: $?"

echo
echo "== a private Docker daemon and registry (scripts/test-env.sh up)"
started=0
if ! scripts/test-env.sh status >/dev/null 2>&1; then
  scripts/test-env.sh up >&2
  started=1
fi
stop() { if [ "$started" = 1 ]; then scripts/test-env.sh down >/dev/null 2>&1 || true; fi; }
trap stop EXIT
eval "$(scripts/test-env.sh env)"
DEPLOY_ACTION_BIN="$bin" "$root/scripts/demo-promote.sh"
