#!/bin/sh
# encode_recognize.sh - likeness encode writes the seed's dataset format
# from a folder per person or inline JSON, the same bytes whatever the
# thread count; recognize names a held-out photo of an enrolled person,
# says unknown for a stranger, and refuses malformed datasets by entry.
set -eu
. "$(dirname "$0")/common.inc"

lfw=$DATA/lfw_small
people="Britney_Spears Jack_Straw Lucy_Liu"
mkdir "$TMP/people"
for p in $people; do
  mkdir "$TMP/people/$p"
  cp "$lfw/$p/${p}_0001.jpg" "$lfw/$p/${p}_0002.jpg" "$TMP/people/$p/"
done
touch "$TMP/people/.hidden" "$TMP/people/Lucy_Liu/.DS_Store"
echo "not a person" >"$TMP/people/README.txt"
echo "not an image" >"$TMP/people/Jack_Straw/notes.txt"
ds=$TMP/dataset.json

run "$BIN" encode --models "$MODELS" -p "$TMP/people" -o "$ds" --threads 2
check "encode -p exits 0" test "$rc" -eq 0
check "encode warns about the non-images, not the hidden files" eval \
  'has "$ERR" "README.txt" && has "$ERR" "notes.txt" && ! has "$ERR" ".DS_Store"'
check "encode summary: 6 images read, 6 encoded" has "$ERR" \
  "6 images read, 6 encoded"
check "no progress bar when stderr is not a terminal" eval '! has "$ERR" "#"'
cp "$ds" "$OUT"
check "the dataset is [[person, \"f1,...,f128\"], ...] sorted by person" js '
const d = JSON.parse(input);
ok(Array.isArray(d) && d.length === 6, "6 entries");
const want = ["Britney_Spears", "Britney_Spears", "Jack_Straw", "Jack_Straw",
              "Lucy_Liu", "Lucy_Liu"];
d.forEach((e, i) => {
  ok(Array.isArray(e) && e.length === 2, "entry " + i + " is a pair");
  ok(e[0] === want[i], "entry " + i + " is " + want[i] + ", not " + e[0]);
  const v = e[1].split(",");
  ok(typeof e[1] === "string" && v.length === 128, "128 values in a string");
  ok(v.every((x) => /^-?[0-9.]+(e[-+][0-9]+)?$/.test(x) && isNum(Number(x))),
     "values are plain numbers");
});
'

run "$BIN" encode --models "$MODELS" -p "$TMP/people" -o "$TMP/t1.json" \
  --threads 1
check "one thread writes the same bytes as two" cmp -s "$ds" "$TMP/t1.json"

inline="{\"Lucy_Liu\":[\"$TMP/people/Lucy_Liu/Lucy_Liu_0002.jpg\","
inline="$inline\"$TMP/people/Lucy_Liu/Lucy_Liu_0001.jpg\"],"
inline="$inline\"Britney_Spears\":[\"$TMP/people/Britney_Spears/Britney_Spears_0001.jpg\","
inline="$inline\"$TMP/people/Britney_Spears/Britney_Spears_0002.jpg\"],"
inline="$inline\"Jack_Straw\":[\"$TMP/people/Jack_Straw/Jack_Straw_0001.jpg\","
inline="$inline\"$TMP/people/Jack_Straw/Jack_Straw_0002.jpg\"]}"
run "$BIN" encode --models "$MODELS" -i "$inline" -o "$TMP/inline.json"
check "encode -i JSON gives the same dataset as -p" cmp -s "$ds" "$TMP/inline.json"
printf '%s' "$inline" >"$TMP/inline-spec.json"
run "$BIN" encode --models "$MODELS" -i "@$TMP/inline-spec.json" \
  -o "$TMP/inline2.json"
check "encode -i @FILE reads the JSON from the file" cmp -s "$ds" "$TMP/inline2.json"
run "$BIN" encode --models "$MODELS" -i '["a.jpg"]' -o "$TMP/x.json"
check "encode -i with a non-object: exit 1 with the expected shape" eval \
  'test "$rc" -eq 1 && has "$ERR" "expected a JSON object"'

# recognize: held-out photos of the enrolled people, and a stranger
run "$BIN" recognize --models "$MODELS" -d "$ds" \
  "$lfw/Lucy_Liu/Lucy_Liu_0003.jpg" "$lfw/Jack_Straw/Jack_Straw_0004.jpg" \
  "$lfw/Paula_Radcliffe/Paula_Radcliffe_0001.jpg"
check "recognize exits 0" test "$rc" -eq 0
check "recognize names Lucy_Liu and Jack_Straw, says unknown for a stranger" eval \
  'grep -A1 "Lucy_Liu_0003.jpg: 1 face" "$OUT" | grep -q ": Lucy_Liu (distance" &&
   grep -A1 "Jack_Straw_0004.jpg: 1 face" "$OUT" | grep -q ": Jack_Straw (distance" &&
   grep -A1 "Paula_Radcliffe_0001.jpg: 1 face" "$OUT" | grep -q ": unknown (nearest"'
run "$BIN" recognize --models "$MODELS" -d "$ds" --json \
  "$lfw/Lucy_Liu/Lucy_Liu_0003.jpg" "$TMP/missing.jpg" \
  "$lfw/Paula_Radcliffe/Paula_Radcliffe_0001.jpg"
