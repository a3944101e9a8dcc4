#!/bin/sh
# Regenerates the golden fixtures tests/data/golden/{ssd,tiny}.jsonl from face-api.js.
#
#   tools/gen-golden.sh LIKENESS_BINARY
#
# Each image in tests/data/golden/images.txt is decoded by OUR decoder
# (LIKENESS_BINARY rgb IMG OUT.ppm) and the pixels are fed to face-api.js on the
# tfjs wasm backend (tools/faceapi-ref/gen.js), so the fixtures test the networks
# and the geometry, not two JPEG decoders. Labels are the paths as listed.
#
# images.txt: one path per line. "demo/..." is under the face-api package
# ($FACEAPI_DIR, default .models/face-api-1.7.15, see tools/fetch-models.sh);
# anything else is under $LIKENESS_TESTDATA (default ../shared/testdata beside
# the repository). Needs node >= 18 and npm (npm ci runs once if needed).
set -eu

die() { echo "gen-golden.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: tools/gen-golden.sh LIKENESS_BINARY"
bin=$1
case $bin in */*) ;; *) bin=$(command -v "$bin") || die "$1: not found" ;; esac
[ -x "$bin" ] || die "$bin: not an executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
faceapi=${FACEAPI_DIR:-.models/face-api-1.7.15}
testdata=${LIKENESS_TESTDATA:-../shared/testdata}
golden=tests/data/golden
ref=tools/faceapi-ref

[ -d "$faceapi/model" ] || die "$faceapi/model missing (run tools/fetch-models.sh)"
[ -d "$testdata" ] || die "$testdata missing (set LIKENESS_TESTDATA)"
[ -f "$golden/images.txt" ] || die "$golden/images.txt missing"
command -v node >/dev/null || die "node not found"

if [ ! -d "$ref/node_modules" ]; then
    echo "gen-golden.sh: npm ci in $ref" >&2
    (cd "$ref" && npm ci --no-audit --no-fund) || die "npm ci failed"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Decode every image once; collect "PPM=LABEL" arguments for gen.js.
: > "$tmp/args"
n=0
while IFS= read -r label || [ -n "$label" ]; do
    case $label in ''|'#'*) continue ;; esac
    case $label in
    demo/*) src=$faceapi/$label ;;
    *) src=$testdata/$label ;;
    esac
    [ -f "$src" ] || die "$src: no such image"
    n=$((n + 1))
    ppm=$tmp/$n.ppm
    "$bin" rgb "$src" "$ppm" || die "$bin rgb $src failed"
    printf '%s=%s\n' "$ppm" "$label" >> "$tmp/args"
done < "$golden/images.txt"
echo "gen-golden.sh: decoded $n images" >&2

run_gen() { # detector output
    tr '\n' '\0' < "$tmp/args" |
        xargs -0 node "$ref/gen.js" --models "$faceapi/model" --detector "$1" \
        > "$tmp/$1.jsonl" || die "gen.js --detector $1 failed"
    [ "$(wc -l < "$tmp/$1.jsonl")" -eq "$n" ] || die "gen.js $1: expected $n lines"
    mv "$tmp/$1.jsonl" "$2"
    size=$(wc -c < "$2")
    echo "gen-golden.sh: wrote $2 ($size bytes)" >&2
    [ "$size" -le 1572864 ] || echo "gen-golden.sh: warning: $2 over 1.5 MB" >&2
}

run_gen ssd "$golden/ssd.jsonl"
run_gen tiny "$golden/tiny.jsonl"
