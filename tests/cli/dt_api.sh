#!/bin/sh
# dt_api.sh - Double Take's REST API on likeness serve, as Double Take's
# clients call it: a camera webhook fetches the camera's snapshot URL and
# names the person, the match is listed by /api/match with its image, and
# the camera's annotated latest image follows;
# GET /api/recognize?url= and POST /api/recognize (a Frigate event, with
# a Frigate played here by node) answer Double Take's result; uploads are
# queued; config and status; Double Take's errors and 422s. Each route's
# details are tested in tests/dt/test_dt_api_*.c.
set -eu
. "$(dirname "$0")/common.inc"
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

IPID=
cleanup() {
  st=$?
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
  [ -n "$IPID" ] && kill "$IPID" 2>/dev/null || true
  rm -rf "$TMP"
  exit "$st"
}
trap cleanup EXIT

BIDEN1=$DATA/lfw_small/Joseph_Biden/Joseph_Biden_0001.jpg
BIDEN3=$DATA/lfw_small/Joseph_Biden/Joseph_Biden_0003.jpg
HALLE=$DATA/lfw_small/Halle_Berry/Halle_Berry_0002.jpg

# A camera and a Frigate on one port: /halle.jpg is Halle Berry, any
# other .jpg is Joe Biden, /api/version is Frigate's.
IPORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
node -e '
const fs = require("fs");
const [port, biden, halle] = process.argv.slice(1);
const gotify = [];
require("http").createServer((q, r) => {
  if (q.url === "/api/version") return r.end("0.14.1");
  if (q.url === "/gotify/received") return r.end(JSON.stringify(gotify));
  if (q.method === "POST" && q.url.startsWith("/gotify/message")) {
    let body = "";
    q.on("data", (d) => { body += d; });
    return q.on("end", () => { gotify.push({ url: q.url, body: JSON.parse(body) }); r.end("{}"); });
  }
  if (!q.url.split("?")[0].endsWith(".jpg")) { r.statusCode = 404; return r.end(); }
  r.setHeader("content-type", "image/jpeg");
  r.end(fs.readFileSync(q.url.startsWith("/halle") ? halle : biden));
}).listen(+port, "127.0.0.1");
' "$IPORT" "$BIDEN3" "$HALLE" &
IPID=$!

cat >"$TMP/config.yml" <<YML
frigate:
  url: http://127.0.0.1:$IPORT
  attempts:
    latest: 1
    snapshot: 1
detect:
  match:
    min_area: 1000
schedule:
  disable:
    - days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]
      times: ["00:00-24:00"]
      cameras: [garage]
notify:
  gotify:
    url: http://127.0.0.1:$IPORT/gotify
    token: t0ken
    cameras: [front]
cameras:
  front:
    snapshot:
      url: http://127.0.0.1:$IPORT/front.jpg
  back: {}
server:
  data: $TMP/data
YML

check "serve starts with a Double Take config" \
  serve_start --config "$TMP/config.yml" --bind 127.0.0.1 --allow-private-urls
post /api/v1/people/Joe%20Biden/faces -F image=@"$BIDEN1"
check "Joe Biden is registered" test "$code" = 201

post /api/camera/front
check "the webhook answers 200" test "$code" = 200
check "it names the camera's person" js '
const o = JSON.parse(input);
ok(o.camera === "front", "camera " + o.camera);
ok(o.attempts === 1, "attempts " + o.attempts);
ok(o.counts.person === 1 && o.counts.match === 1, JSON.stringify(o.counts));
const m = o.matches[0];
ok(m.name === "joe biden" && m.match === true, JSON.stringify(m));
ok(m.detector === "likeness" && m.type === "camera-event", JSON.stringify(m));
ok(/^[0-9a-f-]{36}\.jpg$/.test(m.filename), "filename " + m.filename);
ok(/^[0-9a-f-]{36}$/.test(o.id), "id " + o.id);
ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(o.timestamp), o.timestamp);'

