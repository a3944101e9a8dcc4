/* test_conf.c - YAML configuration files: values and their lines, nulls,
 * !secret from secrets.yml, anchors, lookups, unknown keys, and every
 * error naming its file and line (syntax, duplicate keys, bad secrets,
 * oversized files, alias bombs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "test.h"

static char dir[] = "/tmp/lk_conf_XXXXXX";
static char why[LK_CONF_ERRMAX];

static const char *put(const char *name, const char *text)
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

static lk_err load(const char *text, struct lk_arena *a,
                   struct lk_conf_node **root)
{
  return lk_conf_load(put("config.yml", text), a, root, why);
}

static const char *val(const struct lk_conf_node *root, const char *path)
{
  const struct lk_conf_node *n = lk_conf_find(root, path);
  return n && n->kind == LK_CONF_SCALAR ? n->value : NULL;
}

static int line(const struct lk_conf_node *root, const char *path)
{
  const struct lk_conf_node *n = lk_conf_find(root, path);
  return n ? n->line : -1;
}

/* A Double Take style config: nested maps, lists, comments, quoting. */
static const char *const dt_config =
  "# Double Take\n"
  "mqtt:\n"
  "  host: 192.168.1.10:1883\n"
  "  username: !secret mqtt_user\n"
  "  password: !secret mqtt_pass\n"
  "  topics:\n"
  "    frigate: [frigate/events, frigate2/events]\n"
  "frigate:\n"
  "  url: http://frigate.lan:5000\n"
  "  update_sub_labels: true\n"
  "  labels:\n"
  "    - person\n"
  "  attempts: &att\n"
  "    latest: 5\n"
  "    snapshot: 5\n"
  "cameras:\n"
  "  front-door:\n"
  "    snapshot:\n"
  "      url: http://cam/snap.jpg\n"
  "  back:\n"
  "    attempts: *att\n"
  "detect:\n"
  "  match:\n"
  "    confidence: 60\n"
  "    purge:\n"
  "    base64: ~\n"
  "  unknown:\n"
  "    confidence: \"null\"\n"
  "notify:\n"
  "  telegram:\n"
  "    chat_id: '123'\n";

static void test_values(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_conf_node *root = NULL;
  const struct lk_conf_node *n;

  put("secrets.yml", "mqtt_user: frigate\nmqtt_pass: \"s3cr:et\"\n");
  CHECK_MSG(load(dt_config, a, &root) == LK_OK, "%s", why);
  CHECK(root && root->kind == LK_CONF_MAP && root->n == 5);
  CHECK(!strcmp(val(root, "mqtt.host"), "192.168.1.10:1883"));
  CHECK(line(root, "mqtt.host") == 3);
  CHECK(!strcmp(val(root, "mqtt.username"), "frigate"));
  CHECK(lk_conf_find(root, "mqtt.username")->secret);
  CHECK(!strcmp(val(root, "mqtt.password"), "s3cr:et"));
  CHECK(line(root, "mqtt.password") == 5);   /* the config's line */
  n = lk_conf_find(root, "mqtt.topics.frigate");
  CHECK(n && n->kind == LK_CONF_SEQ && n->n == 2);
  CHECK(n && !strcmp(n->items[1]->value, "frigate2/events"));
  n = lk_conf_find(root, "frigate.labels");
  CHECK(n && n->kind == LK_CONF_SEQ && n->n == 1 && n->line == 12);
  CHECK(!strcmp(val(root, "frigate.update_sub_labels"), "true"));
  CHECK(!strcmp(val(root, "cameras.back.attempts.latest"), "5"));  /* alias */
  CHECK(!strcmp(val(root, "cameras.front-door.snapshot.url"),
                "http://cam/snap.jpg"));
  CHECK(lk_conf_find(root, "detect.match.purge")->null);
  CHECK(lk_conf_find(root, "detect.match.base64")->null);
  CHECK(!lk_conf_find(root, "detect.match.confidence")->null);
  CHECK(!lk_conf_find(root, "detect.unknown.confidence")->null); /* quoted */
  CHECK(!strcmp(val(root, "notify.telegram.chat_id"), "123"));
  CHECK(lk_conf_find(root, "nope") == NULL);
  CHECK(lk_conf_find(root, "mqtt.host.deeper") == NULL);
  CHECK(lk_conf_find(root, "") == root);

  /* an empty file sets nothing */
  CHECK(load("", a, &root) == LK_OK && root->kind == LK_CONF_MAP &&
        root->n == 0);
  CHECK(load("# only a comment\n", a, &root) == LK_OK && root->n == 0);
  lk_arena_destroy(a);
}

struct seen {
  char paths[16][128];
  int lines[16];
  int n;
};

static void remember(void *ctx, const char *path, int ln)
{
  struct seen *s = ctx;
  if(s->n < 16) {
    snprintf(s->paths[s->n], sizeof s->paths[0], "%s", path);
    s->lines[s->n++] = ln;
  }
}

