/* dt_config_json.c - the effective config written back: as GET
 * /api/config shows it (config.js merges the file over defaults.js and
 * drops the sections nothing uses), redacted as redact-secrets.util.js
 * redacts, and flattened into "key = value (origin)" lines for the log. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "dt_config_int.h"

cJSON *dt_json_path(cJSON *obj, const char *path)
{
  char key[128];
  while(obj && *path) {
    size_t len = strcspn(path, ".");
    cJSON *next;
    snprintf(key, sizeof key, "%.*s", (int)len, path);
    next = cJSON_GetObjectItemCaseSensitive(obj, key);
    if(!next) {
      next = cJSON_CreateObject();
      if(!next || !cJSON_AddItemToObject(obj, key, next)) {
        cJSON_Delete(next);
        return NULL;
      }
    } else if(!cJSON_IsObject(next)) {
      return NULL;
    }
    obj = next;
    path += len;
    path += *path == '.';
  }
  return obj;
}

/* "http://user:pass@cam/x.jpg": the password hidden, the rest kept. */
static cJSON *dt_json_url(const char *s)
{
  const char *host = strstr(s, "://"), *at = NULL, *colon = NULL, *p;
  size_t len = strlen(s), n;
  char *buf;
  cJSON *j;
  if(host) {
    host += 3;
    n = strcspn(host, "/?#");
    for(p = host; p < host + n; p++) {
      if(*p == '@')
        at = p;
    }
    colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
  }
  if(!colon)
    return cJSON_CreateString(s);
  buf = lk_malloc(len + sizeof LK_DT_REDACTED);
  if(!buf)
    return NULL;
  snprintf(buf, len + sizeof LK_DT_REDACTED, "%.*s%s%s",
           (int)(colon + 1 - s), s, LK_DT_REDACTED, at);
  j = cJSON_CreateString(buf);
  lk_free(buf);
  return j;
}

static cJSON *dt_json_str(const char *s, int hide, int redact)
{
  if(hide)
    return cJSON_CreateString(LK_DT_REDACTED);
  return redact ? dt_json_url(s) : cJSON_CreateString(s);
}

/* a list written as one value stays one value, as Double Take echoes it */
static int dt_json_strs(const struct lk_dt_strs *s, int hide, int redact,
                        cJSON **out)
{
  size_t i;
  if(!s->n)
    return 0;
  if(!s->list && s->n == 1) {
    *out = dt_json_str(s->v[0], hide, redact);
    return *out ? 1 : -1;
  }
  *out = cJSON_CreateArray();
  for(i = 0; *out && i < s->n; i++) {
    cJSON *v = dt_json_str(s->v[i], hide, redact);
    if(!v || !cJSON_AddItemToArray(*out, v)) {
      cJSON_Delete(v);
      cJSON_Delete(*out);
      return -1;
    }
  }
  return *out ? 1 : -1;
}

static int dt_json_masks(const struct lk_dt_polygons *m, cJSON **out)
{
  size_t i;
  if(!m->n)
    return 0;
  if(!m->list) {
    *out = cJSON_CreateString(m->v[0].text);
    return *out ? 1 : -1;
  }
  *out = cJSON_CreateArray();
  for(i = 0; *out && i < m->n; i++) {
    cJSON *v = cJSON_CreateString(m->v[i].text);
    if(!v || !cJSON_AddItemToArray(*out, v)) {
      cJSON_Delete(v);
      cJSON_Delete(*out);
      return -1;
    }
  }
  return *out ? 1 : -1;
}

static int dt_json_list(const struct lk_dt_config *c, const struct dt_key *k,
                        const char *path, const void *p, int redact,
                        cJSON **out)
{
  struct { const char *v; size_t n; } list;
  size_t i;
  memcpy(&list, p, sizeof list);
  if(!list.n)
    return 0;
  *out = cJSON_CreateArray();
  for(i = 0; *out && i < list.n; i++) {
    cJSON *item = cJSON_CreateObject();
    if(!item || !cJSON_AddItemToArray(*out, item)) {
      cJSON_Delete(item);
      cJSON_Delete(*out);
      return -1;
    }
    if(!dt_json_table(c, k->sub, path, list.v + i * k->sub->size, 0, 0,
                      redact, item)) {
      cJSON_Delete(*out);       /* item with it */
      return -1;
    }
  }
  return *out ? 1 : -1;
}

