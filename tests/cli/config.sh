#!/bin/sh
# config.sh - likeness serve --config: YAML keys with !secret, LIKENESS_*
# variables over the file, command-line options over both, the effective
# settings logged (secrets masked), unknown keys warned with their line,
# and bad files refused with file, line and key named, before anything
# starts.
set -eu
. "$(dirname "$0")/common.inc"
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

cleanup() {
  st=$?
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
  rm -rf "$TMP"
  exit "$st"
}
trap cleanup EXIT

cat >"$TMP/config.yml" <<YML
# likeness settings beside Double Take's
server:
  port: 0
  data: $TMP/from-file
  queue: 3
  max_body_mb: 1
engine:
  align: faceapi
  match_distance: 0.5
api_keys:
  deepstack: !secret ds_key
logs:
  level: verbose
home_assistant:
  url: http://ha.lan:8123
YML
printf 'ds_key: "s3cr et"\n' >"$TMP/secrets.yml"

# start CONFIG [VAR=value...]
start() {
  cfg=$1
  shift
  serve_start env "$@" -- --config "$cfg" --bind 127.0.0.1
}
stop() {
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}
LOG=$TMP/serve.err
IMG=$DATA/lfw_small/Tony_Blair/Tony_Blair_0001.jpg

check "serve starts from the config file" start "$TMP/config.yml"
check "data folder from the file" test -f "$TMP/from-file/likeness.db"
check "effective settings are logged" has "$LOG" \
  "config: server.data = $TMP/from-file ($TMP/config.yml)"
check "command line wins over the file" has "$LOG" \
  "config: server.bind = 127.0.0.1 (command line)"
check "defaults are named as such" has "$LOG" \
  "config: server.cors_origin = (none) (default)"
check "secrets are masked" has "$LOG" \
  "config: api_keys.deepstack = ******** ($TMP/config.yml)"
check "... and never printed" test "$(grep -c 's3cr et' "$LOG")" = 0
check "Double Take's verbose log level reads as debug" has "$LOG" \
  "config: logs.level = debug"
check "unknown keys are warned with their line" has "$LOG" \
  "config.yml:14: unknown key 'home_assistant' (ignored)"
check "the engine setting reaches the engine" has "$LOG" \
  "config: engine.align = faceapi"
check "the match distance is read" has "$LOG" \
  "config: engine.match_distance = 0.5 ($TMP/config.yml)"
post /v1/vision/face/list -X POST
check "the key from secrets.yml is required" test "$code" = 401
post /v1/vision/face/list -F "api_key=s3cr et"
check "... and accepted" test "$code" = 200
head -c 1200000 /dev/zero >"$TMP/big.bin"
post /v1/vision/face/recognize -F "api_key=s3cr et" -F image=@"$TMP/big.bin"
check "server.max_body_mb: 1 refuses a 1.2 MB body with 413" test "$code" = 413
stop

check "environment wins over the file" \
  start "$TMP/config.yml" LIKENESS_DATA="$TMP/from-env" \
  LIKENESS_DEEPSTACK_KEY=other
check "... data from LIKENESS_DATA" has "$LOG" \
  "config: server.data = $TMP/from-env (LIKENESS_DATA)"
post /v1/vision/face/list -F "api_key=other"
check "... key from LIKENESS_DEEPSTACK_KEY" test "$code" = 200
stop

# bad files: exit status 2, file:line: key: reason, nothing started
bad() {   # bad NAME YAML EXPECTED-MESSAGE [env...]
  file=$TMP/$1.yml
  printf '%b' "$2" >"$file"
  expect=$3
  shift 3
  run env "$@" "$BIN" serve --config "$file" --models "$MODELS"
  test "$rc" -eq 2 && has "$ERR" "$expect" && ! has "$OUT" "listening"
}
check "a bad number is refused with file, line and key" \
  bad num 'server:\n  queue: 3\n  port: http\n' \
  "num.yml:3: server.port: 'http' is not an integer"
check "an out-of-range value names the range" \
  bad range 'server:\n  port: 70000\n' "range.yml:2: server.port: 70000 is out of range 0..65535"
check "a bad choice lists the choices" \
  bad choice 'engine:\n  detector: yolo\n' \
  "choice.yml:2: engine.detector: 'yolo' is not one of ssd|tiny"
check "a match distance out of range" bad md 'engine:\n  match_distance: 2\n' \
  "md.yml:2: engine.match_distance: 2 is out of range 0.2..1"
check "a bad boolean" bad bool 'engine:\n  flip: maybe\n' \
  "bool.yml:2: engine.flip: 'maybe' is not true or false"
check "a map where a value belongs" bad map 'server:\n  port:\n    x: 1\n' \
  "map.yml:3: server.port: expected a single value, not a map"
check "YAML syntax errors carry the line" bad syntax 'server:\n  port: [1\n' \
  "syntax.yml:3: YAML"
check "duplicate keys are refused" bad dup 'server:\n  port: 1\n  port: 2\n' \
  "dup.yml:3: duplicate key 'port' (first on line 2)"
check "a missing secret is named" bad secret 'api_keys:\n  native: !secret nope\n' \
  "secret.yml:2: secret 'nope' is not in secrets.yml"
check "a bad environment value names the variable" \
  bad envbad 'server:\n  port: 0\n' "LIKENESS_PORT: 'x' is not an integer" \
  LIKENESS_PORT=x
run "$BIN" serve --config "$TMP/none.yml" --models "$MODELS"
check "a missing config file is an error" \
  sh -c "[ $rc -eq 2 ] && grep -qF 'none.yml: no such file' '$ERR'"

finish
