#!/usr/bin/env bash
# Builds the release binary reproducibly and packs it for a GitHub release.
#
# Same source + same toolchain => same bytes: `--locked` dependencies, SOURCE_DATE_EPOCH from the
# last commit, build paths remapped ($CARGO_HOME and the source directory), one codegen unit,
# symbols stripped; the archive has sorted names, a fixed mtime, owner and mode, and `gzip -n`.
# Writes OUT/deploy-action-<version>-<triple>.tar.gz (with `deploy-action` at its root) and
# OUT/SHA256SUMS (`<sha256>  <file>` for every archive in OUT). <version> is the release tag,
# `v` + Cargo.toml's version unless --version says otherwise.
#
# The release workflow (.github/workflows/release.yml) commits the release's SHA256SUMS into
# the tagged tree as dist/SHA256SUMS, beside action.yml, which installs only an archive that
# matches it. SOURCE_DATE_EPOCH is the time of the last commit that changed anything outside
# dist/, so the release commit (the built commit plus dist/SHA256SUMS) rebuilds the same bytes:
# anyone can check the pinned checksums with this script at the tag.
#
# Usage: scripts/release.sh [--target TRIPLE] [--out DIR] [--version vX.Y.Z]
#        (default: host triple, target/dist/ (never the committed dist/), v<Cargo.toml version>)
# Needs GNU tar and gzip. CARGO_TARGET_DIR is honoured.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
triple=$(rustc -vV | sed -n 's/^host: //p')
version=
out="$root/target/dist"
while [ $# -gt 0 ]; do
  case $1 in
    --target) triple=${2:?--target needs a triple}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --version) version=${2:?--version needs a tag such as v1.2.3}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
tar --version 2>/dev/null | grep -q 'GNU tar' || { echo "error: GNU tar is needed" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

[ -n "$version" ] || version=v$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct -- . ':(exclude)dist' 2>/dev/null || true)
[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=0
export SOURCE_DATE_EPOCH
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target_dir=${CARGO_TARGET_DIR:-$root/target}

# Paths that would otherwise end up in panic messages and debug info.
export RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$root=/src \
-C codegen-units=1 -C strip=symbols ${RELEASE_EXTRA_RUSTFLAGS:-}"
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_INCREMENTAL=0
cargo build --release --locked --quiet --target "$triple" --bin deploy-action

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$target_dir/$triple/release/deploy-action" "$stage/deploy-action"
chmod 0755 "$stage/deploy-action"
asset="deploy-action-$version-$triple.tar.gz"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  --mode='u=rwx,go=rx' --format=gnu \
  -C "$stage" -cf - deploy-action | gzip -n -9 >"$out/$asset"
(cd "$out" && find . -maxdepth 1 -name 'deploy-action-*.tar.gz' -printf '%f\n' | LC_ALL=C sort |
  xargs sha256sum >SHA256SUMS)
echo "$out/$asset"
grep " $asset\$" "$out/SHA256SUMS"