/* 1: *out made; 0: nothing to show (not set); -1: out of memory */
static int dt_json_value(const struct lk_dt_config *c, const struct dt_key *k,
                         const char *path, const void *p, int redact,
                         cJSON **out)
{
  const char *leaf = strrchr(k->path, '.'), *s;
  int secret = 0, hide;
  double sec;
  dt_origin(c, path, &secret);
  hide = redact && (secret || dt_secret_name(leaf ? leaf + 1 : k->path));
  *out = NULL;
  switch(k->type) {
  case DT_BOOL:
    *out = cJSON_CreateBool(*(const int *)p);
    break;
  case DT_WHOLE:
    *out = cJSON_CreateNumber((double)*(const long *)p);
    break;
  case DT_NUM:
    *out = cJSON_CreateNumber(*(const double *)p);
    break;
  case DT_STR:
    s = *(const char *const *)p;
    if(!s)
      return 0;
    *out = dt_json_str(s, hide, redact);
    break;
  case DT_STRS:
    return dt_json_strs(p, redact && secret, redact, out);
  case DT_ENUM:
    *out = cJSON_CreateString(k->names[*(const int *)p]);
    break;
  case DT_BASE64:
    *out = *(const int *)p == LK_DT_BASE64_BOX ? cJSON_CreateString("box")
           : cJSON_CreateBool(*(const int *)p == LK_DT_BASE64_TRUE);
    break;
  case DT_HA:
    s = *(const char *const *)p;
    *out = s ? cJSON_CreateString(s) : cJSON_CreateFalse();
    break;
  case DT_DURATION:
    /* a number stays a number: "image: 3600" */
    s = ((const struct lk_dt_duration *)p)->text;
    sec = ((const struct lk_dt_duration *)p)->seconds;
    *out = s[strspn(s, "0123456789.")] ? cJSON_CreateString(s)
           : cJSON_CreateNumber(sec);
    break;
  case DT_SIZE:
    s = ((const struct lk_dt_size *)p)->text;
    if(!s)
      return 0;
    *out = cJSON_CreateString(s);
    break;
  case DT_MASKS:
    return dt_json_masks(p, out);
  case DT_MAP:
    *out = cJSON_CreateObject();
    if(*out && !dt_json_table(c, k->sub, path, p, 0, 0, redact, *out)) {
      cJSON_Delete(*out);
      return -1;
    }
    break;
  case DT_LIST:
    return dt_json_list(c, k, path, p, redact, out);
  }
  return *out ? 1 : -1;
}

int dt_json_table(const struct lk_dt_config *c, const struct dt_table *t,
                  const char *prefix, const void *base, int override,
                  unsigned set, int redact, cJSON *obj)
{
  char path[DT_PATHMAX], dir[DT_PATHMAX];
  size_t i;
  for(i = 0; i < t->n; i++) {
    const struct dt_key *k = &t->keys[i];
    const char *leaf = strrchr(k->path, '.');
    cJSON *v, *at = obj;
    int r;
    if((k->flags & DT_ALIAS) || (override && (!(set & (1u << i)) ||
                                              (k->flags & DT_GLOBAL))))
      continue;
    snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "",
             k->path);
    r = dt_json_value(c, k, path, (const char *)base + k->off, redact, &v);
    if(r < 0)
      return 0;
    if(!r)
      continue;
    if(leaf) {
      snprintf(dir, sizeof dir, "%.*s", (int)(leaf - k->path), k->path);
      at = dt_json_path(obj, dir);
    }
    if(!at || !cJSON_AddItemToObject(at, leaf ? leaf + 1 : k->path, v)) {
      cJSON_Delete(v);
      return 0;
    }
  }
  return 1;
}

