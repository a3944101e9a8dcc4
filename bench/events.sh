#!/bin/sh
# Double Take event benchmark of `likeness serve`: Frigate events over MQTT
# (a mosquitto started here), snapshots from a fake Frigate (node, started
# here), matches back on double-take/matches/<name>; one event at a time,
# a burst, and fixed offered rates; the server's RSS sampled meanwhile.
#
#   bench/events.sh LIKENESS_BINARY [--events N] [--sequential N]
#       [--gap-ms MS] [--rate "R1 R2 ..."] [--rate-seconds S]
#       [--image FILE] [--register FILE] [--name NAME] [--height H]
#       [--cameras "a b c"] [-- EXTRA_ARGS_FOR_LIKENESS_SERVE]
#
# See bench/README.md ("Double Take events") for what each number covers.
set -eu

die() { echo "bench/events.sh: $*" >&2; exit 1; }
usage="usage: bench/events.sh LIKENESS_BINARY [--events N] [--sequential N] [--gap-ms MS]
       [--rate \"R1 R2 ...\"] [--rate-seconds S] [--image FILE] [--register FILE]
       [--name NAME] [--height H] [--cameras \"a b c\"] [-- SERVE_ARGS]"

[ $# -ge 1 ] || die "$usage"
case $1 in -h|--help) echo "$usage"; exit 0 ;; esac
bin=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
testdata=${LIKENESS_TESTDATA:-/work/shared/testdata}
burst_events=200
seq_events=50
gap_ms=500
rates="10 15 20 25"
rate_seconds=30
image=$testdata/face_recognition/obama/obama-480p.jpg   # 853x480, one face
register=
name="Barack Obama"
height=500
cameras="front_door driveway back_yard garage"
while [ $# -gt 0 ]; do
    case $1 in
    --events) [ $# -ge 2 ] || die "$usage"; burst_events=$2; shift 2 ;;
    --sequential) [ $# -ge 2 ] || die "$usage"; seq_events=$2; shift 2 ;;
    --gap-ms) [ $# -ge 2 ] || die "$usage"; gap_ms=$2; shift 2 ;;
    --rate) [ $# -ge 2 ] || die "$usage"; rates=$2; shift 2 ;;
    --rate-seconds) [ $# -ge 2 ] || die "$usage"; rate_seconds=$2; shift 2 ;;
    --image) [ $# -ge 2 ] || die "$usage"; image=$2; shift 2 ;;
    --register) [ $# -ge 2 ] || die "$usage"; register=$2; shift 2 ;;
    --name) [ $# -ge 2 ] || die "$usage"; name=$2; shift 2 ;;
    --height) [ $# -ge 2 ] || die "$usage"; height=$2; shift 2 ;;
    --cameras) [ $# -ge 2 ] || die "$usage"; cameras=$2; shift 2 ;;
    --) shift; break ;;
    *) die "$usage" ;;
    esac
done
isnum() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }
for v in "$burst_events" "$seq_events" "$gap_ms" "$rate_seconds" "$height"; do
    isnum "$v" || die "not a whole number: $v"
done
for r in $rates; do
    case $r in ''|*[!0-9.]*|*.*.*) die "--rate: not a number: $r" ;; esac
done
# The gallery photo: by default another photo of the same person.
if [ -z "$register" ]; then
    if [ "$image" = "$testdata/face_recognition/obama/obama-480p.jpg" ]; then
        register=$testdata/face_recognition/obama/obama.jpg
    else
        register=$image
    fi
fi

