/* dt_config_int.h - inside the Double Take config module: the key tables
 * every section is read, checked, merged and printed by, and the loader's
 * state. Nothing outside src/dt includes this.
 *
 * A table lists keys below a section ("attempts.latest" below "frigate"),
 * each with its type, where it goes in a struct, its default written as in
 * the file, its range and its environment variable. One engine applies a
 * table to a map (dt_apply), one writes it back as JSON (dt_json_table).
 * Tables of a repeated shape (struct lk_dt_attempts, lk_dt_detector) are
 * written once and applied at several places. */
#ifndef LK_DT_CONFIG_INT_H
#define LK_DT_CONFIG_INT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "dt_config.h"

/* A dotted key path ("cameras.front-door.masks.size"), for messages */
#define DT_PATHMAX 512

enum dt_type {
  DT_BOOL,      /* int: true/false yes/no on/off 1/0 */
  DT_WHOLE,     /* long, in range */
  DT_NUM,       /* double, in range */
  DT_STR,       /* const char *, through check */
  DT_STRS,      /* struct lk_dt_strs: one value or a list; env: a,b,c */
  DT_ENUM,      /* int: index in names (any case) */
  DT_BASE64,    /* enum lk_dt_base64: a boolean or box */
  DT_HA,        /* const char *: a topic, or false for NULL */
  DT_DURATION,  /* struct lk_dt_duration: seconds, or "24h" (vercel/ms) */
  DT_SIZE,      /* struct lk_dt_size: WIDTHxHEIGHT */
  DT_MASKS,     /* struct lk_dt_polygons: "x1,y1,..." or a list of them */
  DT_MAP,       /* a struct read by sub */
  DT_LIST       /* { item *v; size_t n; }: a list of maps read by sub */
};

/* range */
#define DT_MIN 1u
#define DT_MAX 2u
#define DT_GT  4u          /* min excluded */

/* flags */
#define DT_REQUIRED 1u     /* an error when absent (its map being given) */
#define DT_GLOBAL   2u     /* not in per-camera overrides (purge) */
#define DT_ALIAS    4u     /* another spelling of `as` (mqtt.user) */

struct dt_load;
/* Checks (and may rewrite into *out) one text value; NULL when fine, else
 * what was expected ("an http:// or https:// URL"). */
typedef const char *(*dt_check_fn)(struct dt_load *l, const char *in,
                                   const char **out);

struct dt_table;

struct dt_key {
  const char *path;             /* below the table's map */
  enum dt_type type;
  size_t off;                   /* in the table's struct */
  const char *def;              /* default, as written in a file */
  double min, max;
  unsigned range;
  const char *env;              /* environment variable, or NULL */
  dt_check_fn check;            /* DT_STR, DT_STRS items */
  const char *const *names;     /* DT_ENUM, NULL-terminated */
  const struct dt_table *sub;   /* DT_MAP, DT_LIST */
  unsigned flags;
  const char *as;               /* DT_ALIAS: the key it stands for */
};

struct dt_table {
  const struct dt_key *keys;
  size_t n;
  size_t size;                  /* of the struct, for DT_LIST items */
};

#define DT_KEY(p, t, o, d) .path = (p), .type = (t), .off = (o), .def = (d)
#define DT_TABLE(keys, type) \
  { keys, sizeof keys / sizeof keys[0], sizeof(type) }
#define DT_RANGE(lo, hi) .min = (lo), .max = (hi), .range = DT_MIN | DT_MAX
#define DT_ATLEAST(lo) .min = (lo), .range = DT_MIN
#define DT_ABOVE(lo) .min = (lo), .range = DT_MIN | DT_GT

struct dt_load {
  struct lk_arena *arena;
  const char *file;
  char *why;
  lk_dt_getenv_fn getenv;
  void *env_ctx;
  struct lk_dt_config *cfg;
};

/* Where a value was read, for messages and origins. */
struct dt_where {
  const char *path;             /* full dotted path */
  int line;                     /* in the file; 0: not from the file */
  const char *env;              /* the variable it came from, or NULL */
};

/* How a table is applied to a map. */
struct dt_apply {
  const char *prefix;           /* the map's full path, "" at the root */
  const struct lk_conf_node *node;  /* the map, or NULL (absent) */
  int line;                     /* of the map's key, for "required" */
  void *base;                   /* the struct the offsets are in */
  int override;                 /* no defaults, no environment, no
                                   DT_GLOBAL keys; given keys go in *set */
  unsigned *set;
  int strict;                   /* keys not in the table are errors */
};

