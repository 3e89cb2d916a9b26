#!/usr/bin/env bash
# Builds the release archive twice, from two copies of the source in different directories
# with different target directories, and compares the SHA256SUMS. Exits 1 when they differ.
# Usage: scripts/check-reproducible.sh [--target TRIPLE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 1 2; do
  src="$work/src-$n/deploy-action"
  mkdir -p "$src"
  # The committed tree (what a tag releases), plus the last commit's time for SOURCE_DATE_EPOCH.
  git -C "$root" archive --format=tar HEAD | tar -xf - -C "$src"
  git -C "$src" init -q && git -C "$src" add -A >/dev/null
  when="$(git -C "$root" log -1 --format=%ct -- . ':(exclude)dist') +0000"
  GIT_COMMITTER_DATE="$when" GIT_AUTHOR_DATE="$when" \
    git -C "$src" -c user.name=r -c user.email=r@r commit -qm tree
  echo "== build $n in $src" >&2
  CARGO_TARGET_DIR="$work/target-$n" "$src/scripts/release.sh" --out "$work/out-$n" "$@" >&2
done
echo "build 1:"; cat "$work/out-1/SHA256SUMS"
echo "build 2:"; cat "$work/out-2/SHA256SUMS"
if cmp -s "$work/out-1/SHA256SUMS" "$work/out-2/SHA256SUMS"; then
  echo "reproducible: the archives are identical"
else
  echo "NOT reproducible: the archives differ" >&2
  exit 1
fi
