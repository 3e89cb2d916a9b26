#!/usr/bin/env bash
# Builds the `deploy-action` wheel with maturin (PyPI) from wheel/pyproject.toml, installs it
# into a fresh venv, runs `deploy-action --version` and a lint of a bad workflow there, then
# runs the wheel hook (`deploy-action-lint-wheel`) through the real pre-commit (PyPI) on a
# scratch repository with the same bad workflow: both must fail with our finding.
# Everything lives under target/wheel-test (tool venv, fresh venv, pre-commit's home) and the
# wheel in target/wheels. pre-commit installs the hook with pip offline (PIP_NO_INDEX), from
# target/wheels only, so the wheel it installs is the one just built.
# Usage: scripts/test-wheel.sh   (reuses the release build when it is fresh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=$root/target/wheel-test
tools=$base/tools
wheels=$root/target/wheels
maturin_version=1.16.0
precommit_version=4.7.0
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n1)
fail() { echo "FAIL: $*" >&2; exit 1; }

# The shim pyproject (what pre-commit installs) pins the wheel of Cargo.toml's version.
grep -q "^version = \"$version\"$" "$root/pyproject.toml" \
  || fail "pyproject.toml's version is not Cargo.toml's ($version)"
grep -q "\"deploy-action==$version\"" "$root/pyproject.toml" \
  || fail "pyproject.toml does not pin deploy-action==$version"

if [ "$("$tools/bin/pip" show maturin 2>/dev/null | sed -n 's/^Version: //p')" != "$maturin_version" ] \
  || [ "$("$tools/bin/pip" show pre-commit 2>/dev/null | sed -n 's/^Version: //p')" != "$precommit_version" ]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet "maturin==$maturin_version" "pre-commit==$precommit_version"
fi
# The shim's build backend, for pre-commit's offline `pip install .`.
mkdir -p "$base/deps"
"$tools/bin/pip" download --quiet --dest "$base/deps" 'setuptools>=61'

echo "== maturin build --release"
rm -f "$wheels"/deploy_action-*.whl
(cd "$root/wheel" && "$tools/bin/maturin" build --release --out "$wheels" --quiet) \
  || fail "maturin could not build the wheel"
wheel=$(find "$wheels" -maxdepth 1 -name "deploy_action-$version-*.whl" | head -n1)
[ -n "$wheel" ] || fail "no deploy_action-$version wheel in $wheels"
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

echo "== the wheel in a fresh venv"
fresh=$base/fresh
rm -rf "$fresh"
python3 -m venv "$fresh"
"$fresh/bin/pip" install --quiet --no-index "$wheel"
out=$("$fresh/bin/deploy-action" --version)
[ "$out" = "deploy-action $version" ] || fail "--version printed \"$out\""

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.github/workflows"
cat > "$work/.github/workflows/bad.yml" <<'YAML'
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latst
    steps:
      - run: echo ok
YAML
finding='label "ubuntu-latst" is unknown. did you mean "ubuntu-latest"?'
status=0
(cd "$work" && "$fresh/bin/deploy-action" lint .github/workflows/bad.yml) >"$base/lint.log" 2>&1 || status=$?
[ "$status" = 1 ] || { cat "$base/lint.log"; fail "lint exited $status, not 1"; }
grep -qF "$finding" "$base/lint.log" || { cat "$base/lint.log"; fail "lint did not report the label"; }

echo "== pre-commit try-repo with the wheel hook"
cd "$work"
git init -q
git config user.email test@example.invalid
git config user.name test
git add -A
export PRE_COMMIT_HOME=$base/pre-commit-home
rm -rf "$PRE_COMMIT_HOME"
find "$wheels" "$base/deps" -name 'deploy*action*.tar.gz' | grep -q . && fail "an sdist is in the way"
status=0
start=$(date +%s)
PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheels $base/deps" \
  "$tools/bin/pre-commit" try-repo "$root" deploy-action-lint-wheel --all-files \
  >"$base/pre-commit.log" 2>&1 || status=$?
echo "pre-commit try-repo (hook install + run): $(($(date +%s) - start)) s"
[ "$status" = 1 ] || { cat "$base/pre-commit.log"; fail "pre-commit exited $status, not 1"; }
grep -qF "$finding" "$base/pre-commit.log" \
  || { cat "$base/pre-commit.log"; fail "pre-commit did not show our finding"; }
# pip ran offline with only target/wheels and the setuptools wheels to pick from: no sdist of
# deploy-action anywhere, so what it installed is the wheel built above, never a source build.
echo "wheel: --version, lint (exit 1, finding) and pre-commit try-repo (exit 1, finding): passed"
