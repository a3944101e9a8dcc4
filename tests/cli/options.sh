#!/bin/sh
# options.sh - the command line itself: usage errors exit 2 with a message
# and the usage on stderr, --help shows options and defaults on stdout,
# missing models exit 1 naming the folder and how to fetch them.
set -eu
. "$(dirname "$0")/common.inc"

img=$DATA/lfw_small/Lucy_Liu/Lucy_Liu_0001.jpg

# usage_error WHAT EXPECTED-IN-STDERR ARGS...
usage_error() {
  what=$1
  expect=$2
  shift 2
  run "$BIN" "$@"
  check "$what: exit 2" test "$rc" -eq 2
  check "$what: says '$expect' and shows the usage" \
    eval 'has "$ERR" "$expect" && has "$ERR" "usage: likeness" && ! test -s "$OUT"'
}

usage_error "no command" "commands:"
usage_error "unknown command" "unknown command 'frobnicate'" frobnicate
usage_error "unknown option" "unknown option '--bogus'" describe --bogus "$img"
usage_error "option of another command" "unknown option '--threshold'" \
  describe --threshold 0.5 "$img"
usage_error "missing value" "--min-score needs a value" describe "$img" --min-score
usage_error "not a number" "'0.5x' is not a number" describe --min-score 0.5x "$img"
usage_error "not an integer" "'2.5' is not an integer" encode --threads 2.5 -p d -o o
usage_error "out of range" "out of range" describe --min-score=1.5 "$img"
usage_error "empty number" "'' is not a number" compare --threshold= "$img" "$img"
usage_error "bad choice" "'mtcnn' is not one of ssd|tiny" detect --detector mtcnn "$img"
usage_error "input size not a multiple of 32" "multiple of 32" \
  describe --detector tiny --input-size 200 "$img"
usage_error "flag with a value" "--json takes no value" detect --json=1 "$img"
usage_error "no image" "missing arguments" describe --json
usage_error "compare needs two images" "too many arguments" compare a b c
usage_error "rgb needs an output" "missing arguments" rgb "$img"
usage_error "encode needs -p or -i" "either -p DIR or -i JSON" encode -o x.json
usage_error "encode -p and -i together" "either -p DIR or -i JSON" \
  encode -p a -i '{}' -o x.json
usage_error "encode needs -o" "-o FILE is required" encode -p "$DATA/lfw_small"
usage_error "recognize needs -d" "-d DATASET is required" recognize "$img"

run "$BIN" --help
check "likeness --help lists the commands, exit 0" eval \
  'test "$rc" -eq 0 && has "$OUT" describe && has "$OUT" encode && has "$OUT" bench'
for cmd in describe detect encode recognize compare bench rgb; do
  run "$BIN" "$cmd" --help
  check "$cmd --help: usage and options on stdout, exit 0" eval \
    'test "$rc" -eq 0 && has "$OUT" "usage: likeness $cmd" && has "$OUT" "--help"'
done
run "$BIN" describe --min-score 0.9 --help
check "--help shows the defaults, not the values given" eval \
  'has "$OUT" "(default: 0.5)" && has "$OUT" "(default: ssd)" && has "$OUT" "(default: similarity)"'
run "$BIN" recognize --help
check "recognize --help: threshold default 0.6, confidence explained" eval \
  'has "$OUT" "(default: 0.6)" && has "$OUT" "1 - distance"'
run "$BIN" encode --help
check "encode --help: threads default is the CPU count" \
  has "$OUT" "(default: number of online CPUs)"
run "$BIN" version
check "version prints the version" eval 'test "$rc" -eq 0 && has "$OUT" "likeness 0."'

run "$BIN" describe --models "$TMP/no-models" "$img"
check "missing models: exit 1, naming the folder and tools/fetch-models.sh" \
  eval 'test "$rc" -eq 1 && has "$ERR" "$TMP/no-models" && has "$ERR" "tools/fetch-models.sh"'
run env LIKENESS_MODELS="$TMP/env-models" "$BIN" detect "$img"
check "LIKENESS_MODELS is the default models folder" \
  eval 'test "$rc" -eq 1 && has "$ERR" "$TMP/env-models"'
run "$BIN" describe --models "$MODELS" --max-pixels 1000 "$img"
check "--max-pixels refuses a larger image" eval \
  'test "$rc" -eq 1 && has "$OUT" "\"error\""'
run "$BIN" describe --models "$MODELS" -- "$img"
check "-- ends the options" test "$rc" -eq 0

finish
