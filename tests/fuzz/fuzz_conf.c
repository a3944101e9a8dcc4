/* fuzz_conf.c - libFuzzer target for configuration files: each input is a
 * config.yml (read through a memfd, so by path as the server reads one),
 * loaded into a tree, walked for unknown keys and searched by dotted
 * paths. Invariants checked with abort(): an error leaves a one-line why
 * and no tree, a success a map at the root whose every node has a line.
 *
 * Built with -DLK_FUZZ=ON (clang) as tests/fuzz/fuzz_conf; without it,
 * tests/conf/test_conf_fuzzcheck.c includes this file and replays seeds
 * through the same function. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const lk_fuzz_known[] = {
  "server.port", "mqtt.host", "mqtt.topics", "cameras.*", "detect.match",
  "frigate", NULL
};

static void lk_fuzz_unknown(void *ctx, const char *path, int line)
{
  (void)ctx;
  if(!path || line < 1)
    abort();
}

static void lk_fuzz_walk(const struct lk_conf_node *n, int depth)
{
  size_t i;
  if(!n || n->line < 1 || depth > LK_CONF_MAX_DEPTH + 1)
    abort();
  if(n->kind == LK_CONF_SCALAR && !n->value)
    abort();
  for(i = 0; i < n->n; i++) {
    if(n->kind == LK_CONF_MAP && (!n->keys[i] || n->key_lines[i] < 1))
      abort();
    lk_fuzz_walk(n->items[i], depth + 1);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct lk_arena *a;
  struct lk_conf_node *root = NULL;
  char why[LK_CONF_ERRMAX] = "", path[64];
  int fd = memfd_create("config.yml", 0);
  lk_err err;

  if(fd < 0)
    return 0;
  if(write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return 0;
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  a = lk_arena_create((size_t)64 << 20);
  err = a ? lk_conf_load(path, a, &root, why) : LK_ERR_NOMEM;
  if(err != LK_ERR_NOMEM && err &&
     (root || !memchr(why, '\0', sizeof why) || strchr(why, '\n') ||
      !why[0]))
    abort();
  if(!err) {
    if(!root || root->kind != LK_CONF_MAP)
      abort();
    lk_fuzz_walk(root, 0);
    lk_conf_unknown(root, lk_fuzz_known, lk_fuzz_unknown, NULL);
    lk_conf_find(root, "mqtt.topics.frigate");
    lk_conf_find(root, "cameras");
  }
  lk_arena_destroy(a);
  close(fd);
  return 0;
}
