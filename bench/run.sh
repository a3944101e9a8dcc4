#!/bin/sh
# face-api.js (tfjs wasm) vs likeness on the six face-api demo photos.
#
#   bench/run.sh LIKENESS_BINARY [--detector ssd|tiny] [--passes N] [-- ARGS for likeness bench]
#
# See bench/README.md for what each number covers.
set -eu

die() { echo "bench/run.sh: $*" >&2; exit 1; }
usage="usage: bench/run.sh LIKENESS_BINARY [--detector ssd|tiny] [--passes N] [-- LIKENESS_BENCH_ARGS]"

[ $# -ge 1 ] || die "$usage"
bin=$1
shift
detector=ssd
passes=3
while [ $# -gt 0 ]; do
    case $1 in
    --detector) [ $# -ge 2 ] || die "$usage"; detector=$2; shift 2 ;;
    --passes) [ $# -ge 2 ] || die "$usage"; passes=$2; shift 2 ;;
    --) shift; break ;;
    *) die "$usage" ;;
    esac
done
case $detector in ssd|tiny) ;; *) die "--detector must be ssd or tiny" ;; esac
case $bin in */*) ;; *) bin=$(command -v "$bin") || die "$1: not found" ;; esac
[ -x "$bin" ] || die "$bin: not an executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
faceapi=${FACEAPI_DIR:-.models/face-api-1.7.15}
ref=tools/faceapi-ref
[ -d "$faceapi/demo" ] || die "$faceapi/demo missing (run tools/fetch-models.sh)"
command -v node >/dev/null || die "node not found"
if [ ! -d "$ref/node_modules" ]; then
    echo "bench/run.sh: npm ci in $ref" >&2
    (cd "$ref" && npm ci --no-audit --no-fund) || die "npm ci failed"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/likeness-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

jpegs=
ppms=
for i in 1 2 3 4 5 6; do
    jpg=$faceapi/demo/sample$i.jpg
    [ -f "$jpg" ] || die "$jpg missing"
    "$bin" rgb "$jpg" "$tmp/$i.ppm" || die "$bin rgb $jpg failed (does the binary have the 'rgb' subcommand?)"
    jpegs="$jpegs $jpg"
    ppms="$ppms $tmp/$i.ppm"
done

# likeness first: fail fast if the subcommand is missing.
tiny_arg=
[ "$detector" = tiny ] && tiny_arg="--detector tiny"
echo "bench/run.sh: likeness bench ($detector) ..." >&2
# shellcheck disable=SC2086  # word splitting of the file lists is intended
if ! "$bin" bench --json --runs "$passes" $tiny_arg "$@" $jpegs > "$tmp/likeness.out" 2> "$tmp/likeness.err"; then
    cat "$tmp/likeness.err" >&2
    die "'$bin bench --json' failed: the binary lacks the 'bench' subcommand or it errored (see above)"
fi
tail -n 1 "$tmp/likeness.out" > "$tmp/likeness.json"
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$tmp/likeness.json" 2>/dev/null ||
    die "last stdout line of '$bin bench --json' is not JSON: $(cat "$tmp/likeness.json")"

echo "bench/run.sh: face-api.js wasm ($detector, $passes passes) ..." >&2
# shellcheck disable=SC2086
node bench/faceapi-wasm.js --models "$faceapi/model" --detector "$detector" --passes "$passes" $ppms \
    > "$tmp/faceapi.json" || die "bench/faceapi-wasm.js failed"

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo
echo "detector: $detector; images: face-api demo/sample1..6.jpg (1920 px)"
echo "cpu: ${cpu:-unknown} ($(nproc 2>/dev/null || echo '?') cores online)"
echo
node bench/report.js "$tmp/faceapi.json" "$tmp/likeness.json"
echo
echo "note: face-api.js gets decoded pixels (no JPEG decode); likeness timings include JPEG decode."
