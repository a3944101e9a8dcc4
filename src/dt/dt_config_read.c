/* dt_config_read.c - the engine under the Double Take key tables: a table
 * applied to a map, each key's default first, then the file's value, then
 * its environment variable; a note of where each value came from; and the
 * checks text values share. Messages follow src/conf's "file:line: key:
 * what was wrong". Values themselves: dt_config_value.c. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dt_config_int.h"

lk_err dt_fail(struct dt_load *l, const struct dt_where *w, const char *fmt,
               ...)
{
  va_list ap;
  int n;
  if(!l->why)
    return LK_ERR_INVAL;
  if(w->env)
    n = snprintf(l->why, LK_CONF_ERRMAX, "%s (%s): ", w->env, w->path);
  else if(w->line > 0 && l->file)
    n = snprintf(l->why, LK_CONF_ERRMAX, "%s:%d: %s: ", l->file, w->line,
                 w->path);
  else
    n = snprintf(l->why, LK_CONF_ERRMAX, "%s: ", w->path);
  if(n < 0 || n >= LK_CONF_ERRMAX)
    return LK_ERR_INVAL;
  va_start(ap, fmt);
  vsnprintf(l->why + n, LK_CONF_ERRMAX - (size_t)n, fmt, ap);
  va_end(ap);
  return LK_ERR_INVAL;
}

char *dt_strdup(struct dt_load *l, const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = lk_arena_alloc(l->arena, n);
  if(d)
    memcpy(d, s, n);
  return d;
}

char *dt_join(struct dt_load *l, const char *a, const char *b)
{
  size_t na = strlen(a), nb = strlen(b);
  char *d = lk_arena_alloc(l->arena, na + nb + 2);
  if(!d)
    return NULL;
  memcpy(d, a, na);
  d[na] = '.';
  memcpy(d + na + (na ? 1 : 0), b, nb + 1);
  return d;
}

int dt_secret_name(const char *key)
{
  static const char *const words[] = { "passwd", "password", "secret",
                                       "token", "apikey", "api_key",
                                       "api-key", "api.key", NULL };
  size_t i;
  /* /key/ is case-sensitive there, the others are not */
  if(strstr(key, "key") || !strcasecmp(key, "pw") || !strcasecmp(key, "pass"))
    return 1;
  for(i = 0; words[i]; i++) {
    if(strcasestr(key, words[i]))
      return 1;
  }
  return 0;
}

lk_err dt_origin_add(struct dt_load *l, const struct dt_where *w, int secret)
{
  struct lk_dt_origins *o = lk_arena_alloc(l->arena, sizeof *o);
  if(!o)
    return LK_ERR_NOMEM;
  o->w = *w;
  o->w.path = dt_strdup(l, w->path);
  if(!o->w.path)
    return LK_ERR_NOMEM;
  o->secret = secret;
  o->next = l->cfg->origins;
  l->cfg->origins = o;
  return LK_OK;
}

const struct dt_where *dt_origin(const struct lk_dt_config *c,
                                 const char *path, int *secret)
{
  const struct lk_dt_origins *o;
  for(o = c->origins; o; o = o->next) {
    if(!strcmp(o->w.path, path)) {
      if(secret)
        *secret = o->secret;
      return &o->w;
    }
  }
  if(secret)
    *secret = 0;
  return NULL;
}

/* --- checks for text values ---------------------------------------------- */

const char *dt_check_nonempty(struct dt_load *l, const char *in,
                              const char **out)
{
  (void)l;
  *out = in;
  return in[0] ? NULL : "a value that is not empty";
}

/* Double Take appends "/api/..." to these; without a scheme it is http. */
const char *dt_check_url(struct dt_load *l, const char *in, const char **out)
{
  static const char *const expect = "an http:// or https:// URL";
  const char *host = strstr(in, "://");
  size_t n, i;
  char *u;

  for(i = 0; in[i]; i++) {
    if(isspace((unsigned char)in[i]) || iscntrl((unsigned char)in[i]))
      return expect;
  }
  if(host && !(host - in == 4 && !strncasecmp(in, "http", 4)) &&
     !(host - in == 5 && !strncasecmp(in, "https", 5)))
    return expect;
  host = host ? host + 3 : in;
  if(!host[0] || host[0] == '/' || host[0] == '?' || host[0] == '#')
    return expect;
  n = strlen(in);
  while(n > (size_t)(host - in) + 1 && in[n - 1] == '/')
    n--;                      /* "http://x/" + "/api" would double it */
  u = lk_arena_alloc(l->arena, n + 8);
  if(!u)
    return NULL;              /* the caller sees *out NULL: no memory */
  snprintf(u, n + 8, "%s%.*s", host == in ? "http://" : "", (int)n, in);
  *out = u;
  return NULL;
}

const char *dt_check_topic(struct dt_load *l, const char *in,
                           const char **out)
{
  (void)l;
  *out = in;
  if(!in[0] || strpbrk(in, "+#"))
    return "an MQTT topic without wildcards (+ #)";
  return NULL;
}

