#!/bin/sh
# serve.sh - likeness serve end to end over real HTTP (curl): health check,
# DeepStack register/recognize/list/delete, a kill -9 and restart that
# keeps every acknowledged face, and SIGTERM draining to exit status 0.
set -eu
. "$(dirname "$0")/common.inc"
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

LFW=$DATA/lfw_small
GALLERY=$TMP/gallery
cleanup() {
  st=$?
  if [ -n "$PID" ]; then
    kill -9 "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$st"
}
trap cleanup EXIT

start() { serve_start --data "$GALLERY"; }

check "server starts and answers /healthz" start
check "healthz says ok" has "$OUT" '"status":"ok"'
check "healthz names the host (Home Assistant's machinebox check)" \
  has "$OUT" "\"hostname\":\"$(hostname)\""

post /v1/vision/face/register -F userid="Tony Blair" \
  -F image1=@"$LFW/Tony_Blair/Tony_Blair_0001.jpg" \
  -F image2=@"$LFW/Tony_Blair/Tony_Blair_0002.jpg"
check "register answers 200" test "$code" = 200
check "register says face added" has "$OUT" '"face added"'

post /v1/vision/face/register -F userid="Tony Blair" \
  -F image=@"$LFW/Tony_Blair/Tony_Blair_0004.jpg"
check "registering again says face updated" has "$OUT" '"face updated"'

count_images() { ls "$GALLERY/images" | wc -l | tr -d ' '; }
check "each registered face keeps its image in DATA/images" \
  test "$(count_images)" = 3

post /v1/vision/face/register -F image=@"$LFW/Tony_Blair/Tony_Blair_0004.jpg"
check "register without userid is 400" test "$code" = 400
check "... saying userid not specified" has "$OUT" '"userid not specified"'

post /v1/vision/face/recognize -F image=@"$LFW/Tony_Blair/Tony_Blair_0003.jpg"
check "recognize answers 200" test "$code" = 200
check "recognize names Tony Blair" has "$OUT" '"userid":"Tony Blair"'

# kill -9: every acknowledged face must survive the restart
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
check "server restarts on the same data" start
post /v1/vision/face/list -X POST
check "Tony Blair is still registered after kill -9" has "$OUT" '"Tony Blair"'
post /v1/vision/face/recognize -F image=@"$LFW/Tony_Blair/Tony_Blair_0003.jpg"
check "and still recognised" has "$OUT" '"userid":"Tony Blair"'

post /v1/vision/face/delete -F userid="Tony Blair"
check "delete answers 200" test "$code" = 200
post /v1/vision/face/list -X POST
check "list is empty after delete" has "$OUT" '"faces":[]'
check "and the deleted faces' images are gone" test "$(count_images)" = 0

post /no/such/path
check "unknown path is 404" test "$code" = 404
check "... in DeepStack's shape" has "$OUT" '"success":false'

# every API on the one gallery
post '/api/v1/recognition/faces?subject=Tony%20Blair' \
  -F file=@"$LFW/Tony_Blair/Tony_Blair_0002.jpg"
check "CompreFace adds a face" test "$code" = 201
post /api/v1/recognition/recognize -F file=@"$LFW/Tony_Blair/Tony_Blair_0003.jpg"
check "CompreFace recognizes it" has "$OUT" '"subject":"Tony Blair"'
post /api/v1/people -X GET
check "the native API lists the person" has "$OUT" '"name":"Tony Blair"'
post /v1/vision/face/list -X POST
check "... and so does DeepStack" has "$OUT" '"Tony Blair"'
post /facebox/similar -F file=@"$LFW/Tony_Blair/Tony_Blair_0003.jpg"
check "Facebox searches the same gallery" has "$OUT" '"name":"Tony Blair"'
post /facebox/nope
check "an unknown Facebox path in Facebox's shape" \
  sh -c "[ $code = 404 ] && grep -q '\"success\":false' '$OUT'"
post /openapi.json -X GET
check "the OpenAPI document is served" has "$OUT" '"openapi":"3.'
post /docs -X GET
check "and its docs page" has "$OUT" '<html'
post /api/v1/recognition/nope
check "an unknown CompreFace path answers in CompreFace's shape" \
  sh -c "[ $code = 404 ] && grep -q '\"code\":' '$OUT'"
post /api/v1/nope -X GET
check "an unknown native path in the native shape" \
  sh -c "[ $code = 404 ] && grep -q '\"error\":{' '$OUT'"
post /face/nope
check "an unknown seed path in the seed shape" has "$OUT" '"error_message"'

kill -TERM "$PID"
set +e
wait "$PID"
rc=$?
set -e
check "SIGTERM drains and exits 0" test "$rc" -eq 0
check "one log line per request" grep -q 'POST /v1/vision/face/recognize' "$TMP/serve.err"

finish
