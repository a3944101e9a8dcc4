/* dt_frigate.c - Frigate's events, URLs and sub_label write-back, as
 * Double Take uses them (api/src/util/frigate.util.js). */
#include "dt_frigate.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static lk_err lk_dt_fail(char *why, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

static lk_err lk_dt_fail(char *why, const char *fmt, ...)
{
  va_list ap;
  if(why) {
    va_start(ap, fmt);
    vsnprintf(why, LK_DT_FRIGATE_ERRMAX, fmt, ap);
    va_end(ap);
  }
  return LK_ERR_INVAL;
}

/* A string member copied into the arena: NULL when absent or null, and
 * *bad set when present but not a string. */
static const char *lk_dt_str(const cJSON *o, const char *key,
                             struct lk_arena *a, int *bad)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if(!v || cJSON_IsNull(v))
    return NULL;
  if(!cJSON_IsString(v)) {
    *bad = 1;
    return NULL;
  }
  return lk_arena_strdup(a, v->valuestring);
}

static double lk_dt_num(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static lk_err lk_dt_zones(const cJSON *o, struct lk_arena *a,
                          struct lk_dt_object *ev)
{
  const cJSON *z = cJSON_GetObjectItemCaseSensitive(o, "current_zones"), *e;
  int n = cJSON_IsArray(z) ? cJSON_GetArraySize(z) : 0;
  ev->zones = lk_arena_calloc(a, (size_t)(n ? n : 1) * sizeof *ev->zones);
  if(!ev->zones)
    return LK_ERR_NOMEM;
  if(!n)
    return LK_OK;
  cJSON_ArrayForEach(e, z) {
    if(cJSON_IsString(e) &&
       !(ev->zones[ev->n_zones++] = lk_arena_strdup(a, e->valuestring)))
      return LK_ERR_NOMEM;
  }
  return LK_OK;
}

/* Frigate 0.13+ sends sub_label as [name, score], older ones a string. */
static const char *lk_dt_sub_label(const cJSON *o, struct lk_arena *a)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "sub_label");
  if(cJSON_IsArray(v))
    v = cJSON_GetArrayItem(v, 0);
  return cJSON_IsString(v) ? lk_arena_strdup(a, v->valuestring) : NULL;
}

static lk_err lk_dt_frigate_type(const cJSON *root,
                                 struct lk_dt_object *ev,
                               char *why)
{
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
  static const char *const names[] = { "new", "update", "end" };
  int i;
  if(!cJSON_IsString(t))
    return lk_dt_fail(why, "event without a type");
  for(i = 0; i < 3; i++) {
    if(!strcmp(t->valuestring, names[i])) {
      ev->type = (enum lk_dt_frigate_type)i;
      return LK_OK;
    }
  }
  return lk_dt_fail(why, "unknown event type '%.64s'", t->valuestring);
}

static lk_err lk_dt_frigate_object(const cJSON *o, struct lk_arena *a,
                                 struct lk_dt_object *ev, char *why)
{
  const cJSON *snap = cJSON_GetObjectItemCaseSensitive(o, "has_snapshot");
  int bad = 0;
  ev->id = lk_dt_str(o, "id", a, &bad);
  ev->camera = lk_dt_str(o, "camera", a, &bad);
  ev->label = lk_dt_str(o, "label", a, &bad);
  if(bad)
    return lk_dt_fail(why, "event id, camera or label is not a string");
  if(!ev->id || !ev->id[0] || !ev->camera || !ev->camera[0])
    return lk_dt_fail(why, "event without an id or a camera");
  if(!ev->label)
    ev->label = "";
  ev->area = lk_dt_num(o, "area");
  ev->frame_time = lk_dt_num(o, "frame_time");
  ev->has_snapshot = cJSON_IsTrue(snap);
  ev->sub_label = lk_dt_sub_label(o, a);
  return lk_dt_zones(o, a, ev);
}