FILE=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).matches[0].filename)' "$OUT")
post /api/match
check "the match is kept: /api/match lists it" js '
const o = JSON.parse(input);
ok(o.total === 1 && o.matches[0].camera === "front", JSON.stringify(o));
ok(o.matches[0].file.filename === "'"$FILE"'", JSON.stringify(o.matches[0].file));'
set +e
curl -sS -o "$TMP/kept.jpg" \
  "http://127.0.0.1:$PORT/api/storage/matches/$FILE?box=true" 2>"$ERR"
set -e
check "... and its image, boxes drawn, is served" is_jpeg "$TMP/kept.jpg"

PORT_SAVED=$PORT; PORT=$IPORT
post /gotify/received
PORT=$PORT_SAVED
check "Gotify is told, for the camera it lists" js '
const g = JSON.parse(input);
ok(g.length === 1 && g[0].url === "/gotify/message?token=t0ken", input.slice(0, 200));
ok(/^front: joe biden - \d+(\.\d+)?%/.test(g[0].body.message), g[0].body.message.slice(0, 80));
ok(g[0].body.extras["client::display"].contentType === "text/markdown", "extras");'

set +e
curl -sS -o "$TMP/latest.jpg" -w '%{http_code} %{content_type}' \
  "http://127.0.0.1:$PORT/api/camera/front/latest.jpg" >"$OUT" 2>"$ERR"
set -e
check "the camera's last detection is an image" is_jpeg "$TMP/latest.jpg"
check "... served as image/jpeg" has "$OUT" "200 image/jpeg"
post /api/camera/back/latest.jpg
check "a camera without a detection: 404" test "$code" = 404

post /api/camera/back
check "a camera without a snapshot URL: 400, Double Take's words" \
  js 'ok(JSON.parse(input).error === "camera snapshot URL not found", input)'
post /api/camera/nowhere
check "an unknown camera: Double Take's words" \
  js 'ok(JSON.parse(input).error === "camera config not found", input)'

post "/api/recognize?url=http://127.0.0.1:$IPORT/halle.jpg&camera=door&results=all"
check "GET /api/recognize?url= answers 200" test "$code" = 200
check "a stranger is unknown, with every attempt's results" js '
const o = JSON.parse(input);
ok(o.camera === "door" && o.matches.length === 0, JSON.stringify(o));
ok(o.unknowns.length === 1 && o.unknowns[0].name === "unknown", JSON.stringify(o.unknowns));
ok(o.unknowns[0].type === "manual", o.unknowns[0].type);
ok(Array.isArray(o.results) && o.results[0].results[0].detector === "likeness",
   JSON.stringify(o.results));'
post "/api/recognize?url=http://127.0.0.1:$IPORT/missing.png"
check "an image that cannot be fetched: an error, not a crash" \
  js 'const o = JSON.parse(input); ok(/404/.test(o.error), input)'
post /api/recognize
check "no url: 422 with Double Take's error list" js '
const o = JSON.parse(input);
ok(o.errors[0].location === "query" && o.errors[0].key === "url", input)'
check "... status 422" test "$code" = 422
post "/api/recognize?url=x&attempts=ten"
check "attempts must be a number" \
  js 'ok(JSON.parse(input).errors[0].key === "attempts", input)'

EVENT='{"type":"new","before":{},"after":{"id":"1700000000.5-abcdef","camera":"front","label":"person","area":40000,"current_zones":["porch"]}}'
post /api/recognize -H 'content-type: application/json' -d "$EVENT"
check "POST /api/recognize polls Frigate for the event" js '
const o = JSON.parse(input);
ok(o.id === "1700000000.5-abcdef" && o.camera === "front", JSON.stringify(o));
ok(o.zones[0] === "porch", JSON.stringify(o.zones));
// snapshot first; the match stops the rounds (frigate.stop_on_match)
ok(o.attempts === 1 && o.matches[0].name === "joe biden", JSON.stringify(o));
ok(o.matches[0].type === "snapshot", o.matches[0].type);'
post /api/recognize -H 'content-type: application/json' \
  -d '{"type":"new","after":{"id":"e1","camera":"front","label":"car"}}'
