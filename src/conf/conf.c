/* conf.c - YAML files into line-numbered trees, with !secret. libyaml
 * parses (its document API resolves anchors and aliases); this file copies
 * the document into the caller's arena, checks what YAML allows but a
 * configuration must not have (duplicate keys, non-scalar keys), and
 * answers lookups. */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

struct lk_conf_load {
  struct lk_arena *arena;
  const char *path;            /* the file being read, for messages */
  const char *dir;             /* its folder, for secrets.yml */
  struct lk_conf_node *secrets;/* loaded on the first !secret */
  int in_secrets;
  long nodes;                  /* copied so far, against LK_CONF_MAX_NODES */
  char *why;
};

static lk_err lk_conf_fail(const struct lk_conf_load *l, lk_err err,
                           int line, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

static lk_err lk_conf_fail(const struct lk_conf_load *l, lk_err err,
                           int line, const char *fmt, ...)
{
  va_list ap;
  int n;
  if(!l->why)
    return err;
  n = line > 0 ? snprintf(l->why, LK_CONF_ERRMAX, "%s:%d: ", l->path, line)
               : snprintf(l->why, LK_CONF_ERRMAX, "%s: ", l->path);
  if(n < 0 || n >= LK_CONF_ERRMAX)
    return err;
  va_start(ap, fmt);
  vsnprintf(l->why + n, LK_CONF_ERRMAX - (size_t)n, fmt, ap);
  va_end(ap);
  return err;
}

static lk_err lk_conf_read(struct lk_conf_load *l, const char *path,
                           struct lk_conf_node **out);

/* The value of secret name, from secrets.yml beside the file. */
static lk_err lk_conf_secret(struct lk_conf_load *l, const char *name,
                             int line, const char **value)
{
  const struct lk_conf_node *n;
  lk_err err;
  if(l->in_secrets)
    return lk_conf_fail(l, LK_ERR_INVAL, line, "!secret inside secrets.yml");
  if(!l->secrets) {
    char path[4096];
    struct lk_conf_load sl = *l;
    if(snprintf(path, sizeof path, "%s/secrets.yml", l->dir) >=
       (int)sizeof path)
      return lk_conf_fail(l, LK_ERR_INVAL, line, "path too long");
    sl.path = path;
    sl.in_secrets = 1;
    err = lk_conf_read(&sl, path, &l->secrets);
    if(err == LK_ERR_NOT_FOUND)
      return lk_conf_fail(l, LK_ERR_INVAL, line, "!secret %s, but there is "
                          "no %s", name, path);
    if(err)
      return err;
  }
  /* a key, not a dotted path: secret names may contain dots */
  for(size_t i = 0; i < l->secrets->n; i++) {
    n = l->secrets->items[i];
    if(!strcmp(l->secrets->keys[i], name) && n->kind == LK_CONF_SCALAR) {
      *value = n->value;
      return LK_OK;
    }
  }
  return lk_conf_fail(l, LK_ERR_INVAL, line, "secret '%s' is not in "
                      "secrets.yml (or is not a plain value)", name);
}

static lk_err lk_conf_node(struct lk_conf_load *l, yaml_document_t *doc,
                           yaml_node_t *y, int depth,
                           struct lk_conf_node **out);

static lk_err lk_conf_scalar(struct lk_conf_load *l, yaml_node_t *y,
                             struct lk_conf_node *n)
{
  const char *tag = (const char *)y->tag;
  n->value = lk_arena_strndup(l->arena, (const char *)y->data.scalar.value,
                              y->data.scalar.length);
  if(!n->value)
    return LK_ERR_NOMEM;
  if(tag && !strcmp(tag, "!secret")) {
    n->secret = 1;
    return lk_conf_secret(l, n->value, n->line, &n->value);
  }
  if(tag && tag[0] == '!' && tag[1] != '!')
    return lk_conf_fail(l, LK_ERR_INVAL, n->line, "unknown tag %s (only "
                        "!secret is understood)", tag);
  n->null = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (!n->value[0] || !strcmp(n->value, "~") ||
             !strcmp(n->value, "null") || !strcmp(n->value, "Null") ||
             !strcmp(n->value, "NULL"));
  return LK_OK;
}

static lk_err lk_conf_map(struct lk_conf_load *l, yaml_document_t *doc,
                          yaml_node_t *y, int depth, struct lk_conf_node *n)
{
  yaml_node_pair_t *p = y->data.mapping.pairs.start;
  size_t i, count = (size_t)(y->data.mapping.pairs.top - p);
  lk_err err;

  n->keys = lk_arena_calloc(l->arena, (count ? count : 1) * sizeof *n->keys);
  n->items = lk_arena_calloc(l->arena, (count ? count : 1) * sizeof *n->items);
  n->key_lines = lk_arena_calloc(l->arena,
                                 (count ? count : 1) * sizeof *n->key_lines);
  if(!n->keys || !n->items || !n->key_lines)
    return LK_ERR_NOMEM;
  for(i = 0; i < count; i++) {
    yaml_node_t *k = yaml_document_get_node(doc, p[i].key);
    yaml_node_t *v = yaml_document_get_node(doc, p[i].value);
    size_t j;
    if(!k || !v || k->type != YAML_SCALAR_NODE)
      return lk_conf_fail(l, LK_ERR_INVAL, k ? (int)k->start_mark.line + 1
                          : n->line, "a key must be a plain value");
    n->keys[i] = lk_arena_strndup(l->arena, (const char *)k->data.scalar.value,
                                  k->data.scalar.length);
    if(!n->keys[i])
      return LK_ERR_NOMEM;
    n->key_lines[i] = (int)k->start_mark.line + 1;
    for(j = 0; j < i; j++) {
      if(!strcmp(n->keys[j], n->keys[i]))
        return lk_conf_fail(l, LK_ERR_INVAL, n->key_lines[i],
                            "duplicate key '%s' (first on line %d)",
                            n->keys[i], n->key_lines[j]);
    }
    err = lk_conf_node(l, doc, v, depth + 1, &n->items[i]);
    if(err)
      return err;
    n->n = i + 1;
  }
  return LK_OK;
}

static lk_err lk_conf_seq(struct lk_conf_load *l, yaml_document_t *doc,
                          yaml_node_t *y, int depth, struct lk_conf_node *n)
{
  yaml_node_item_t *it = y->data.sequence.items.start;
  size_t i, count = (size_t)(y->data.sequence.items.top - it);
  lk_err err;

  n->items = lk_arena_calloc(l->arena, (count ? count : 1) * sizeof *n->items);
  if(!n->items)
    return LK_ERR_NOMEM;
  for(i = 0; i < count; i++) {
    yaml_node_t *v = yaml_document_get_node(doc, it[i]);
    if(!v)
      return lk_conf_fail(l, LK_ERR_INVAL, n->line, "broken sequence");
    err = lk_conf_node(l, doc, v, depth + 1, &n->items[i]);
    if(err)
      return err;
    n->n = i + 1;
  }
  return LK_OK;
}

static lk_err lk_conf_node(struct lk_conf_load *l, yaml_document_t *doc,
                           yaml_node_t *y, int depth,
                           struct lk_conf_node **out)
{
  struct lk_conf_node *n = lk_arena_calloc(l->arena, sizeof *n);
  if(!n)
    return LK_ERR_NOMEM;
  *out = n;
  n->line = (int)y->start_mark.line + 1;
  /* aliases can make a small file a huge tree ("billion laughs") */
  if(depth > LK_CONF_MAX_DEPTH)
    return lk_conf_fail(l, LK_ERR_INVAL, n->line, "nested deeper than %d",
                        LK_CONF_MAX_DEPTH);
  if(++l->nodes > LK_CONF_MAX_NODES)
    return lk_conf_fail(l, LK_ERR_TOO_LARGE, n->line, "more than %d values "
                        "(aliases included)", LK_CONF_MAX_NODES);
  switch(y->type) {
  case YAML_SCALAR_NODE:
    n->kind = LK_CONF_SCALAR;
    return lk_conf_scalar(l, y, n);
  case YAML_MAPPING_NODE:
    n->kind = LK_CONF_MAP;
    return lk_conf_map(l, doc, y, depth, n);
  case YAML_SEQUENCE_NODE:
    n->kind = LK_CONF_SEQ;
    return lk_conf_seq(l, doc, y, depth, n);
  default:
    return lk_conf_fail(l, LK_ERR_INVAL, n->line, "empty node");
  }
}

static lk_err lk_conf_parse(struct lk_conf_load *l, const unsigned char *text,
                            size_t len, struct lk_conf_node **out)
{
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *root;
  lk_err err;

  if(!yaml_parser_initialize(&parser))
    return LK_ERR_NOMEM;
  yaml_parser_set_input_string(&parser, text, len);
  if(!yaml_parser_load(&parser, &doc)) {
    err = lk_conf_fail(l, LK_ERR_INVAL, (int)parser.problem_mark.line + 1,
                       "YAML: %s%s%s", parser.problem ? parser.problem
                       : "syntax error", parser.context ? " " : "",
                       parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    return err;
  }
  root = yaml_document_get_root_node(&doc);
  if(!root) {                       /* an empty file: nothing set */
    *out = lk_arena_calloc(l->arena, sizeof **out);
    err = *out ? LK_OK : LK_ERR_NOMEM;
    if(*out) {
      (*out)->kind = LK_CONF_MAP;
      (*out)->line = 1;
    }
  } else if(root->type != YAML_MAPPING_NODE) {
    err = lk_conf_fail(l, LK_ERR_INVAL, (int)root->start_mark.line + 1,
                       "the file must be a map of keys (key: value)");
  } else {
    err = lk_conf_node(l, &doc, root, 0, out);
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return err;
}

/* The whole file, NUL-terminated, up to LK_CONF_MAX_BYTES. */
static lk_err lk_conf_slurp(struct lk_conf_load *l, const char *path,
                            unsigned char **text, size_t *len)
{
  FILE *f = fopen(path, "rb");
  size_t got = 0, n, cap = LK_CONF_MAX_BYTES + 1;
  unsigned char *buf;
  struct stat sb;
  *text = NULL;
  if(!f)
    return errno == ENOENT ? LK_ERR_NOT_FOUND
           : lk_conf_fail(l, LK_ERR_IO, 0, "%s", strerror(errno));
  /* a regular file's size, so a small config takes a small buffer; one
   * byte more shows a file that grew past it */
  if(!fstat(fileno(f), &sb) && S_ISREG(sb.st_mode) &&
     (size_t)sb.st_size < LK_CONF_MAX_BYTES)
    cap = (size_t)sb.st_size + 2;
  buf = lk_malloc(cap);
  if(!buf) {
    fclose(f);
    return LK_ERR_NOMEM;
  }
  while(got < cap - 1 && (n = fread(buf + got, 1, cap - 1 - got, f)) > 0)
    got += n;
  n = got == cap - 1 ? fread(buf + got, 1, 1, f) : 0;   /* past the end? */
  if(n > 0 || ferror(f)) {
    lk_err err = n > 0 && got >= LK_CONF_MAX_BYTES
                 ? lk_conf_fail(l, LK_ERR_TOO_LARGE, 0, "larger than %d "
                                "bytes", LK_CONF_MAX_BYTES)
                 : lk_conf_fail(l, LK_ERR_IO, 0, n > 0 ? "changed while "
                                "being read" : "read error");
    fclose(f);
    lk_free(buf);
    return err;
  }
  fclose(f);
  buf[got] = 0;
  *text = buf;
  *len = got;
  return LK_OK;
}

static lk_err lk_conf_read(struct lk_conf_load *l, const char *path,
                           struct lk_conf_node **out)
{
  unsigned char *text;
  size_t len = 0;
  lk_err err = lk_conf_slurp(l, path, &text, &len);
  if(err)
    return err;
  err = lk_conf_parse(l, text, len, out);
  lk_free(text);
  return err;
}

lk_err lk_conf_load(const char *path, struct lk_arena *arena,
                    struct lk_conf_node **root, char *why)
{
  struct lk_conf_load l;
  const char *slash = strrchr(path, '/');
  char *dir;
  lk_err err;

  *root = NULL;
  memset(&l, 0, sizeof l);
  l.arena = arena;
  l.path = path;
  l.why = why;
  if(why)
    why[0] = '\0';
  dir = slash ? lk_arena_strndup(arena, path, (size_t)(slash - path))
              : lk_arena_strndup(arena, ".", 1);
  if(!dir)
    return LK_ERR_NOMEM;
  l.dir = slash == path ? "/" : dir;
  err = lk_conf_read(&l, path, root);
  if(err == LK_ERR_NOT_FOUND)
    lk_conf_fail(&l, err, 0, "no such file");
  if(err)
    *root = NULL;        /* no half-built tree (it is in the arena) */
  return err;
}

const struct lk_conf_node *lk_conf_find(const struct lk_conf_node *root,
                                        const char *path)
{
  const struct lk_conf_node *n = root;
  while(n && *path) {
    size_t len = strcspn(path, "."), i;
    const struct lk_conf_node *next = NULL;
    if(n->kind != LK_CONF_MAP)
      return NULL;
    for(i = 0; i < n->n && !next; i++) {
      if(strlen(n->keys[i]) == len && !memcmp(n->keys[i], path, len))
        next = n->items[i];
    }
    n = next;
    path += len;
    if(*path == '.')
      path++;
  }
  return n;
}

/* How pattern k covers path, one dotted key at a time ("*" stands for
 * any one key): 2 when they match, or path lies below what k names
 * (accept all of it); 1 when path is a proper prefix of k (descend);
 * 0 otherwise. */
static int lk_conf_match(const char *k, const char *path)
{
  for(;;) {
    size_t kl = strcspn(k, "."), pl = strcspn(path, ".");
    if(!(kl == 1 && k[0] == '*') && (kl != pl || memcmp(k, path, kl)))
      return 0;
    k += kl;
    path += pl;
    if(!*k)
      return 2;
    if(!*path)
      return 1;
    k++;
    path++;
  }
}

/* 2: path is known (accept all below); 1: a prefix of a known path
 * (descend); 0: unknown. */
static int lk_conf_known(const char *const *known, const char *path)
{
  int best = 0;
  for(; *known; known++) {
    int m = lk_conf_match(*known, path);
    if(m == 2)
      return 2;
    if(m > best)
      best = m;
  }
  return best;
}

static void lk_conf_walk(const struct lk_conf_node *n, char *path,
                         size_t len, size_t size, const char *const *known,
                         lk_conf_unknown_fn fn, void *ctx)
{
  size_t i;
  for(i = 0; i < n->n; i++) {
    int w = len ? snprintf(path + len, size - len, ".%s", n->keys[i])
                : snprintf(path, size, "%s", n->keys[i]);
    int k;
    if(w < 0 || (size_t)w >= size - len) {
      fn(ctx, n->keys[i], n->key_lines[i]);   /* absurdly long: unknown */
      continue;
    }
    k = lk_conf_known(known, path);
    if(!k)
      fn(ctx, path, n->key_lines[i]);
    else if(k == 1 && n->items[i]->kind == LK_CONF_MAP)
      lk_conf_walk(n->items[i], path, len + (size_t)w, size, known, fn, ctx);
    path[len] = '\0';
  }
}

void lk_conf_unknown(const struct lk_conf_node *root,
                     const char *const *known, lk_conf_unknown_fn fn,
                     void *ctx)
{
  char path[1024] = "";
  if(root && root->kind == LK_CONF_MAP)
    lk_conf_walk(root, path, 0, sizeof path, known, fn, ctx);
}