lk_err lk_dt_frigate_parse(const void *json, size_t len,
                           struct lk_arena *arena,
                         struct lk_dt_object *ev, char *why)
{
  cJSON *root = cJSON_ParseWithLength(json, len);
  const cJSON *o;
  lk_err err;

  memset(ev, 0, sizeof *ev);
  if(!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return lk_dt_fail(why, "not a JSON object");
  }
  err = lk_dt_frigate_type(root, ev, why);
  o = cJSON_GetObjectItemCaseSensitive(root, "after");
  if(!cJSON_IsObject(o))
    o = cJSON_GetObjectItemCaseSensitive(root, "before");
  if(!err && !cJSON_IsObject(o))
    err = lk_dt_fail(why, "event without an after or before object");
  if(!err)
    err = lk_dt_frigate_object(o, arena, ev, why);
  cJSON_Delete(root);
  return err;
}

static int lk_dt_listed(const char *const *list, const char *s)
{
  for(; *list; list++)
    if(!strcmp(*list, s))
      return 1;
  return 0;
}

/* "(person)", "(person, cat)": the allowed labels as Double Take prints
 * them. */
static const char *lk_dt_label_list(const char *const *labels,
                                    struct lk_arena *a)
{
  size_t n = 3, i;
  char *s;
  for(i = 0; labels[i]; i++)
    n += strlen(labels[i]) + 2;
  s = lk_arena_alloc(a, n);
  if(!s)
    return NULL;
  strcpy(s, "(");
  for(i = 0; labels[i]; i++) {
    if(i)
      strcat(s, ", ");
    strcat(s, labels[i]);
  }
  strcat(s, ")");
  return s;
}