/* --- tables -------------------------------------------------------------- */

lk_err dt_find(struct dt_load *l, const struct lk_conf_node *n,
               const char *prefix, const char *path,
               const struct lk_conf_node **out)
{
  char done[DT_PATHMAX];
  size_t plen = strlen(prefix);
  *out = NULL;
  snprintf(done, sizeof done, "%s", prefix);
  while(n && *path) {
    size_t len = strcspn(path, "."), i;
    const struct lk_conf_node *next = NULL;
    if(n->kind == LK_CONF_SCALAR && n->null)
      return LK_OK;
    if(n->kind != LK_CONF_MAP) {
      struct dt_where w = { done, n->line, NULL };
      return dt_fail(l, &w, "expected a map of keys, got %s",
                     n->kind == LK_CONF_SEQ ? "a list" : n->secret ?
                     "a secret value" : "a single value");
    }
    for(i = 0; i < n->n && !next; i++) {
      if(strlen(n->keys[i]) == len && !memcmp(n->keys[i], path, len))
        next = n->items[i];
    }
    snprintf(done + plen, sizeof done - plen, "%s%.*s", plen ? "." : "",
             (int)len, path);
    plen = strlen(done);
    n = next;
    path += len;
    if(*path == '.')
      path++;
  }
  if(n && !(n->kind == LK_CONF_SCALAR && n->null))
    *out = n;
  return LK_OK;
}

static lk_err dt_strict(struct dt_load *l, const struct dt_table *t,
                        const struct dt_apply *a)
{
  char names[256];
  size_t i, j, len;
  for(i = 0; a->node && i < a->node->n; i++) {
    const char *key = a->node->keys[i];
    struct dt_where w = { a->prefix, a->node->key_lines[i], NULL };
    for(j = 0; j < t->n; j++) {
      len = strcspn(t->keys[j].path, ".");
      if(strlen(key) == len && !strncmp(t->keys[j].path, key, len))
        break;
    }
    if(j < t->n)
      continue;
    names[0] = '\0';
    for(j = 0, len = 0; j < t->n && len < sizeof names; j++)
      len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                              j ? ", " : "", t->keys[j].path);
    return dt_fail(l, &w, "unknown key '%.60s' (expected %s)", key, names);
  }
  return LK_OK;
}

static lk_err dt_given(struct dt_load *l, const struct dt_key *k,
                       const struct dt_apply *a, const struct dt_where *w,
                       int secret)
{
  struct dt_where o = *w;
  char path[DT_PATHMAX];
  if(k->as) {
    snprintf(path, sizeof path, "%s%s%s", a->prefix, a->prefix[0] ? "." :
             "", k->as);
    o.path = path;
  }
  return dt_origin_add(l, &o, secret);
}

static lk_err dt_apply_key(struct dt_load *l, const struct dt_key *k,
                           const struct dt_apply *a, unsigned bit)
{
  char path[DT_PATHMAX];
  struct dt_where w = { path, 0, NULL };
  const struct lk_conf_node *n;
  void *dst = (char *)a->base + k->off;
  const char *env = NULL;
  int given = 0;
  lk_err err;

  if(snprintf(path, sizeof path, "%s%s%s", a->prefix, a->prefix[0] ? "."
               : "", k->path) >= (int)sizeof path)
    return dt_fail(l, &w, "a name on the way is too long");
  if(!a->override && k->def && (err = dt_value(l, k, NULL, k->def, &w, dst)))
    return err;
  if((err = dt_find(l, a->node, a->prefix, k->path, &n)))
    return err;
  if(n) {
    w.line = n->line;
    if((err = dt_value(l, k, n, NULL, &w, dst)) ||
       (err = dt_given(l, k, a, &w, n->secret)))
      return err;
    given = 1;
  }
  if(!a->override && k->env && l->getenv)
    env = l->getenv(l->env_ctx, k->env);
  if(env && env[0]) {
    w.line = 0;
    w.env = k->env;
    if((err = dt_value(l, k, NULL, env, &w, dst)) ||
       (err = dt_given(l, k, a, &w, 0)))
      return err;
    given = 1;
  }
  if(given && a->set)
    *a->set |= bit;
  if(!given && (k->flags & DT_REQUIRED)) {
    w.line = a->line;
    w.env = NULL;
    return dt_fail(l, &w, "missing (required in %s)", a->prefix);
  }
  return LK_OK;
}

lk_err dt_apply(struct dt_load *l, const struct dt_table *t,
                const struct dt_apply *a)
{
  size_t i;
  lk_err err = a->strict ? dt_strict(l, t, a) : LK_OK;
  for(i = 0; i < t->n && !err; i++) {
    if(a->override && (t->keys[i].flags & DT_GLOBAL))
      continue;
    err = dt_apply_key(l, &t->keys[i], a, 1u << i);
  }
  return err;
}