static int dt_json_add(cJSON *root, const char *path, const char *key,
                       cJSON *v)
{
  cJSON *at = v ? dt_json_path(root, path) : NULL;
  if(at && cJSON_AddItemToObject(at, key, v))
    return 1;
  cJSON_Delete(v);
  return 0;
}

cJSON *lk_dt_config_json(const struct lk_dt_config *c, int redact)
{
  cJSON *root = cJSON_CreateObject(), *at;
  size_t i;
  if(!root)
    return NULL;
  for(i = 0; i < dt_n_sections; i++) {
    const struct dt_section *s = &dt_sections[i];
    if(s->shown && !s->shown(c, s))
      continue;
    at = dt_json_path(root, s->prefix);
    if(!at || !dt_json_table(c, s->t, s->prefix, (const char *)c + s->off, 0,
                             0, redact, at))
      goto fail;
  }
  if(c->frigate.present && c->frigate.n_events &&
     !dt_json_add(root, "frigate", "events", dt_json_events(c, redact)))
    goto fail;
  if(c->n_cameras &&
     !dt_json_add(root, "", "cameras", dt_json_cameras(c, redact)))
    goto fail;
  return root;
fail:
  cJSON_Delete(root);
  return NULL;
}

/* --- lines --------------------------------------------------------------- */

struct dt_lines {
  const struct lk_dt_config *c;
  void (*fn)(void *ctx, const char *line);
  void *ctx;
};

static lk_err dt_line(const struct dt_lines *d, const cJSON *v,
                      const char *path)
{
  const struct dt_where *w = dt_origin(d->c, path, NULL);
  char origin[160], *text = NULL, *line;
  const char *shown;
  size_t size;

  if(cJSON_IsString(v)) {
    shown = v->valuestring[0] ? v->valuestring : "\"\"";
  } else {
    text = cJSON_PrintUnformatted(v);
    if(!text)
      return LK_ERR_NOMEM;
    shown = text;
  }
  if(!w)
    snprintf(origin, sizeof origin, "default");
  else if(w->env)
    snprintf(origin, sizeof origin, "%s", w->env);
  else
    snprintf(origin, sizeof origin, "%s:%d", d->c->file ? d->c->file
             : "config", w->line);
  size = strlen(path) + strlen(shown) + strlen(origin) + 8;
  line = lk_malloc(size);
  if(line) {
    snprintf(line, size, "%s = %s (%s)", path, shown, origin);
    d->fn(d->ctx, line);
  }
  lk_free(line);
  cJSON_free(text);
  return line ? LK_OK : LK_ERR_NOMEM;
}

static lk_err dt_flatten(const struct dt_lines *d, const cJSON *o,
                         char *path, size_t len)
{
  const cJSON *it;
  lk_err err = LK_OK;
  cJSON_ArrayForEach(it, o) {
    int w = snprintf(path + len, DT_PATHMAX - len, "%s%s", len ? "." : "",
                     it->string);
    if(w < 0 || (size_t)w >= DT_PATHMAX - len)
      continue;                /* a 500-byte camera name: not printed */
    err = cJSON_IsObject(it) ? dt_flatten(d, it, path, len + (size_t)w)
                             : dt_line(d, it, path);
    path[len] = '\0';
    if(err)
      break;
  }
  return err;
}

lk_err lk_dt_config_lines(const struct lk_dt_config *c,
                          void (*fn)(void *ctx, const char *line), void *ctx)
{
  struct dt_lines d = { c, fn, ctx };
  char path[DT_PATHMAX] = "";
  cJSON *j = lk_dt_config_json(c, 1);
  lk_err err;
  if(!j)
    return LK_ERR_NOMEM;
  err = dt_flatten(&d, j, path, 0);
  cJSON_Delete(j);
  return err;
}

static void dt_log_line(void *ctx, const char *line)
{
  (void)ctx;
  lk_log(LK_LOG_INFO, "config", "%s", line);
}

lk_err lk_dt_config_log(const struct lk_dt_config *c)
{
  return lk_dt_config_lines(c, dt_log_line, NULL);
}