check "an event the checks refuse: 400 with Double Take's reason" \
  js 'ok(JSON.parse(input).error === "e1 - car label not in (person)", input)'

post /api/recognize -H 'content-type: application/json' \
  -d '{"type":"new","after":{"id":"e2","camera":"garage","label":"person"}}'
check "schedule.disable turns a camera off" \
  js 'ok(JSON.parse(input).error === "e2 - garage disabled by schedule", input)'

post /api/recognize/upload -F "files[]=@$BIDEN3" -F "files[]=@$HALLE"
check "uploads are taken at once" js 'ok(JSON.parse(input).success === true, input)'
i=0
while [ $i -lt 100 ]; do
  post /api/status
  node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1])).events.processed >= 6 ? 0 : 1)' "$OUT" && break
  sleep 0.1
  i=$((i + 1))
done
check "... and processed: every event counted" js '
const o = JSON.parse(input);
ok(o.events.processed === 6 && o.events.failed === 1, JSON.stringify(o.events));
ok(o.events.matched === 3 && o.mqtt === false, JSON.stringify(o));'

# Double Take's training: a folder of photos (the camera's among them),
# taught to the gallery
post "/api/train/add/Halle%20Berry" -F "files[]=@$DATA/lfw_small/Halle_Berry/Halle_Berry_0001.jpg" \
  -F "files[]=@$HALLE"
check "POST /api/train/add queues the photos" \
  js 'ok(JSON.parse(input).message === "training queued for Halle Berry", input)'
i=0
while [ $i -lt 100 ]; do
  post /api/train/status
  node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1])); process.exit(s.some((x) => x.name === "Halle Berry" && x.percent === 100) ? 0 : 1)' "$OUT" && break
  sleep 0.1
  i=$((i + 1))
done
check "... and trains them" js '
ok(JSON.parse(input).some((x) => x.name === "Halle Berry" && x.trained === 2), input)'
post "/api/recognize?url=http://127.0.0.1:$IPORT/halle.jpg&camera=door"
check "the stranger of before is now Halle Berry" js '
const o = JSON.parse(input);
ok(o.matches.length === 1 && o.matches[0].name === "halle berry", JSON.stringify(o))'
post /api/filesystem/folders
check "her folder is listed" js 'ok(JSON.parse(input).includes("Halle Berry"), input)'

post /api/config
check "GET /api/config: the merged config" js '
const o = JSON.parse(input);
ok(o.detect.match.min_area === 1000 && o.detect.match.confidence === 60,
   JSON.stringify(o.detect));'
post "/api/config?format=yaml"
check "... and the file as written" has "$OUT" "snapshot:"
post "/api/config?format=toml"
check "an unknown format: 422" test "$code" = 422
post /api/config -X PATCH -H 'content-type: application/json' -d '{"code":"x: 1"}'
check "the config is not rewritten over HTTP" test "$code" = 400
post /api/status/mqtt
check "MQTT status: not configured" js '
const o = JSON.parse(input); ok(o.connected === false && o.status === "not configured", input)'
post /api/status/frigate
check "Frigate status: its version and the last event" js '
const o = JSON.parse(input);
ok(o.version === "0.14.1" && o.last.camera === "front", input)'
post /api/nothing/here
check "an unknown route: Double Take's 404" js '
ok(JSON.parse(input).error === "/api/nothing/here not found", input)'
check "... status 404" test "$code" = 404

kill "$PID"
wait "$PID" 2>/dev/null || true
PID=

check "without --allow-private-urls a client's URL is refused" \
  serve_start --config "$TMP/config.yml" --bind 127.0.0.1
post "/api/recognize?url=http://127.0.0.1:$IPORT/halle.jpg"
check "... with 400 and the guard's reason" \
  js 'ok(/refused/.test(JSON.parse(input).error), input)'
post /api/camera/front
check "... while the config's camera URL is trusted" test "$code" = 200

finish