static const char *lk_dt_printf(struct lk_arena *a, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

static const char *lk_dt_printf(struct lk_arena *a, const char *fmt, ...)
{
  va_list ap;
  char *s;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if(n < 0 || !(s = lk_arena_alloc(a, (size_t)n + 1)))
    return "event refused (out of memory)";
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* Zones bind only the cameras they name: an event of another camera
 * passes (Double Take refused it, which made zones unusable with more
 * than one camera). */
static int lk_dt_zone_ok(const struct lk_dt_object *ev,
                         const struct lk_dt_frigate_filter *f)
{
  int i, k, named = 0;
  for(i = 0; i < f->n_zones; i++) {
    if(strcmp(f->zones[i].camera, ev->camera))
      continue;
    named = 1;
    for(k = 0; k < ev->n_zones; k++)
      if(!strcmp(f->zones[i].zone, ev->zones[k]))
        return 1;
  }
  return !named;
}

const char *lk_dt_frigate_check(const struct lk_dt_object *ev,
                              const struct lk_dt_frigate_filter *f,
                              struct lk_arena *arena)
{
  static const char *const person[] = { "person", NULL };
  const char *const *labels = f->labels ? f->labels : person;
  if(ev->type == LK_DT_FRIGATE_END)
    return lk_dt_printf(arena, "%s - skip processing on end events", ev->id);
  if(f->cameras && !lk_dt_listed(f->cameras, ev->camera))
    return lk_dt_printf(arena, "%s - %s not on approved list", ev->id,
                        ev->camera);
  if(!lk_dt_zone_ok(ev, f))
    return lk_dt_printf(arena, "%s - %s zone not on approved list", ev->id,
                        ev->camera);
  if(!lk_dt_listed(labels, ev->label))
    return lk_dt_printf(arena, "%s - %s label not in %s", ev->id, ev->label,
                        lk_dt_label_list(labels, arena));
  if(f->min_area > 0 && ev->area < f->min_area)
    return lk_dt_printf(arena, "skipping object area smaller than %g (%g)",
                        f->min_area, ev->area);
  return NULL;
}

/* s percent-encoded (RFC 3986 unreserved kept) into buf at *at. */
static int lk_dt_escape(char *buf, size_t size, size_t *at, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  for(; *s; s++) {
    unsigned char c = (unsigned char)*s;
    int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                c == '~';
    if(*at + (plain ? 1 : 3) >= size)
      return -1;
    if(plain) {
      buf[(*at)++] = (char)c;
    } else {
      buf[(*at)++] = '%';
      buf[(*at)++] = hex[c >> 4];
      buf[(*at)++] = hex[c & 15];
    }
  }
  buf[*at] = '\0';
  return 0;
}

static int lk_dt_append(char *buf, size_t size, size_t *at, const char *s)
{
  size_t n = strlen(s);
  if(*at + n >= size)
    return -1;
  memcpy(buf + *at, s, n + 1);
  *at += n;
  return 0;
}

/* base without its trailing slashes. */
static int lk_dt_base(char *buf, size_t size, size_t *at, const char *base)
{
  size_t n = strlen(base);
  while(n && base[n - 1] == '/')
    n--;
  if(!n || n >= size)
    return -1;
  memcpy(buf, base, n);
  buf[n] = '\0';
  *at = n;
  return 0;
}

int lk_dt_frigate_url(char *buf, size_t size, const char *base,
                      const struct lk_dt_object *ev,
                      enum lk_dt_frigate_image what,
                      int height, int crop)
{
  char tail[64];
  size_t at = 0;
  int bad;
  if(!size || lk_dt_base(buf, size, &at, base))
    return -1;
  if(what == LK_DT_FRIGATE_SNAPSHOT) {
    snprintf(tail, sizeof tail, "/snapshot.jpg?h=%d%s", height,
             crop ? "&crop=1" : "");
    bad = lk_dt_append(buf, size, &at, "/api/events/") ||
          lk_dt_escape(buf, size, &at, ev->id);
  } else {
    snprintf(tail, sizeof tail, "/latest.jpg?h=%d", height);
    bad = lk_dt_append(buf, size, &at, "/api/") ||
          lk_dt_escape(buf, size, &at, ev->camera);
  }
  if(bad || lk_dt_append(buf, size, &at, tail))
    return -1;
  return (int)at;
}

/* Bytes of name that fit max at a UTF-8 character boundary. */
static size_t lk_dt_utf8_cut(const char *name, size_t max)
{
  size_t n = strlen(name);
  if(n <= max)
    return n;
  while(max && ((unsigned char)name[max] & 0xc0) == 0x80)
    max--;
  return max;
}

lk_err lk_dt_frigate_sub_label(const struct lk_fetch_policy *policy,
                               const char *base, const char *id,
                               const char *name, double score, char *why)
{
  char url[LK_FETCH_URL_MAX], label[LK_DT_SUB_LABEL_MAX + 1];
  struct lk_fetch_body body;
  size_t at = 0, n = lk_dt_utf8_cut(name, LK_DT_SUB_LABEL_MAX);
  cJSON *o = cJSON_CreateObject();
  char *text;
  lk_err err;

  memcpy(label, name, n);
  label[n] = '\0';
  if(lk_dt_base(url, sizeof url, &at, base) ||
     lk_dt_append(url, sizeof url, &at, "/api/events/") ||
     lk_dt_escape(url, sizeof url, &at, id) ||
     lk_dt_append(url, sizeof url, &at, "/sub_label")) {
    cJSON_Delete(o);
    return lk_dt_fail(why, "Frigate URL too long");
  }
  if(o && cJSON_AddStringToObject(o, "subLabel", label) &&
     (!(score > 0 && score <= 1) ||
      cJSON_AddNumberToObject(o, "subLabelScore",
                              (double)(long)(score * 1e4 + 0.5) / 1e4)))
    text = cJSON_PrintUnformatted(o);
  else
    text = NULL;
  cJSON_Delete(o);
  if(!text)
    return LK_ERR_NOMEM;
  memset(&body, 0, sizeof body);
  body.content_type = "application/json";
  body.data = text;
  body.len = strlen(text);
  err = lk_fetch_trusted_send(policy, NULL, url, &body, NULL, NULL, NULL,
                              why);
  cJSON_free(text);
  return err;
}
