#!/usr/bin/env bash
# README's first command: the main job on a local default, no cloud account needed.
# Today it builds deploy-action and lints a generated-looking pipeline plus this repository's own
# workflows, showing a clean run and a run with findings in every output format.
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

# The promotion story needs a Docker daemon and a registry: scripts/test-env.sh up starts both.
if [ -z "${DOCKER_HOST:-}" ] && [ -S /tmp/deploy-action-test/docker.sock ]; then
  export DOCKER_HOST=unix:///tmp/deploy-action-test/docker.sock
fi
if docker version >/dev/null 2>&1 \
  && curl -fsS "http://${DEPLOY_ACTION_TEST_REGISTRY:-127.0.0.1:5000}/v2/" >/dev/null 2>&1; then
  echo
  echo "== deploy, promote, refuse, roll back (scripts/demo-promote.sh)"
  DEPLOY_ACTION_BIN="$bin" "$root/scripts/demo-promote.sh"
else
  echo
  echo "(promotion story skipped: no Docker daemon and registry; run scripts/test-env.sh up first)"
fi
