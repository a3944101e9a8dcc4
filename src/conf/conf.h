/* conf.h - configuration files: YAML (libyaml) read into a small tree that
 * remembers the line of every node, Home Assistant's `!secret name` taken
 * from secrets.yml beside the file, lookups by dotted path, and a walk that
 * reports keys nobody reads. What the keys mean lives with their users
 * (src/cli/cli_config.c); this layer only reads and locates.
 *
 * Threads: a tree is read-only once loaded and lives in the caller's arena.
 *
 *   struct lk_conf_node *root;  char why[LK_CONF_ERRMAX];
 *   err = lk_conf_load("config.yml", arena, &root, why);
 *   const struct lk_conf_node *n = lk_conf_find(root, "server.port");
 *   if(n && n->kind == LK_CONF_SCALAR) use n->value, report n->line
 *   lk_conf_unknown(root, known_paths, warn, ctx);
 */
#ifndef LK_CONF_H
#define LK_CONF_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"

#define LK_CONF_ERRMAX 512
#define LK_CONF_MAX_BYTES (4 << 20)  /* a config file larger is refused */
#define LK_CONF_MAX_DEPTH 32
#define LK_CONF_MAX_NODES 100000     /* values, aliases expanded */

enum lk_conf_kind { LK_CONF_SCALAR, LK_CONF_MAP, LK_CONF_SEQ };

struct lk_conf_node {
  enum lk_conf_kind kind;
  int line;                    /* 1-based, in the file it came from */
  /* Scalars: the text ("" for an empty value). null is set for a plain
   * null, ~ or empty value (YAML's null), which users write to mean "not
   * set". secret is set when the text came from secrets.yml. */
  const char *value;
  int null;
  int secret;
  /* Maps: keys[i] (on line key_lines[i]) -> items[i], in file order.
   * Sequences: items only. */
  size_t n;
  const char **keys;
  int *key_lines;
  struct lk_conf_node **items;
};

/* Read a YAML file (one document; an empty file is an empty map) into a
 * tree in arena. `!secret NAME` scalars are replaced by NAME's value in
 * secrets.yml in the same folder. Errors, with why naming file and line:
 * LK_ERR_NOT_FOUND (file missing), LK_ERR_IO, LK_ERR_TOO_LARGE (the file,
 * or more than LK_CONF_MAX_NODES values once aliases are expanded),
 * LK_ERR_INVAL (YAML syntax, duplicate key, a key that is not a scalar,
 * a root that is not a map, a missing secret or secrets.yml, nesting
 * deeper than LK_CONF_MAX_DEPTH), LK_ERR_NOMEM. */
lk_err lk_conf_load(const char *path, struct lk_arena *arena,
                    struct lk_conf_node **root, char *why);

/* The node at a dotted path of map keys ("mqtt.topics.frigate"), or NULL
 * when a step is missing or not a map. Keys containing dots cannot be
 * reached this way; walk the maps instead. */
const struct lk_conf_node *lk_conf_find(const struct lk_conf_node *root,
                                        const char *path);

/* Report every map key whose dotted path nobody reads. known is a
 * NULL-terminated list of paths: a key whose path is listed is accepted
 * with everything below it; "*" stands for any one key, so "cameras.*"
 * accepts any key under cameras with everything below it and
 * "cameras.*.snapshot.url" that one key under each camera; a key that is
 * a prefix of a listed path ("mqtt" of "mqtt.host") is descended into.
 * Everything else is reported once, in file order, with its line, and not
 * descended into. */
typedef void (*lk_conf_unknown_fn)(void *ctx, const char *path, int line);
void lk_conf_unknown(const struct lk_conf_node *root,
                     const char *const *known, lk_conf_unknown_fn fn,
                     void *ctx);

#endif