static void test_unknown_keys(void)
{
  static const char *const known[] = {
    "mqtt.host", "mqtt.username", "mqtt.password", "mqtt.topics",
    "frigate.url", "frigate.labels", "frigate.attempts.latest",
    "cameras.*", "detect.match.confidence", "detect.match.purge",
    "notify", NULL
  };
  static const char *const wild[] = {
    "cameras.*.snapshot.url", "detect", "notify.*", NULL
  };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_conf_node *root = NULL;
  struct seen s;

  memset(&s, 0, sizeof s);
  put("secrets.yml", "mqtt_user: u\nmqtt_pass: p\n");
  CHECK_MSG(load(dt_config, a, &root) == LK_OK, "%s", why);
  lk_conf_unknown(root, known, remember, &s);
  CHECK_MSG(s.n == 4, "%d unknown keys", s.n);
  CHECK(!strcmp(s.paths[0], "frigate.update_sub_labels") && s.lines[0] == 10);
  CHECK(!strcmp(s.paths[1], "frigate.attempts.snapshot") && s.lines[1] == 15);
  CHECK(!strcmp(s.paths[2], "detect.match.base64") && s.lines[2] == 26);
  CHECK(!strcmp(s.paths[3], "detect.unknown") && s.lines[3] == 27);

  /* "*" in the middle: one key under each camera, the rest reported */
  memset(&s, 0, sizeof s);
  lk_conf_unknown(root, wild, remember, &s);
  CHECK_MSG(s.n == 3, "%d unknown keys", s.n);
  CHECK(!strcmp(s.paths[0], "mqtt") && s.lines[0] == 2);
  CHECK(!strcmp(s.paths[1], "frigate") && s.lines[1] == 8);
  CHECK(!strcmp(s.paths[2], "cameras.back.attempts") && s.lines[2] == 21);
  lk_arena_destroy(a);
}

static void expect_error(const char *text, lk_err want, const char *needle)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_conf_node *root = NULL;
  lk_err err = load(text, a, &root);
  CHECK_MSG(err == want, "got %d want %d (%s)", (int)err, (int)want, why);
  CHECK_MSG(strstr(why, needle) != NULL, "'%s' lacks '%s'", why, needle);
  lk_arena_destroy(a);
}

static void test_errors(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_conf_node *root = NULL;
  char path[600], *big;
  size_t i;

  snprintf(path, sizeof path, "%s/missing.yml", dir);
  CHECK(lk_conf_load(path, a, &root, why) == LK_ERR_NOT_FOUND);
  CHECK(strstr(why, "missing.yml: no such file") != NULL);
  CHECK(lk_conf_load(dir, a, &root, why) != LK_OK);      /* a folder */

  expect_error("a: 1\nb: [1,\n", LK_ERR_INVAL, "config.yml:3: YAML");
  expect_error("a: 1\nb:\n  c: 1\n  c: 2\n", LK_ERR_INVAL,
               "config.yml:4: duplicate key 'c' (first on line 3)");
  expect_error("? [a, b]\n: 1\n", LK_ERR_INVAL, "a key must be a plain");
  expect_error("- a\n- b\n", LK_ERR_INVAL, "config.yml:1: the file must be a "
               "map");
  expect_error("a: just text\n", LK_OK, "");
  expect_error("a: !include other.yml\n", LK_ERR_INVAL,
               "config.yml:1: unknown tag !include");
  expect_error("x:\n  a: !secret nope\n", LK_ERR_INVAL,
               "config.yml:2: secret 'nope' is not in secrets.yml");
  put("secrets.yml", "inner: !secret x\n");
  expect_error("a: !secret inner\n", LK_ERR_INVAL, "!secret inside secrets");
  put("secrets.yml", "- not a map\n");
  expect_error("a: !secret x\n", LK_ERR_INVAL, "secrets.yml:1: the file must");
  snprintf(path, sizeof path, "%s/secrets.yml", dir);
  unlink(path);
  expect_error("a: !secret x\n", LK_ERR_INVAL, "but there is no");

  /* ten levels of ten aliases: 10^10 values if copied */
  {
    char bomb[2048] = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for(i = 1; i < 10; i++)
      snprintf(bomb + strlen(bomb), sizeof bomb - strlen(bomb),
               "a%zu: &a%zu [*a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, "
               "*a%zu, *a%zu, *a%zu]\n", i, i, i - 1, i - 1, i - 1, i - 1,
               i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    expect_error(bomb, LK_ERR_TOO_LARGE, "more than 100000 values");
  }
  /* a file past the ceiling */
  big = malloc(LK_CONF_MAX_BYTES + 100);
  CHECK(big != NULL);
  if(big) {
    memset(big, '#', LK_CONF_MAX_BYTES + 99);
    big[LK_CONF_MAX_BYTES + 99] = 0;
    expect_error(big, LK_ERR_TOO_LARGE, "larger than");
    free(big);
  }
  lk_arena_destroy(a);
}

int main(void)
{
  char cmd[300];
  int rc;
  size_t mem0 = lk_mem_in_use();
  if(!mkdtemp(dir))
    return 1;
  RUN(test_values);
  RUN(test_unknown_keys);
  RUN(test_errors);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes still allocated",
            lk_mem_in_use() - mem0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  rc = test_report();
  return system(cmd) == 0 ? rc : 1;
}
