/* test_conf_fuzzcheck.c - replays seed inputs through the config fuzz
 * target (tests/fuzz/fuzz_conf.c): its invariants abort() on a violation,
 * and no input may leave lk_malloc bytes behind. Crashers the fuzzer
 * finds belong in the table below. */
#include <string.h>

#include "../fuzz/fuzz_conf.c"
#include "base/log.h"
#include "test.h"

static const char *const seeds[] = {
  "", "a: 1\n", "- a\n", "a: [1, {b: c}]\n", "a: &x {b: 1}\nc: *x\n",
  "a: !secret s\n", "a: !!str 5\n", "a: !other x\n", "a:\n  a: 1\n  a: 2\n",
  "? [x]\n: y\n", "a: 'unterminated\n", "a: b: c\n", "\t\n", "%YAML 1.1\n---\na: 1\n",
  "---\na: 1\n---\nb: 2\n", "a: *undefined\n", "a: \"\\x00\"\n",
  "mqtt:\n  host: x\n  topics:\n    frigate: [a, b]\ncameras:\n  c1: {}\n",
  "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
};

static void test_replay_seeds(void)
{
  size_t i;
  for(i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    size_t before = lk_mem_in_use();
    LLVMFuzzerTestOneInput((const uint8_t *)seeds[i], strlen(seeds[i]));
    CHECK_MSG(lk_mem_in_use() == before, "seed %zu: leaked %zu bytes", i,
              lk_mem_in_use() - before);
  }
  /* bytes YAML may not hold */
  LLVMFuzzerTestOneInput((const uint8_t *)"a: \x00\xff\xfe", 6);
}

int main(void)
{
  lk_log_set_level(LK_LOG_ERROR);
  RUN(test_replay_seeds);
  return test_report();
}
