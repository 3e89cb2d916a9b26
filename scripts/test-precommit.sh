#!/usr/bin/env bash
# Runs this repository's pre-commit hook with the real `pre-commit` (from PyPI) against a scratch
# repository: a clean workflow must pass, a broken one must fail with the finding shown.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${PRECOMMIT_VENV:-$HOME/.cache/deploy-action-precommit}
if [ ! -x "$venv/bin/pre-commit" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pre-commit>=3,<5'
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q
git config user.email test@example.invalid
git config user.name test
mkdir -p .github/workflows
cat > .github/workflows/good.yml <<'YAML'
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo ok
YAML
cat > .github/workflows/bad.yml <<'YAML'
on: push
jobs:
  test:
    runs-on: ubuntu-lates
    steps:
      - run: echo ok
YAML
git add -A
# Reuse the project's build cache: pre-commit runs `cargo install --path` on the hook's repo.
export CARGO_TARGET_DIR="$root/target"
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$HOME/.cache/deploy-action-precommit-home}"
pc="$venv/bin/pre-commit"
"$pc" try-repo "$root" deploy-action-lint --files .github/workflows/good.yml >"$work/good.log" 2>&1 \
  || { cat "$work/good.log"; echo "FAIL: the clean workflow was refused"; exit 1; }
if "$pc" try-repo "$root" deploy-action-lint --files .github/workflows/bad.yml >"$work/bad.log" 2>&1; then
  cat "$work/bad.log"; echo "FAIL: the broken workflow passed"; exit 1
fi
grep -q 'label "ubuntu-lates" is unknown' "$work/bad.log" \
  || { cat "$work/bad.log"; echo "FAIL: the finding was not shown"; exit 1; }
echo "pre-commit hook: 2 passed, 0 failed"
