/* test_dt_event_fuzzcheck.c - replays seed inputs through the Frigate
 * event fuzz target (tests/fuzz/fuzz_dt_event.c): its invariants abort()
 * on a violation, and no input may leave lk_malloc bytes behind. Crashers
 * the fuzzer finds belong in the table. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../fuzz/fuzz_dt_event.c"
#include "test.h"

static const char *const seeds[] = {
  "", "{", "null", "[]", "{\"type\":\"new\"}",
  "{\"type\":\"new\",\"after\":{\"id\":\"1.2-ab\",\"camera\":\"front\","
  "\"label\":\"person\",\"area\":40000,\"current_zones\":[\"porch\"]}}",
  "{\"type\":\"update\",\"before\":{\"id\":\"x\",\"camera\":\"back yard\","
  "\"label\":\"face\",\"current_zones\":[\"gate\",5,null]}}",
  "{\"type\":\"end\",\"after\":{\"id\":\"x\",\"camera\":\"c\"}}",
  "{\"type\":\"new\",\"after\":{\"id\":\"a\\nb\",\"camera\":\"c\\nd\","
  "\"label\":\"l\\ne\"}}",
  "{\"type\":\"new\",\"after\":{\"id\":\"../../x?y#z\",\"camera\":"
  "\"%2e%2e\",\"label\":\"person\",\"area\":-1e308}}",
  "{\"type\":\"new\",\"after\":{\"id\":1,\"camera\":[]}}",
  "{\"type\":\"new\",\"after\":{\"id\":\"\",\"camera\":\"\"}}",
  "{\"type\":\"new\",\"after\":{\"id\":\"x\",\"camera\":\"front\","
  "\"label\":\"person\",\"area\":1e999,\"sub_label\":[\"a\",0.9]}}",
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
}

/* A long id: the URL does not fit and is refused, not cut. */
static void test_long_id(void)
{
  static char big[LK_FETCH_URL_MAX + 200];
  struct lk_arena *a = lk_arena_create((size_t)1 << 20);
  struct lk_dt_object ev;
  char url[LK_FETCH_URL_MAX], why[LK_DT_FRIGATE_ERRMAX];
  int n = snprintf(big, sizeof big, "{\"type\":\"new\",\"after\":"
                   "{\"camera\":\"front\",\"id\":\"");
  memset(big + n, 'x', LK_FETCH_URL_MAX);
  memcpy(big + n + LK_FETCH_URL_MAX, "\"}}", 4);
  LLVMFuzzerTestOneInput((const uint8_t *)big, strlen(big));
  CHECK(lk_dt_frigate_parse(big, strlen(big), a, &ev, why) == LK_OK);
  CHECK(lk_dt_frigate_url(url, sizeof url, "http://f", &ev,
                          LK_DT_FRIGATE_SNAPSHOT, 500, 1) < 0);
  lk_arena_destroy(a);
}

int main(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  cJSON_InitHooks(&hooks);
  RUN(test_replay_seeds);
  RUN(test_long_id);
  return test_report();
}
