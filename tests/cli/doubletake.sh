#!/bin/sh
# doubletake.sh - likeness serve with a Double Take config: it connects to
# a real mosquitto (started here), says online (retained) before anything
# else, logs Double Take's effective settings, answers its API as before,
# and on SIGTERM says offline and exits 0. The event path itself is tested
# in tests/dt/test_dt_service.c.
set -eu
. "$(dirname "$0")/common.inc"
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
SUB=$(command -v mosquitto_sub || true)
[ -x "$MOSQ" ] && [ -n "$SUB" ] ||
  { echo "mosquitto and mosquitto_sub are needed" >&2; exit 1; }

BPID=
cleanup() {
  st=$?
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
  [ -n "$BPID" ] && kill "$BPID" 2>/dev/null || true
  rm -rf "$TMP"
  exit "$st"
}
trap cleanup EXIT

# a broker on a free port (the kernel picks; mosquitto takes it after)
BPORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
{
  echo "listener $BPORT 127.0.0.1"
  echo "allow_anonymous true"
  echo "persistence false"
  [ "$(id -u)" = 0 ] && echo "user root"
} >"$TMP/mosquitto.conf"
"$MOSQ" -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
BPID=$!
sleep 0.5

cat >"$TMP/config.yml" <<YML
# a Double Take config, as people have it
mqtt:
  host: 127.0.0.1:$BPORT
frigate:
  url: http://127.0.0.1:1
  update_sub_labels: true
detect:
  match:
    confidence: 70
server:
  data: $TMP/data
YML

check "serve starts with a Double Take config" \
  serve_start --config "$TMP/config.yml" --bind 127.0.0.1
LOG=$TMP/serve.err
i=0
while [ $i -lt 50 ] && ! grep -q "MQTT connected" "$LOG"; do
  sleep 0.1; i=$((i + 1))
done
check "it connects to the broker" grep -q "MQTT connected" "$LOG"
check "Double Take's settings are logged" grep -q "detect.match.confidence = 70" "$LOG"
run "$SUB" -h 127.0.0.1 -p "$BPORT" -t double-take/available -C 1 -W 5
check "double-take/available is online, retained" \
  sh -c "[ $rc -eq 0 ] && grep -qx online '$OUT'"
post /v1/vision/face/list -X POST
check "the face APIs answer as before" test "$code" = 200

kill -TERM "$PID"
set +e
wait "$PID"
rc=$?
set -e
PID=
check "SIGTERM exits 0" test "$rc" -eq 0
run "$SUB" -h 127.0.0.1 -p "$BPORT" -t double-take/available -C 1 -W 5
check "and leaves double-take/available offline" grep -qx offline "$OUT"

finish
