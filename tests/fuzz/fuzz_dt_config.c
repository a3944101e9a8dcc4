/* fuzz_dt_config.c - libFuzzer target for Double Take configs: each input
 * is a config.yml (through a memfd, as fuzz_conf.c) whose first line may
 * be "#env NAME=value NAME=value" (a YAML comment) to set environment
 * variables. It is loaded into a tree, then into struct lk_dt_config, and
 * everything a server does with one follows: the unknown-key walk, JSON
 * with and without redaction, the log lines, every camera's view and the
 * schedule. Invariants checked with abort(): an error leaves a one-line
 * why; a loaded config is consistent (an enabled MQTT has a host and a
 * port, an enabled Frigate a URL, an enabled detector is configured).
 *
 * Built with -DLK_FUZZ=ON (clang) as tests/fuzz/fuzz_dt_config; without
 * it, tests/dt/test_dt_config_fuzzcheck.c includes this file and replays
 * seeds through the same function. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "dt/dt_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lk_fuzz_env {
  char text[256];                /* "NAME=value NAME=value" */
};

static const char *lk_fuzz_getenv(void *ctx, const char *name)
{
  struct lk_fuzz_env *e = ctx;
  static __thread char value[256];
  size_t len = strlen(name);
  const char *p = e->text;
  while(p && *p) {
    if(!strncmp(p, name, len) && p[len] == '=') {
      snprintf(value, sizeof value, "%.*s", (int)strcspn(p + len + 1, " "),
               p + len + 1);
      return value;
    }
    p = strchr(p, ' ');
    p = p ? p + 1 : NULL;
  }
  return NULL;
}

static void lk_fuzz_unknown(void *ctx, const char *path, int line)
{
  (void)ctx;
  if(!path || line < 1)
    abort();
}

static void lk_fuzz_line(void *ctx, const char *line)
{
  (void)ctx;
  if(!line[0] || strchr(line, '\n') || !strstr(line, " = "))
    abort();
}

static void lk_fuzz_strs(const struct lk_dt_strs *s)
{
  size_t i;
  for(i = 0; i < s->n; i++) {
    if(!s->v[i])
      abort();
  }
}

static void lk_fuzz_check(const struct lk_dt_config *c)
{
  struct lk_dt_camera_view v;
  size_t i;
  int k;
  if(c->mqtt.enabled && (!c->mqtt.hostname || !c->mqtt.hostname[0] ||
                         c->mqtt.port < 1 || c->mqtt.port > 65535))
    abort();
  if(c->frigate.enabled != (c->frigate.url.n > 0))
    abort();
  lk_fuzz_strs(&c->frigate.url);
  lk_fuzz_strs(&c->frigate.labels);
  lk_fuzz_strs(&c->mqtt.topics.frigate);
  for(k = 0; k < LK_DT_DETECTORS; k++) {
    if(c->detectors[k].enabled && !c->detectors[k].present)
      abort();
  }
  for(i = 0; i < c->n_cameras; i++) {
    lk_dt_config_camera(c, c->cameras[i].name, &v);
    if(v.camera != &c->cameras[i] || v.match.confidence < 0 ||
       v.match.confidence > 100)
      abort();
    lk_dt_config_disabled(c, c->cameras[i].name, (int)(i % 7), 600);
  }
  for(i = 0; i < c->frigate.n_events; i++)
    lk_dt_config_camera(c, c->frigate.events[i].camera, &v);
}

static void lk_fuzz_outputs(const struct lk_dt_config *c,
                            const struct lk_conf_node *root)
{
  cJSON *j = lk_dt_config_json(c, 0), *r = lk_dt_config_json(c, 1);
  if(!j || !r)
    abort();
  cJSON_Delete(j);
  cJSON_Delete(r);
  if(lk_dt_config_lines(c, lk_fuzz_line, NULL))
    abort();
  lk_conf_unknown(root, lk_dt_config_paths(), lk_fuzz_unknown, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct lk_arena *a;
  struct lk_conf_node *root = NULL;
  struct lk_dt_config cfg;
  struct lk_fuzz_env env = { "" };
  char why[LK_CONF_ERRMAX] = "", path[64];
  int fd = memfd_create("config.yml", 0);
  lk_err err;

  if(fd < 0)
    return 0;
  if(size > 5 && !memcmp(data, "#env ", 5)) {
    const uint8_t *nl = memchr(data + 5, '\n', size - 5);
    size_t n = (size_t)((nl ? nl : data + size) - (data + 5));
    n = n < sizeof env.text ? n : sizeof env.text - 1;
    memcpy(env.text, data + 5, n);     /* the input is not a string */
    env.text[n] = '\0';
  }
  if(write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return 0;
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  a = lk_arena_create((size_t)64 << 20);
  err = a ? lk_conf_load(path, a, &root, why) : LK_ERR_NOMEM;
  if(!err)
    err = lk_dt_config_load_env(root, "config.yml", lk_fuzz_getenv, &env, a,
                                &cfg, why);
  if(err && err != LK_ERR_NOMEM &&
     (!memchr(why, '\0', sizeof why) || strchr(why, '\n') || !why[0]))
    abort();
  if(!err) {
    lk_fuzz_check(&cfg);
    lk_fuzz_outputs(&cfg, root);
  }
  lk_arena_destroy(a);
  close(fd);
  return 0;
}