/* Each key of t from a's map, its default and its environment variable;
 * errors name file, line and key (or variable). */
lk_err dt_apply(struct dt_load *l, const struct dt_table *t,
                const struct dt_apply *a);

/* One value for k into dst, from node n or (n NULL) from text (an
 * environment variable, a default); w says where, for messages. */
lk_err dt_value(struct dt_load *l, const struct dt_key *k,
                const struct lk_conf_node *n, const char *text,
                const struct dt_where *w, void *dst);

/* Fails with why = "file:line: path: <fmt>" (no line: "path: ..."; from
 * the environment: "ENV (path): ..."). */
lk_err dt_fail(struct dt_load *l, const struct dt_where *w, const char *fmt,
               ...) __attribute__((format(printf, 3, 4)));

/* The node at path below map n (NULL: absent or null); a step through
 * something that is not a map fails naming it. */
lk_err dt_find(struct dt_load *l, const struct lk_conf_node *n,
               const char *prefix, const char *path,
               const struct lk_conf_node **out);

char *dt_strdup(struct dt_load *l, const char *s);
char *dt_join(struct dt_load *l, const char *a, const char *b);  /* a.b */

/* The fixed sections of the file, in the order they are read and shown
 * (dt_config_keys.c). */
#define DT_NOFLAG ((size_t)-1)
#define DT_SEC_MENTIONED 1u   /* read only when in the file or environment */
#define DT_SEC_ALWAYS    2u   /* present even when not mentioned */

struct dt_section {
  const char *prefix;           /* "frigate.attempts"; "" for the root */
  const struct dt_table *t;
  size_t off;                   /* of the table's struct in lk_dt_config */
  size_t present;               /* of an int set when mentioned, or
                                   DT_NOFLAG */
  unsigned flags;
  /* in the JSON output? NULL: always */
  int (*shown)(const struct lk_dt_config *c, const struct dt_section *s);
};
extern const struct dt_section dt_sections[];
extern const size_t dt_n_sections;

/* Origins: where each value came from, newest first. */
struct lk_dt_origins {
  struct dt_where w;
  int secret;                   /* from !secret */
  struct lk_dt_origins *next;
};
lk_err dt_origin_add(struct dt_load *l, const struct dt_where *w, int secret);
const struct dt_where *dt_origin(const struct lk_dt_config *c,
                                 const char *path, int *secret);

/* Double Take's redact-secrets.util.js: keys whose name says password,
 * key, secret or token. */
int dt_secret_name(const char *key);

/* "HH:MM-HH:MM" into minutes of the day, start before end; 0 if not. */
int dt_time_range(const char *s, int *start, int *end);

/* Checks shared by the tables. */
const char *dt_check_url(struct dt_load *l, const char *in, const char **out);
const char *dt_check_topic(struct dt_load *l, const char *in,
                           const char **out);
const char *dt_check_nonempty(struct dt_load *l, const char *in,
                              const char **out);

/* Tables shared by several sections (dt_config_keys.c). */
extern const struct dt_table dt_match_table, dt_unknown_table;
extern const struct dt_table dt_attempts_table, dt_image_table;
extern const struct dt_table dt_camera_table;

/* Names the user chooses (dt_config_cameras.c). */
lk_err dt_load_cameras(struct dt_load *l, const struct lk_conf_node *root);
lk_err dt_load_events(struct dt_load *l, const struct lk_conf_node *root);
cJSON *dt_json_cameras(const struct lk_dt_config *c, int redact);
cJSON *dt_json_events(const struct lk_dt_config *c, int redact);

/* The object at dotted path below obj, made when missing; NULL: no
 * memory, or something else is there. */
cJSON *dt_json_path(cJSON *obj, const char *path);

/* A table's values as JSON members of obj (dt_config_json.c); with
 * override, only the keys whose bit is in set. 0: out of memory. prefix
 * is the map's full path, to find where values came from. */
int dt_json_table(const struct lk_dt_config *c, const struct dt_table *t,
                  const char *prefix, const void *base, int override,
                  unsigned set, int redact, cJSON *obj);

#endif
