#!/bin/sh
# compare.sh - likeness compare: same person / different people with the
# distance (exit 0 both ways); exit 1 naming the image without a face.
set -eu
. "$(dirname "$0")/common.inc"

lfw=$DATA/lfw_small
lucy1=$lfw/Lucy_Liu/Lucy_Liu_0001.jpg
lucy2=$lfw/Lucy_Liu/Lucy_Liu_0002.jpg
paula=$lfw/Paula_Radcliffe/Paula_Radcliffe_0001.jpg
noface=$DATA/compreface_samples/_detection/017_0.jpg

run "$BIN" compare --models "$MODELS" "$lucy1" "$lucy2"
check "two photos of Lucy Liu: same person, exit 0" eval \
  'test "$rc" -eq 0 && grep -Eq "^same person \(distance 0\.[0-9]+, threshold 0\.6\)$" "$OUT"'
run "$BIN" compare --models "$MODELS" "$lucy1" "$paula"
check "Lucy Liu and Paula Radcliffe: different people, exit 0" eval \
  'test "$rc" -eq 0 && grep -Eq "^different people \(distance [0-9.]+, threshold 0\.6\)$" "$OUT"'
run "$BIN" compare --models "$MODELS" --threshold 0.01 "$lucy1" "$lucy2"
check "--threshold 0.01 makes them different people" \
  grep -q "^different people" "$OUT"
run "$BIN" compare --models "$MODELS" "$lucy1" "$lucy1"
check "an image against itself: distance 0" \
  grep -q "^same person (distance 0.0000," "$OUT"
run "$BIN" compare --models "$MODELS" "$lucy1" "$noface"
check "no face in B: exit 1, naming B" eval \
  'test "$rc" -eq 1 && has "$ERR" "no face found in $noface" && ! test -s "$OUT"'
run "$BIN" compare --models "$MODELS" "$TMP/missing.jpg" "$lucy1"
check "unreadable A: exit 1, naming A" eval \
  'test "$rc" -eq 1 && has "$ERR" "$TMP/missing.jpg"'
# the largest face decides: Tony Blair in front of a smaller face
run "$BIN" compare --models "$MODELS" "$lfw/Tony_Blair/Tony_Blair_0001.jpg" \
  "$lfw/Tony_Blair/Tony_Blair_0003.jpg"
check "the largest face of a two-face photo is compared" \
  grep -q "^same person" "$OUT"

finish
