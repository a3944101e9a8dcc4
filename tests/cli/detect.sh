#!/bin/sh
# detect.sh - likeness detect (table, JSON, --annotate JPEGs), rgb (our
# exact pixels as a PPM) and bench (its JSON summary line).
set -eu
. "$(dirname "$0")/common.inc"

lfw=$DATA/lfw_small
lucy=$lfw/Lucy_Liu/Lucy_Liu_0001.jpg
bbt4=$DATA/faceapi_bbt/_group/bbt4.jpg

run "$BIN" detect --models "$MODELS" "$lucy"
check "detect prints a table: size, face count, a row per face" eval \
  'test "$rc" -eq 0 && has "$OUT" "Lucy_Liu_0001.jpg (250x250): 1 face" &&
   grep -Eq "^ +1 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +0\.[0-9]{4}$" "$OUT"'
run "$BIN" detect --models "$MODELS" --json "$bbt4" "$lucy"
check "detect --json: the six Big Bang Theory faces, boxes only" js '
ok(lines.length === 2, "a line per image");
const [g, l] = lines.map((x) => JSON.parse(x));
ok(g.faces.length === 6, "6 faces in bbt4.jpg (README), got " + g.faces.length);
for (const f of g.faces.concat(l.faces)) {
  ok(isNum(f.box.x_min) && isNum(f.box.y_max) && isNum(f.score), "box, score");
  ok(!f.landmarks && !f.descriptor, "no landmarks or descriptor");
}
for (let i = 1; i < g.faces.length; i++)
  ok(g.faces[i - 1].score >= g.faces[i].score, "best score first");
ok(l.faces.length === 1, "one face in Lucy_Liu_0001.jpg");
'

run "$BIN" detect --models "$MODELS" --annotate "$TMP/last-detection.jpg" "$lucy"
check "--annotate with one image writes OUT as a JPEG" eval \
  'test "$rc" -eq 0 && is_jpeg "$TMP/last-detection.jpg"'
run "$BIN" detect --models "$MODELS" --json --annotate "$TMP/ann.jpg" \
  "$lucy" "$TMP/missing.jpg" "$bbt4"
check "--annotate with several images: OUT-1.jpg, OUT-3.jpg; exit 1" eval \
  'test "$rc" -eq 1 && is_jpeg "$TMP/ann-1.jpg" && is_jpeg "$TMP/ann-3.jpg" &&
   ! test -e "$TMP/ann-2.jpg" && ! test -e "$TMP/ann.jpg"'
run "$BIN" rgb "$TMP/ann-1.jpg" "$TMP/ann.ppm"
run "$BIN" rgb "$lucy" "$TMP/plain.ppm"
check "the annotated image differs from the plain one (boxes drawn)" eval \
  '! cmp -s "$TMP/ann.ppm" "$TMP/plain.ppm"'
run "$BIN" detect --models "$MODELS" --annotate "$TMP/no-such-dir/x.jpg" "$lucy"
check "--annotate into a missing folder: exit 1 with the reason" eval \
  'test "$rc" -eq 1 && has "$ERR" "no-such-dir"'

run "$BIN" rgb "$lucy" "$TMP/lucy.ppm"
check "rgb writes a binary PPM of the decoded pixels" eval \
  'test "$rc" -eq 0 && test "$(head -c 15 "$TMP/lucy.ppm")" = "P6
250 250
255" && test "$(wc -c <"$TMP/lucy.ppm")" -eq $((15 + 250 * 250 * 3))'
run "$BIN" rgb "$DATA/compreface_samples/_formats/truncated.jpg" "$TMP/t.ppm"
check "rgb of a truncated JPEG: exit 1, no file" eval \
  'test "$rc" -eq 1 && has "$ERR" "truncated.jpg" && ! test -e "$TMP/t.ppm"'

run "$BIN" bench --models "$MODELS" --runs 3 --json "$lucy" "$bbt4"
check "bench --json: the last line has the timings and the setup" js '
const o = JSON.parse(lines[lines.length - 1]);
for (const k of ["ms_per_image_full", "ms_per_image_detect",
                 "ms_per_face_descriptor"])
  ok(isNum(o[k]) && o[k] > 0, k + " is a positive number: " + o[k]);
ok(o.images === 2 && o.faces === 7, "2 images, 7 faces: " + o.faces);
ok(Number.isInteger(o.threads) && o.threads >= 1, "threads");
ok(typeof o.build === "string" && o.build.length > 3, "build");
'
run "$BIN" bench --models "$MODELS" --runs 1 "$lucy" "$TMP/missing.jpg"
check "bench with an unreadable image: exit 1" eval \
  'test "$rc" -eq 1 && has "$ERR" "missing.jpg"'

finish
