#!/bin/sh
# describe.sh - likeness describe: the JSON line of an image (box, score,
# 68 landmarks, 128 descriptor values in the image's pixels), an error line
# per unreadable image without stopping the run, and the exit status.
set -eu
. "$(dirname "$0")/common.inc"

lucy=$DATA/lfw_small/Lucy_Liu/Lucy_Liu_0001.jpg
formats=$DATA/compreface_samples/_formats

face_ok='
function faceOk(f, w, h) {
  const b = f.box;
  ok(isNum(b.x_min) && isNum(b.y_min) && isNum(b.x_max) && isNum(b.y_max),
     "box has four numbers");
  ok(b.x_min < b.x_max && b.y_min < b.y_max, "box is not empty");
  ok(b.x_min > -w / 4 && b.x_max < w * 1.25 && b.y_max < h * 1.25,
     "box lies on the image");
  ok(isNum(f.score) && f.score >= 0.5 && f.score <= 1, "score in [0.5, 1]");
  ok(Array.isArray(f.landmarks) && f.landmarks.length === 68, "68 landmarks");
  for (const p of f.landmarks)
    ok(p.length === 2 && isNum(p[0]) && isNum(p[1]), "landmark is [x, y]");
  const inBox = f.landmarks.filter(([x, y]) => x >= b.x_min - 10 &&
    x <= b.x_max + 10 && y >= b.y_min - 10 && y <= b.y_max + 10).length;
  ok(inBox >= 60, "landmarks lie in the box (" + inBox + " of 68)");
  ok(Array.isArray(f.descriptor) && f.descriptor.length === 128,
     "128 descriptor values");
  ok(f.descriptor.every(isNum), "descriptor values are numbers");
  const norm = Math.sqrt(f.descriptor.reduce((s, v) => s + v * v, 0));
  ok(norm > 0.1, "descriptor is not zero (norm " + norm + ")");
}
'

run "$BIN" describe --models "$MODELS" --json "$lucy"
check "describe of one face exits 0" test "$rc" -eq 0
check "describe prints one line: 250x250, one face, 68 points, 128 floats" \
  js "$face_ok"'
ok(lines.length === 1, "one line");
const o = JSON.parse(lines[0]);
ok(o.image === "'"$lucy"'", "image is the path given");
ok(o.width === 250 && o.height === 250, "LFW images are 250x250");
ok(o.faces.length === 1, "one face, got " + o.faces.length);
faceOk(o.faces[0], o.width, o.height);
for (const t of lines[0].match(/-?[0-9][0-9.]*(e[-+]?[0-9]+)?/g)) {
  const digits = t.split("e")[0].replace(/[-.]/g, "").replace(/^0+/, "");
  ok(digits.length <= 6, "6 significant digits at most: " + t);
}
'
cp "$OUT" "$TMP/first"
run "$BIN" describe --models "$MODELS" --json "$lucy"
check "describe twice gives the same bytes" cmp -s "$OUT" "$TMP/first"

run "$BIN" describe --models "$MODELS" --json "$formats/truncated.jpg" \
  "$lucy" "$formats/corrupted.png" "$TMP/missing.jpg" "$formats/einstein.png"
check "an unreadable image makes the exit status 1" test "$rc" -eq 1
check "every image gets its line, in order; errors say why" js "$face_ok"'
ok(lines.length === 5, "5 lines, got " + lines.length);
const o = lines.map((l) => JSON.parse(l));
const names = ["truncated.jpg", "Lucy_Liu_0001.jpg", "corrupted.png",
               "missing.jpg", "einstein.png"];
o.forEach((x, i) => ok(x.image.endsWith(names[i]), "line " + i + " order"));
for (const i of [0, 2, 3])
  ok(typeof o[i].error === "string" && o[i].error.length > 5 && !o[i].faces,
     "line " + i + " is an error with a reason");
ok(/found|exist/i.test(o[3].error), "a missing file says so: " + o[3].error);
for (const i of [1, 4]) {
  ok(!o[i].error && o[i].faces.length === 1, "line " + i + " has one face");
  faceOk(o[i].faces[0], o[i].width, o[i].height);
}
'

run "$BIN" describe --models "$MODELS" --detector tiny --align faceapi \
  --tiny-landmarks --input-size 320 --min-score 0.3 "$lucy"
check "tiny detector, faceapi crop and tiny landmarks work" js "$face_ok"'
const o = JSON.parse(lines[0]);
ok(o.faces.length >= 1, "a face");
faceOk(o.faces[0], o.width, o.height);
'
check "tiny + faceapi crop: a close but different descriptor" node -e '
const fs = require("fs");
const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).faces[0];
const b = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).faces[0];
const d = Math.hypot(...a.descriptor.map((v, i) => v - b.descriptor[i]));
if (!(d > 1e-4 && d < 0.6)) { console.error("  distance " + d); process.exit(1); }
' "$TMP/first" "$OUT"

finish
