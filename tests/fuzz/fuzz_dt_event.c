/* fuzz_dt_event.c - libFuzzer target for Frigate's events, as MQTT and
 * POST /api/recognize hand them to the Double Take service: each input is
 * a frigate/events payload, parsed, checked against two filters (Double
 * Take's defaults, and a camera, zone and area list), and turned into the
 * snapshot and latest URLs Double Take polls. Invariants checked with
 * abort(): a refused payload leaves a why; a parsed event has an id and
 * a camera; a check that refuses says why; a URL,
 * when it fits, starts with the base and names the event's image.
 *
 * Built with -DLK_FUZZ=ON (clang) as tests/fuzz/fuzz_dt_event; without it,
 * tests/dt/test_dt_event_fuzzcheck.c includes this file and replays seeds
 * through the same function. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt/dt_frigate.h"
#include "fetch/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A refusal always says why (ids and cameras in it are the sender's,
 * control characters included: the log layer keeps them on one line). */
static void lk_fuzz_why(const char *s)
{
  if(!s || !*s)
    abort();
}

static void lk_fuzz_urls(const struct lk_dt_object *ev)
{
  static const char base[] = "http://frigate:5000";
  char url[LK_FETCH_URL_MAX];
  int n = lk_dt_frigate_url(url, sizeof url, base, ev,
                            LK_DT_FRIGATE_SNAPSHOT, 500, 1);
  if(n >= 0 && (strncmp(url, base, sizeof base - 1) ||
                !strstr(url, "snapshot.jpg")))
    abort();
  n = lk_dt_frigate_url(url, sizeof url, base, ev, LK_DT_FRIGATE_LATEST,
                        0, 0);
  if(n >= 0 && (strncmp(url, base, sizeof base - 1) ||
                !strstr(url, "latest.jpg")))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const labels[] = { "person", "face", NULL };
  static const char *const cameras[] = { "front", "back yard", NULL };
  static const struct lk_dt_frigate_zone zones[] = {
    { "front", "porch" }, { "back yard", "gate" }
  };
  struct lk_dt_frigate_filter f;
  struct lk_arena *a = lk_arena_create((size_t)64 << 20);
  struct lk_dt_object ev;
  char why[LK_DT_FRIGATE_ERRMAX] = "";
  const char *skip;

  if(!a)
    return 0;
  memset(&ev, 0, sizeof ev);
  if(lk_dt_frigate_parse(data, size, a, &ev, why)) {
    lk_fuzz_why(why);
  } else {
    if(!ev.id || !ev.camera || ev.n_zones < 0)
      abort();
    memset(&f, 0, sizeof f);
    if((skip = lk_dt_frigate_check(&ev, &f, a)))
      lk_fuzz_why(skip);
    f.labels = labels;
    f.cameras = cameras;
    f.zones = zones;
    f.n_zones = 2;
    f.min_area = 100;
    if((skip = lk_dt_frigate_check(&ev, &f, a)))
      lk_fuzz_why(skip);
    lk_fuzz_urls(&ev);
  }
  lk_arena_destroy(a);
  return 0;
}