check "recognize --json: exit 1 for the missing image" test "$rc" -eq 1
check "recognize --json: name, distance, confidence = 1 - distance" js '
ok(lines.length === 3, "a line per image");
const [a, m, b] = lines.map((l) => JSON.parse(l));
ok(m.error && /missing/.test(m.image), "the missing image has an error");
const fa = a.faces[0], fb = b.faces[0];
ok(fa.name === "Lucy_Liu" && fa.nearest === "Lucy_Liu", "Lucy_Liu named");
ok(fa.distance > 0 && fa.distance <= 0.6, "distance within the threshold");
ok(Math.abs(fa.confidence - (1 - fa.distance)) < 1e-5, "confidence");
ok(fb.name === "unknown" && fb.distance > 0.6, "the stranger is unknown");
ok(typeof fb.nearest === "string", "the nearest person is still given");
ok(isNum(fa.box.x_min) && isNum(fa.score), "box and score");
'
run "$BIN" recognize --models "$MODELS" -d "$ds" --threshold 2 \
  "$lfw/Paula_Radcliffe/Paula_Radcliffe_0001.jpg"
check "--threshold 2 names even a stranger" eval \
  '! has "$OUT" "unknown" && has "$OUT" "(distance"'

# a strict dataset reader: each kind of damage names the entry
bad_dataset() {
  what=$1
  expect=$2
  if ! node -e "
let d = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
$3
require('fs').writeFileSync(process.argv[2], JSON.stringify(d));
" "$ds" "$TMP/bad.json"; then
    check "dataset with $what: could be made" false
    return
  fi
  run "$BIN" recognize --models "$MODELS" -d "$TMP/bad.json" \
    "$lfw/Lucy_Liu/Lucy_Liu_0003.jpg"
  check "dataset with $what: exit 1, '$expect'" eval \
    'test "$rc" -eq 1 && has "$ERR" "$expect" && ! test -s "$OUT"'
}
bad_dataset "a short descriptor" "entry 2 (\"Britney_Spears\"): the descriptor has 127 values" \
  'd[1][1] = d[1][1].split(",").slice(1).join(",");'
bad_dataset "a long descriptor" "entry 6 (\"Lucy_Liu\"): the descriptor has 129 values" \
  'd[5][1] += ",0.5";'
bad_dataset "a non-numeric value" "entry 3 (\"Jack_Straw\"): value 5 ('abc') is not a number" \
  'const v = d[2][1].split(","); v[4] = "abc"; d[2][1] = v.join(",");'
bad_dataset "an empty value" "entry 1 (\"Britney_Spears\"): value 2 ('') is not a number" \
  'const v = d[0][1].split(","); v[1] = ""; d[0][1] = v.join(",");'
bad_dataset "an entry that is not a pair" "entry 4 is not an array" \
  'd[3] = d[3][0];'
bad_dataset "a numeric name" "entry 1: the name is not a non-empty string" \
  'd[0][0] = 7;'
bad_dataset "descriptor as an array" "entry 2 (\"Britney_Spears\"): the descriptor is not a string" \
  'd[1][1] = d[1][1].split(",").map(Number);'
bad_dataset "an object at the top" "not a JSON array" 'd = {a: d};'
printf '[["x", "1,2' >"$TMP/bad.json"
run "$BIN" recognize --models "$MODELS" -d "$TMP/bad.json" "$lfw/Lucy_Liu/Lucy_Liu_0003.jpg"
check "truncated JSON: exit 1, 'not valid JSON'" eval \
  'test "$rc" -eq 1 && has "$ERR" "not valid JSON"'
run "$BIN" recognize --models "$MODELS" -d "$TMP/none.json" "$lfw/Lucy_Liu/Lucy_Liu_0003.jpg"
check "missing dataset: exit 1 naming it" eval \
  'test "$rc" -eq 1 && has "$ERR" "$TMP/none.json"'

# encode's summary sorts out the images it skipped
formats=$DATA/compreface_samples/_formats
mkdir -p "$TMP/mixed/Lucy_Liu"
cp "$lfw/Lucy_Liu/Lucy_Liu_0001.jpg" "$formats/truncated.jpg" \
  "$DATA/compreface_samples/_detection/017_0.jpg" \
  "$DATA/faceapi_bbt/_group/bbt4.jpg" "$TMP/mixed/Lucy_Liu/"
run "$BIN" encode --models "$MODELS" -p "$TMP/mixed" -o "$TMP/mixed.json"
check "encode with an unreadable image: exit 1, the rest still written" eval \
  'test "$rc" -eq 1 && has "$ERR" "4 images read, 1 encoded"'
check "the summary lists no-face, several-faces and unreadable images" eval \
  'grep -A1 "no face" "$ERR" | grep -q 017_0.jpg &&
   grep -A1 "more than one face" "$ERR" | grep -q "bbt4.jpg (" &&
   grep -A1 "could not read" "$ERR" | grep -q "truncated.jpg: "'
cp "$TMP/mixed.json" "$OUT"
check "the dataset holds the single-face image" js '
const d = JSON.parse(input);
ok(d.length === 1 && d[0][0] === "Lucy_Liu", "one Lucy_Liu entry");
'

finish