case $bin in */*) ;; *) bin=$(command -v "$bin") || die "$bin: not found" ;; esac
[ -x "$bin" ] || die "$bin: not an executable"
[ -f "$image" ] || die "$image missing (--image FILE)"
[ -f "$register" ] || die "$register missing (--register FILE)"
cc=${CC:-cc}
command -v "$cc" >/dev/null || die "no C compiler ($cc); set CC"
command -v curl >/dev/null || die "curl not found"
command -v node >/dev/null || die "node not found (it plays Frigate)"
mosq=$(command -v mosquitto 2>/dev/null || true)
[ -n "$mosq" ] || { [ -x /usr/sbin/mosquitto ] && mosq=/usr/sbin/mosquitto; } ||
    die "mosquitto (the broker) not found; install the mosquitto package"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/likeness-events.XXXXXX")
pid=
fpid=
bpid=
lpid=
stop() {   # PID: TERM, wait at most 5 s, then KILL
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1" 2>/dev/null || true
    si=0
    while kill -0 "$1" 2>/dev/null && [ $si -lt 50 ]; do sleep 0.1; si=$((si + 1)); done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    stop "$lpid"
    stop "$pid"
    stop "$fpid"
    stop "$bpid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The event generator (separate program, never part of the test run).
cflags="-std=c11 -O2 -pthread"
evbin=$tmp/events
# shellcheck disable=SC2086
if ! ${cc} $cflags -DEVENTS_CFLAGS="\"$cflags\"" -o "$evbin" "$root/bench/events.c" \
    -lmosquitto 2> "$tmp/cc.log"; then
    cat "$tmp/cc.log" >&2
    grep -q 'mosquitto.h' "$tmp/cc.log" &&
        die "cannot build bench/events.c: libmosquitto's header is missing (libmosquitto-dev)"
    die "cannot build bench/events.c"
fi

# The fake Frigate: every event's snapshot.jpg and every camera's
# latest.jpg are the image (h= is noted, not applied), sub_label POSTs are
# taken as Frigate takes them, /api/version; /bench/stats counts.
cat > "$tmp/frigate.js" <<'EOF'
const fs = require("fs");
const image = fs.readFileSync(process.argv[2]);
const n = { snapshot: 0, latest: 0, sub_label: 0, sub_label_bad: 0, version: 0,
            other: 0, h: null };
const server = require("http").createServer((q, r) => {
  const [path, query] = q.url.split("?");
  const jpeg = () => {
    const h = new URLSearchParams(query || "").get("h");
    if (h !== null) n.h = h;
    r.setHeader("content-type", "image/jpeg");
    r.end(image);
  };
  let m;
  if (q.method === "GET" && path === "/api/version") { n.version++; return r.end("0.14.1"); }
  if (q.method === "GET" && /^\/api\/events\/[^/]+\/snapshot\.jpg$/.test(path)) { n.snapshot++; return jpeg(); }
  if (q.method === "GET" && /^\/api\/[^/]+\/latest\.jpg$/.test(path)) { n.latest++; return jpeg(); }
  if (q.method === "GET" && path === "/bench/stats") return r.end(JSON.stringify(n));
  if (q.method === "POST" && (m = /^\/api\/events\/([^/]+)\/sub_label$/.exec(path))) {
    const chunks = [];
    q.on("data", (c) => chunks.push(c));
    q.on("end", () => {
      let body = null;
      try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch (e) {}
      r.setHeader("content-type", "application/json");
      if (!body || typeof body.subLabel !== "string") {
        n.sub_label_bad++;
        r.statusCode = 400;
        return r.end(JSON.stringify({ success: false, message: "A sub label must be supplied" }));
      }
      n.sub_label++;
      r.end(JSON.stringify({ success: true,
        message: "Event " + decodeURIComponent(m[1]) + " sub label set to " + body.subLabel }));
    });
    return;
  }
  n.other++;
  r.statusCode = 404;
  r.end();
});
server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
EOF
node "$tmp/frigate.js" "$image" > "$tmp/frigate.out" 2> "$tmp/frigate.log" &
fpid=$!
fport=
i=0
while [ $i -lt 100 ]; do
    fport=$(sed -n 's/^port \([0-9][0-9]*\)$/\1/p' "$tmp/frigate.out")
    [ -n "$fport" ] && break
    kill -0 "$fpid" 2>/dev/null || { cat "$tmp/frigate.log" >&2; die "the fake Frigate exited"; }
    sleep 0.1
    i=$((i + 1))
done
[ -n "$fport" ] || die "the fake Frigate printed no port"

# The broker on a free port (the kernel picks one, mosquitto takes it
# after; tried again if someone else took it meanwhile).
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}
bport=
try=0
while [ $try -lt 5 ]; do
    try=$((try + 1))
    bport=$(free_port)
    {
        echo "listener $bport 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence false"
        [ "$(id -u)" = 0 ] && echo "user root"
    } > "$tmp/mosquitto.conf"
    "$mosq" -c "$tmp/mosquitto.conf" > "$tmp/mosquitto.log" 2>&1 &
    bpid=$!
    sleep 0.3
    # listening? (node connects; mosquitto has no ready signal of its own)
    if kill -0 "$bpid" 2>/dev/null && node -e '
        const c = require("net").connect(+process.argv[1], "127.0.0.1");
        c.on("connect", () => { c.destroy(); process.exit(0); });
        c.on("error", () => process.exit(1));' "$bport"; then
        break
    fi
    stop "$bpid"
    bpid=
done
[ -n "$bpid" ] || { cat "$tmp/mosquitto.log" >&2; die "cannot start mosquitto"; }

# Double Take's config as people have it: DT's default attempts (10
# snapshot, 10 latest, no delay, stop on match), sub_labels written back.
# min_area small enough for any face of the photo.
cat > "$tmp/config.yml" <<EOF
mqtt:
  host: 127.0.0.1:$bport
frigate:
  url: http://127.0.0.1:$fport
  update_sub_labels: true
  attempts:
    snapshot: 10
    latest: 10
    delay: 0
  image:
    height: $height
detect:
  match:
    min_area: 1000
EOF

mkdir "$tmp/data"
"$bin" serve --config "$tmp/config.yml" --bind 127.0.0.1 --port 0 --data "$tmp/data" "$@" \
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
i=0
until grep -q "MQTT connected" "$tmp/serve.log"; do
    i=$((i + 1))
    [ $i -lt 100 ] || { tail -n 20 "$tmp/serve.log" >&2; die "the server did not connect to the broker in 10 s"; }
    sleep 0.1
done

# The person, in the gallery (the REST API's people route).
ename=$(node -e 'console.log(encodeURIComponent(process.argv[1]))' "$name")
code=$(curl -s -o "$tmp/register.json" -w '%{http_code}' -F "image=@$register" \
    "$url/api/v1/people/$ename/faces") || die "register: curl failed"
[ "$code" = 201 ] || die "register $register as $name: HTTP $code $(cat "$tmp/register.json")"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
rss_kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$pid/status" 2>/dev/null; }
idle_rss=$(rss_kb VmRSS)

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
imgsize=$(wc -c < "$image" | tr -d ' ')
echo "likeness Double Take event benchmark: $bin"
echo "cpu: ${cpu:-unknown} ($(nproc 2>/dev/null || echo '?') cores online)"
sed -n 's/.*\(listening on .*\)/server: \1/p' "$tmp/serve.log" | tail -n 1
echo "broker: $("$mosq" -h 2>/dev/null | sed -n '1s/^mosquitto version /mosquitto /p') on 127.0.0.1:$bport (defaults)"
echo "camera image: $image ($imgsize bytes, served for every snapshot/latest, h=$height asked)"
echo "gallery: $name, from $register"
echo "cameras: $cameras"
echo "event generator: bench/events.c built with: $cc $cflags -lmosquitto"
echo

rows=
# run_row LABEL EVENTS-ARGS...: the generator, with RSS and CPU sampled
run_row() {
    label=$1
    shift
    "$evbin" --mqtt-port "$bport" --api-port "$port" --cameras "$cameras" "$@" \
        > "$tmp/row.out" 2>&1 &
    lpid=$!
    load0=$(cut -d' ' -f1 /proc/loadavg)
    ticks0=$(cpu_ticks)
    t0=$(date +%s.%N)
    max_rss=0
    while kill -0 "$lpid" 2>/dev/null; do
        r=$(rss_kb VmRSS)
        [ -n "$r" ] && [ "$r" -gt "$max_rss" ] && max_rss=$r
        sleep 0.2
    done
    rc=0
    wait "$lpid" || rc=$?
    lpid=
    ticks1=$(cpu_ticks)
    t1=$(date +%s.%N)
    sed -n '/^events: /p' "$tmp/row.out" >&2
    res=$(sed -n 's/^RESULT //p' "$tmp/row.out")
    if [ "$rc" -ne 0 ] || [ -z "$res" ]; then
        cat "$tmp/row.out" >&2
        die "event generator failed ($label)"
    fi
    kill -0 "$pid" 2>/dev/null || die "server died ($label)"
    rows="$rows$res row=$label max_rss_kb=$max_rss srv_cpu_s=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }') wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') load0=$load0
"
}

echo "sequential: $seq_events events, one at a time, ${gap_ms} ms between a match and the next event" >&2
run_row sequential --mode sequential --events "$seq_events" --gap-ms "$gap_ms"
echo "burst: $burst_events events back to back" >&2
run_row burst --mode burst --events "$burst_events"
for r in $rates; do
    n=$(awk -v r="$r" -v s="$rate_seconds" 'BEGIN { n = int(r * s + 0.5); print n < 1 ? 1 : n }')
    echo "rate: $n events at $r/s" >&2
    run_row "rate" --mode burst --events "$n" --rate "$r"
done
hwm=$(rss_kb VmHWM)
fstats=$(curl -s "http://127.0.0.1:$fport/bench/stats" || echo '{}')

echo
printf '%s' "$rows" | awk '
    BEGIN {
        printf "%-10s %8s %6s %7s %7s %6s %5s %9s %7s %7s %7s %7s %7s %8s %6s %6s\n",
            "mode", "offered", "events", "matched", "dropped", "failed", "lost", "matches/s",
            "p50 ms", "p90 ms", "p99 ms", "max ms", "srv p50", "RSS MB", "cores", "load"
    }
    {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        off = (v["row"] == "sequential") ? "1 by 1" : (v["rate"] > 0) ? sprintf("%g/s", v["rate"]) : "burst"
        printf "%-10s %8s %6d %7d %7d %6d %5d %9.2f %7.1f %7.1f %7.1f %7.1f %7d %8.1f %6.2f %6s\n",
            v["row"], off, v["events"], v["matched"], v["dropped"], v["failed"], v["lost"],
            v["eps"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["max_ms"], v["srv_p50_ms"],
            v["max_rss_kb"] / 1024, (v["wall_s"] > 0 ? v["srv_cpu_s"] / v["wall_s"] : 0), v["load0"]
    }'
echo
echo "server RSS: $((idle_rss / 1024)) MB idle after register, VmHWM $((hwm / 1024)) MB at the end"
echo "fake Frigate: $fstats"
echo "latencies: Frigate event published -> double-take/matches/<name> received, matched events only;"
echo "srv p50: the service's own \"duration\" (fetch + recognize); dropped: the server's /api/status;"
echo "lost: events with no match message (dropped or failed); cores: server CPU time / wall time"

# Stop the server and check it exits 0.
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || { tail -n 20 "$tmp/serve.log" >&2; die "server exited $rc on SIGTERM"; }
echo "server: SIGTERM, exit 0"
