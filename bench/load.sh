#!/bin/sh
# Load test of `likeness serve`: recognize requests from 1, 2, 4 and 16
# keep-alive clients on 127.0.0.1, with the server's RSS sampled meanwhile.
#
#   bench/load.sh LIKENESS_BINARY [--seconds S] [--clients "1 2 4 16"]
#                 [--image FILE.jpg] [-- EXTRA_ARGS_FOR_LIKENESS_SERVE]
#
# See bench/README.md ("Load") for what each number covers.
set -eu

die() { echo "bench/load.sh: $*" >&2; exit 1; }
usage="usage: bench/load.sh LIKENESS_BINARY [--seconds S] [--clients LIST] [--image FILE] [-- SERVE_ARGS]"

[ $# -ge 1 ] || die "$usage"
bin=$1
shift
seconds=10
client_list="1 2 4 16"
root=$(cd "$(dirname "$0")/.." && pwd)
testdata=${LIKENESS_TESTDATA:-/work/shared/testdata}
image=$testdata/face_recognition/obama/obama2.jpg   # 626x1200, one face
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) [ $# -ge 2 ] || die "$usage"; seconds=$2; shift 2 ;;
    --clients) [ $# -ge 2 ] || die "$usage"; client_list=$2; shift 2 ;;
    --image) [ $# -ge 2 ] || die "$usage"; image=$2; shift 2 ;;
    --) shift; break ;;
    *) die "$usage" ;;
    esac
done
case $bin in */*) ;; *) bin=$(command -v "$bin") || die "$1: not found" ;; esac
[ -x "$bin" ] || die "$bin: not an executable"
[ -f "$image" ] || die "$image missing"
command -v curl >/dev/null || die "curl not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/likeness-load.XXXXXX")
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build the load generator (separate program, never part of the test run).
cflags="-std=c11 -O2 -pthread"
loadbin=$tmp/load
# shellcheck disable=SC2086
${CC:-cc} $cflags -DLOAD_CFLAGS="\"$cflags\"" -o "$loadbin" "$root/bench/load.c" ||
    die "cannot build bench/load.c"

# Start the server on a free port, loopback only.
mkdir "$tmp/data"
"$bin" serve --bind 127.0.0.1 --port 0 --data "$tmp/data" "$@" \
    > "$tmp/serve.out" 2> "$tmp/serve.log" &
pid=$!
port=
i=0
while [ $i -lt 300 ]; do
    port=$(sed -n 's/^listening on port \([0-9][0-9]*\)$/\1/p' "$tmp/serve.out")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; die "server exited at start"; }
    sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || die "server printed no port"
url=http://127.0.0.1:$port
i=0
until curl -sf "$url/healthz" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 600 ] || die "no /healthz after 60 s"
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; die "server exited"; }
    sleep 0.1
done

# One person in the gallery, so recognize has something to match.
reg=$(curl -s -F userid=obama -F "image=@$image" "$url/v1/vision/face/register") ||
    die "register failed"
case $reg in *'"success":true'*) ;; *) die "register: $reg" ;; esac
rec=$(curl -s -F "image=@$image" "$url/v1/vision/face/recognize")
case $rec in *'"userid":"obama"'*) ;; *) die "recognize does not find the registered face: $rec" ;; esac

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
rss_kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$pid/status" 2>/dev/null; }
idle_rss=$(rss_kb VmRSS)

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
imgsize=$(wc -c < "$image" | tr -d ' ')
echo "likeness serve load test: $bin"
echo "cpu: ${cpu:-unknown} ($(nproc 2>/dev/null || echo '?') cores online)"
sed -n 's/.*\(listening on .*\)/server: \1/p' "$tmp/serve.log" | head -n 1
echo "image: $image ($imgsize bytes); POST /v1/vision/face/recognize, ${seconds} s per row"
echo "load generator: bench/load.c built with: ${CC:-cc} $cflags"
echo

rows=
for n in $client_list; do
    # Sample the server's RSS every 0.2 s while the clients run.
    "$loadbin" --port "$port" --image "$image" --clients "$n" --duration "$seconds" \
        > "$tmp/load.$n" 2>&1 &
    lpid=$!
    load0=$(cut -d' ' -f1 /proc/loadavg)
    ticks0=$(cpu_ticks)
    max_rss=0
    while kill -0 "$lpid" 2>/dev/null; do
        r=$(rss_kb VmRSS)
        [ -n "$r" ] && [ "$r" -gt "$max_rss" ] && max_rss=$r
        sleep 0.2
    done
    wait "$lpid" || true
    ticks1=$(cpu_ticks)
    sed -n '/^load: /p' "$tmp/load.$n" >&2
    res=$(sed -n 's/^RESULT //p' "$tmp/load.$n")
    [ -n "$res" ] || { cat "$tmp/load.$n" >&2; die "load generator failed with $n clients"; }
    rows="$rows$res max_rss_kb=$max_rss srv_cpu_s=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }') load0=$load0
"
    kill -0 "$pid" 2>/dev/null || die "server died under $n clients"
done
hwm=$(rss_kb VmHWM)

echo
printf '%s' "$rows" | awk '
    BEGIN {
        printf "%7s %8s %8s %8s %8s %8s %11s %5s %13s %9s %10s %6s\n", "clients", "req/s", "ok req/s",
            "p50 ms", "p99 ms", "max ms", "max RSS MB", "503", "errors/touts", "srv cores",
            "CPU ms/ok", "load"
    }
    {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%7d %8.1f %8.1f %8.1f %8.1f %8.1f %11.1f %5d %13s %9.2f %10.1f %6s\n", v["clients"],
            v["rps"], v["ok_rps"], v["p50_ms"], v["p99_ms"], v["max_ms"], v["max_rss_kb"] / 1024,
            v["busy"], (v["errors"] + v["other"]) "/" v["timeouts"], v["srv_cpu_s"] / v["seconds"],
            v["ok"] ? 1000 * v["srv_cpu_s"] / v["ok"] : 0, v["load0"]
    }'
echo
echo "server RSS: $((idle_rss / 1024)) MB idle after register, VmHWM $((hwm / 1024)) MB at the end"
echo "latencies are of 200 answers; errors: socket errors and statuses other than 200/503"
echo "srv cores: server CPU time / wall time; CPU ms/ok: server CPU time per 200; load: 1-min loadavg before the row"

# Stop the server and check it exits 0.
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || { tail -n 20 "$tmp/serve.log" >&2; die "server exited $rc on SIGTERM"; }
echo "server: SIGTERM, exit 0"
