#!/usr/bin/env bash
# Drives `deploy-action lsp` with a real LSP client, pygls's LanguageClient (PyPI), installed
# here in a venv of its own: diagnostics at the right ranges, hover, quick fixes applied until
# the list is empty, action.yml and promotion policies, shellcheck's findings, hostile input
# (tests/lsp/client_test.py says what each step asserts).
# Usage: scripts/test-lsp.sh [BINARY]   (default: target/release/deploy-action, else a debug
#        build). Called by scripts/test.sh after its release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${LSP_TEST_VENV:-$HOME/.cache/deploy-action-lsp-test}
pygls_version=2.1.1
if [ "$("$venv/bin/pip" show pygls 2>/dev/null | sed -n "s/^Version: //p")" != "$pygls_version" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "pygls==$pygls_version"
fi
bin=${1:-${DEPLOY_ACTION_BIN:-$root/target/release/deploy-action}}
if [ ! -x "$bin" ]; then
  (cd "$root" && cargo build --quiet --bin deploy-action)
  bin=$root/target/debug/deploy-action
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# The shellcheck step needs shellcheck (scripts/test.sh installs Debian's package).
command -v shellcheck >/dev/null || { echo "FAIL: shellcheck is not installed" >&2; exit 1; }
"$venv/bin/python" "$root/tests/lsp/client_test.py" "$bin"
