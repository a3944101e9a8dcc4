/* test_dt_config_fuzzcheck.c - replays seed inputs through the Double Take
 * config fuzz target (tests/fuzz/fuzz_dt_config.c): its invariants abort()
 * on a violation, and no input may leave lk_malloc bytes behind. Seeds:
 * every example in tests/data/dt, and the table below (crashers the
 * fuzzer finds belong in it). */
#include <stdio.h>
#include <string.h>

#include "../fuzz/fuzz_dt_config.c"
#include "base/log.h"
#include "test.h"

static const char *const seeds[] = {
  "", "mqtt: x\n", "mqtt:\n  host: '[::1]:1883'\n", "mqtt:\n  host: '[::1'\n",
  "mqtt:\n  host: ':'\n", "mqtt:\n  host: 'a:'\n", "mqtt:\n  host: '[]:1'\n",
  "#env MQTT_HOST=b:1 DETECTORS=likeness,compreface COMPREFACE_URL=x\n",
  "#env DETECTORS=,,, FRIGATE_CAMERAS=,a,, TZ=UTC\nfrigate:\n  url: x\n",
  "#env LATEST_RETRIES=99999999999999999999999\n",
  "frigate:\n  url: [a, b]\nmqtt:\n  topics:\n    frigate: [c, d]\n",
  "frigate:\n  zones: [{camera: a, zone: b}, {}]\n",
  "frigate:\n  events:\n    a: ~\n    b: {attempts: {latest: 1}}\n    c: 1\n",
  "cameras:\n  a:\n    masks: {coordinates: ['0,0,1,1,2,2', '1e3,1,2,2,3,3'],"
  " size: 1x1}\n  b: {}\n",
  "cameras:\n  a:\n    masks: {coordinates: ',,,,,', size: 1x1}\n",
  "cameras:\n  a:\n    masks: {coordinates: '0,0,1,1,2,2', size: ' 9 X 9 '}\n",
  "schedule:\n  disable:\n    - {days: monday, times: '0:00-24:00', cameras: a}\n",
  "schedule:\n  disable:\n    - {days: monday, times: '24:00-24:01', "
  "cameras: a}\n",
  "token:\n  image: 1e308\n", "token:\n  image: .5 y\n",
  "token:\n  image: 0\n", "ui:\n  path: ////\n",
  "detect:\n  match:\n    confidence: 1e-999\n",
  "detectors:\n  compreface: {url: 'http://a', key: k}\n  likeness: false\n",
  "notify:\n  telegram: {token: t, chat_id: '@'}\n",
  "a: &x {b: 1}\ncameras:\n  c: *x\n  d: *x\n",
  "cameras:\n  'front.door': {snapshot: {url: 'http://u:p@h'}}\n",
  /* found by the fuzzer: a bad multi-line value made a two-line why */
  "frigate:\n  update_sub_labels: false\n    if omitted\n",
  /* ... and a list item spread over lines, two log lines */
  "frigate:\n  cameras: 1.05 garage\n    - tuesday\n",
  "frigate:\n  cameras: \"a\\nb\"\n",
  "cameras:\n  \"a\\nb\": {snapshot: {topic: c}}\n",
  /* ... and the harness read past an input with no line break */
  "#env MQTT_HOST=b\3001 DETECTORS=likelesKskey",
};

static void replay(const char *text, size_t len, const char *name)
{
  size_t before = lk_mem_in_use();
  LLVMFuzzerTestOneInput((const uint8_t *)text, len);
  CHECK_MSG(lk_mem_in_use() == before, "%s: leaked %zu bytes", name,
            lk_mem_in_use() - before);
}

static void test_replay_seeds(void)
{
  size_t i;
  char name[32];
  for(i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    snprintf(name, sizeof name, "seed %zu", i);
    replay(seeds[i], strlen(seeds[i]), name);
  }
}

static void test_replay_examples(void)
{
  static const char *const files[] = {
    "readme-defaults.yml", "readme-reference.yml", "readme-frigate.yml",
    "readme-secrets.yml", "readme-notify.yml", "fork-telegram.yml",
    "fork-reference.yml",
  };
  static char text[64 << 10];
  char path[512];
  size_t i, n;
  for(i = 0; i < sizeof files / sizeof files[0]; i++) {
    FILE *f;
    snprintf(path, sizeof path, "%s/data/dt/%s", LK_TESTS_DIR, files[i]);
    f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "%s", path);
    if(!f)
      continue;
    n = fread(text, 1, sizeof text, f);
    fclose(f);
    replay(text, n, files[i]);
  }
}

int main(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  cJSON_InitHooks(&hooks);
  lk_log_set_level(LK_LOG_ERROR);
  RUN(test_replay_seeds);
  RUN(test_replay_examples);
  return test_report();
}
