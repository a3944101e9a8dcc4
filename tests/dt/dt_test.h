/* dt_test.h - what the Double Take config tests share: a fake
 * environment, config files written to a temporary folder (with a
 * secrets.yml beside them) or read from tests/data/dt, and string checks.
 *
 *   int main(void) { dt_test_begin(); RUN(test_x); return dt_test_end(); }
 */
#ifndef LK_DT_TEST_H
#define LK_DT_TEST_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "dt/dt_config.h"
#include "test.h"

#define DATA LK_TESTS_DIR "/data/dt/"

static char dir[] = "/tmp/lk_dt_XXXXXX";
static char why[LK_CONF_ERRMAX];

/* --- a fake environment -------------------------------------------------- */

struct env {
  const char *kv[48];            /* "NAME", "value", ..., NULL */
};

static inline const char *env_get(void *ctx, const char *name)
{
  const struct env *e = ctx;
  size_t i;
  for(i = 0; e && e->kv[i]; i += 2) {
    if(!strcmp(e->kv[i], name))
      return e->kv[i + 1];
  }
  return NULL;
}

/* --- loading ------------------------------------------------------------- */

static inline const char *put(const char *name, const char *text)
{
  static char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "w");
  CHECK(f != NULL);
  if(f) {
    fputs(text, f);
    fclose(f);
  }
  return path;
}

/* path's tree, read as "name" in messages; NULL path: no file */
static inline lk_err load_path(const char *path, const char *name,
                        const struct env *e, struct lk_arena *a,
                        struct lk_dt_config *cfg, struct lk_conf_node **rootp)
{
  struct lk_conf_node *root = NULL;
  lk_err err = path ? lk_conf_load(path, a, &root, why) : LK_OK;
  if(rootp)
    *rootp = root;
  if(err)
    return err;
  return lk_dt_config_load_env(root, name, env_get, (void *)e, a, cfg, why);
}

static inline lk_err load_text(const char *text, const struct env *e,
                        struct lk_arena *a, struct lk_dt_config *cfg)
{
  return load_path(put("config.yml", text), "config.yml", e, a, cfg, NULL);
}

static inline lk_err load_data(const char *name, const struct env *e,
                        struct lk_arena *a, struct lk_dt_config *cfg,
                        struct lk_conf_node **root)
{
  char path[512];
  snprintf(path, sizeof path, DATA "%s", name);
  return load_path(path, name, e, a, cfg, root);
}

static inline int str_is(const char *got, const char *want)
{
  if(!got || !want)
    return got == want;
  return !strcmp(got, want);
}

static inline const char *show(const char *s)
{
  return s ? s : "(null)";
}

#define CHECK_STR(got, want) CHECK_MSG(str_is(got, want), "'%s' != '%s'", \
                                       show(got), show(want))

static inline int strs_are(const struct lk_dt_strs *s, const char *const *want,
                    size_t n)
{
  size_t i;
  if(s->n != n)
    return 0;
  for(i = 0; i < n; i++) {
    if(!str_is(s->v[i], want[i]))
      return 0;
  }
  return 1;
}
#define CHECK_STRS(s, ...) do { \
    static const char *const want_[] = { __VA_ARGS__ }; \
    CHECK(strs_are(&(s), want_, sizeof want_ / sizeof want_[0])); \
  } while(0)

static size_t dt_test_mem0;

static inline void dt_test_begin(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  cJSON_InitHooks(&hooks);     /* JSON counted by lk_mem_in_use too */
  lk_log_set_level(LK_LOG_ERROR);
  dt_test_mem0 = lk_mem_in_use();
  if(!mkdtemp(dir)) {
    perror(dir);
    exit(1);
  }
  put("secrets.yml", "mqtt_pass: pw\nbroker: secret-broker.lan\n"
      "port: eighty\n");
}

static inline int dt_test_end(void)
{
  char cmd[300];
  int rc;
  CHECK_MSG(lk_mem_in_use() == dt_test_mem0, "%zu bytes still allocated",
            lk_mem_in_use() - dt_test_mem0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  rc = test_report();
  return system(cmd) == 0 ? rc : 1;
}

#endif
