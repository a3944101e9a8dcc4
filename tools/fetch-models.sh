#!/bin/sh
# fetch-models.sh - bring the face-api.js weights and demo photos into an
# ignored folder, checking every file against tools/face-api.sha256.
#
#   tools/fetch-models.sh [DEST]      default DEST: <repo>/.models
#
# The weights come from the npm package @vladmandic/face-api (pinned version);
# `npm pack` downloads the tarball without installing anything. A folder that
# already holds verified files is left alone, so builds run it cheaply.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
ver=1.7.15
dest=${1:-$repo/.models}
out=$dest/face-api-$ver
sums=$here/face-api.sha256

verify() {
  (cd "$1" && sha256sum --quiet -c "$sums") >/dev/null 2>&1
}

if [ -d "$out" ] && verify "$out"; then
  exit 0
fi

command -v npm >/dev/null 2>&1 || {
  echo "fetch-models: npm is needed to fetch @vladmandic/face-api@$ver" >&2
  echo "fetch-models: install it (apt-get install npm) or run tools/setup-debian.sh" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading @vladmandic/face-api@$ver" >&2
(cd "$tmp" && npm pack --silent "@vladmandic/face-api@$ver" >/dev/null)
tar -xzf "$tmp"/vladmandic-face-api-$ver.tgz -C "$tmp"
if ! verify "$tmp/package"; then
  echo "fetch-models: checksum mismatch in @vladmandic/face-api@$ver:" >&2
  (cd "$tmp/package" && sha256sum -c "$sums" 2>&1 | grep -v ': OK$') >&2 || true
  exit 1
fi
mkdir -p "$out.tmp"
rm -rf "$out.tmp"/*
mkdir -p "$out.tmp/model" "$out.tmp/demo"
cut -c67- "$sums" | while read -r f; do
  cp "$tmp/package/$f" "$out.tmp/$f"
done
rm -rf "$out"
mv "$out.tmp" "$out"
echo "fetch-models: verified $(wc -l <"$sums") files in $out" >&2
