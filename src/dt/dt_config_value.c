/* dt_config_value.c - one value of each key type from a YAML node or an
 * environment variable's text: booleans as YAML 1.1 spells them, numbers
 * in their range, lists written as one value or many, enums, Double Take's
 * base64 (a boolean or "box"), vercel/ms time spans, WIDTHxHEIGHT, mask
 * polygons, and lists of maps. A wrong value fails with what was
 * expected and what was found, never a secret's text. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_config_int.h"

/* --- one value ----------------------------------------------------------- */

static int dt_parse_bool(const char *s, int *out)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };
  size_t i;
  for(i = 0; yes[i]; i++) {
    if(!strcasecmp(s, yes[i])) {
      *out = 1;
      return 1;
    }
    if(!strcasecmp(s, no[i])) {
      *out = 0;
      return 1;
    }
  }
  return 0;
}

static int dt_parse_whole(const char *s, long *out)
{
  char *end;
  if(!isdigit((unsigned char)s[s[0] == '-' || s[0] == '+']))
    return 0;
  errno = 0;
  *out = strtol(s, &end, 10);
  return !errno && !*end;
}

static int dt_parse_num(const char *s, double *out)
{
  char *end;
  /* digits only: strtod also takes hex, inf and nan */
  if(!s[0] || s[strspn(s, "0123456789+-.eE")])
    return 0;
  *out = strtod(s, &end);
  return !*end && end != s && isfinite(*out);
}

static int dt_in_range(const struct dt_key *k, double v)
{
  if((k->range & DT_MIN) && (v < k->min || ((k->range & DT_GT) &&
                                            v == k->min)))
    return 0;
  return !(k->range & DT_MAX) || v <= k->max;
}

/* " >= 0", " from 1 to 65535", " > 1" */
static void dt_range_text(const struct dt_key *k, char *buf, size_t size)
{
  if((k->range & (DT_MIN | DT_MAX)) == (DT_MIN | DT_MAX))
    snprintf(buf, size, " from %g to %g", k->min, k->max);
  else if(k->range & DT_MIN)
    snprintf(buf, size, " %s %g", k->range & DT_GT ? ">" : ">=", k->min);
  else
    buf[0] = '\0';
}

static void dt_enum_text(const char *const *names, char *buf, size_t size)
{
  size_t len = 0, i;
  buf[0] = '\0';
  for(i = 0; names[i] && len < size; i++) {
    int w = snprintf(buf + len, size - len, "%s%s", i ? (names[i + 1] ?
                     ", " : " or ") : "", names[i]);
    if(w < 0)
      return;
    len += (size_t)w;
  }
}

/* What the value looks like, for "got ...": never a secret's text. */
static void dt_got(const struct dt_key *k, const struct lk_conf_node *n,
                   const char *text, char *buf, size_t size)
{
  const char *leaf = strrchr(k->path, '.');
  leaf = leaf ? leaf + 1 : k->path;
  if(n && n->kind == LK_CONF_MAP)
    snprintf(buf, size, "a map");
  else if(n && n->kind == LK_CONF_SEQ)
    snprintf(buf, size, "a list");
  else if((n && n->secret) || dt_secret_name(leaf))
    snprintf(buf, size, "a secret value");
  else
    snprintf(buf, size, "'%.80s%s'", text, strlen(text) > 80 ? "..." : "");
}

static lk_err dt_bad(struct dt_load *l, const struct dt_where *w,
                     const struct dt_key *k, const struct lk_conf_node *n,
                     const char *text, const char *expected)
{
  char got[128];
  dt_got(k, n, text, got, sizeof got);
  return dt_fail(l, w, "expected %s, got %s", expected, got);
}

static lk_err dt_text(struct dt_load *l, const struct dt_key *k,
                      const char *text, const struct lk_conf_node *n,
                      const struct dt_where *w, const char **out)
{
  const char *why;
  *out = NULL;
  if(!k->check) {
    *out = text;
    return LK_OK;
  }
  why = k->check(l, text, out);
  if(why)
    return dt_bad(l, w, k, n, text, why);
  return *out ? LK_OK : LK_ERR_NOMEM;
}

/* Environment lists are "a, b, c"; a default "[a,b]" is a YAML list. */
static lk_err dt_strs_text(struct dt_load *l, const struct dt_key *k,
                           const char *text, const struct dt_where *w,
                           struct lk_dt_strs *out)
{
  size_t n = 1, i = 0, len, a;
  const char *p;
  const char **v;
  int list = text[0] == '[';
  char *copy = dt_strdup(l, text + list), *item, *next;

  if(!copy)
    return LK_ERR_NOMEM;
  if(list)
    copy[strcspn(copy, "]")] = '\0';
  for(p = copy; *p; p++)
    n += *p == ',';
  v = lk_arena_calloc(l->arena, n * sizeof *v);
  if(!v)
    return LK_ERR_NOMEM;
  for(item = copy; item; item = next) {
    len = strcspn(item, ",");
    next = item[len] ? item + len + 1 : NULL;
    for(a = 0; a < len && isspace((unsigned char)item[a]); a++)
      ;
    while(len > a && isspace((unsigned char)item[len - 1]))
      len--;
    item[len] = '\0';          /* the copy is ours to cut */
    if(len > a) {
      lk_err err = dt_text(l, k, item + a, NULL, w, &v[i++]);
      if(err)
        return err;
    }
  }
  out->v = v;
  out->n = i;
  out->list = list || (w->env && i > 1);   /* "a,b" from the environment */
  return LK_OK;
}

static lk_err dt_strs(struct dt_load *l, const struct dt_key *k,
                      const struct lk_conf_node *n, const struct dt_where *w,
                      struct lk_dt_strs *out)
{
  const char **v;
  size_t i;
  lk_err err;
  if(n->kind == LK_CONF_MAP)
    return dt_bad(l, w, k, n, "", "a value or a list of values");
  if(n->kind == LK_CONF_SCALAR) {
    v = lk_arena_alloc(l->arena, sizeof *v);
    if(!v)
      return LK_ERR_NOMEM;
    err = dt_text(l, k, n->value, n, w, &v[0]);
    out->v = v;
    out->n = 1;
    out->list = 0;
    return err;
  }
  v = lk_arena_calloc(l->arena, (n->n ? n->n : 1) * sizeof *v);
  if(!v)
    return LK_ERR_NOMEM;
  for(i = 0; i < n->n; i++) {
    const struct lk_conf_node *it = n->items[i];
    struct dt_where iw = { w->path, it->line, NULL };
    if(it->kind != LK_CONF_SCALAR || it->null)
      return dt_fail(l, &iw, "item %zu: expected a value, got %s", i + 1,
                     it->kind == LK_CONF_MAP ? "a map" : it->kind ==
                     LK_CONF_SEQ ? "a list" : "nothing");
    err = dt_text(l, k, it->value, it, &iw, &v[i]);
    if(err)
      return err;
  }
  out->v = v;
  out->n = n->n;
  out->list = 1;
  return LK_OK;
}

static lk_err dt_enum(struct dt_load *l, const struct dt_key *k,
                      const char *text, const struct lk_conf_node *n,
                      const struct dt_where *w, int *out)
{
  char names[256];
  int i;
  for(i = 0; k->names[i]; i++) {
    if(!strcasecmp(text, k->names[i])) {
      *out = i;
      return LK_OK;
    }
  }
  dt_enum_text(k->names, names, sizeof names);
  return dt_bad(l, w, k, n, text, names);
}

/* vercel/ms spans, as token.image takes them; a bare number is seconds
 * (jsonwebtoken's expiresIn). */
static int dt_parse_span(const char *s, double *seconds)
{
  static const struct { const char *unit; double s; } units[] = {
    { "ms", 0.001 }, { "msec", 0.001 }, { "msecs", 0.001 },
    { "millisecond", 0.001 }, { "milliseconds", 0.001 },
    { "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 },
    { "seconds", 1 }, { "m", 60 }, { "min", 60 }, { "mins", 60 },
    { "minute", 60 }, { "minutes", 60 }, { "h", 3600 }, { "hr", 3600 },
    { "hrs", 3600 }, { "hour", 3600 }, { "hours", 3600 }, { "d", 86400 },
    { "day", 86400 }, { "days", 86400 }, { "w", 604800 },
    { "week", 604800 }, { "weeks", 604800 }, { "y", 31557600 },
    { "yr", 31557600 }, { "yrs", 31557600 }, { "year", 31557600 },
    { "years", 31557600 },
  };
  size_t i, digits = strspn(s, "0123456789.");
  char num[64];
  const char *unit = s + digits;
  double v;
  if(!digits || digits >= sizeof num)
    return 0;
  memcpy(num, s, digits);
  num[digits] = '\0';
  if(!dt_parse_num(num, &v))
    return 0;
  while(*unit == ' ')
    unit++;
  if(!*unit) {
    *seconds = v;
    return v > 0;
  }
  for(i = 0; i < sizeof units / sizeof units[0]; i++) {
    if(!strcasecmp(unit, units[i].unit)) {
      *seconds = v * units[i].s;
      return *seconds > 0;
    }
  }
  return 0;
}

static int dt_parse_size(const char *s, struct lk_dt_size *out)
{
  char *end;
  long w, h;
  while(isspace((unsigned char)*s))
    s++;
  if(!isdigit((unsigned char)*s))
    return 0;
  w = strtol(s, &end, 10);
  while(isspace((unsigned char)*end))
    end++;
  if(*end != 'x' && *end != 'X')
    return 0;
  s = end + 1;
  while(isspace((unsigned char)*s))
    s++;
  if(!isdigit((unsigned char)*s))
    return 0;
  h = strtol(s, &end, 10);
  while(isspace((unsigned char)*end))
    end++;
  if(*end || w < 1 || h < 1 || w > 65535 || h > 65535)
    return 0;
  out->width = w;
  out->height = h;
  return 1;
}

/* "x1,y1,x2,y2,..." into points: pairs of numbers >= 0, three or more. */
static int dt_parse_polygon(struct dt_load *l, const char *s,
                            struct lk_dt_polygon *out, lk_err *err)
{
  size_t n = 1, i = 0;
  const char *p;
  double *xy;
  char num[64];
  *err = LK_OK;
  for(p = s; *p; p++)
    n += *p == ',';
  if(n % 2 || n < 6)
    return 0;
  xy = lk_arena_alloc(l->arena, n * sizeof *xy);
  if(!xy) {
    *err = LK_ERR_NOMEM;
    return 0;
  }
  for(p = s; i < n; i++) {
    size_t len = strcspn(p, ","), a = 0;
    while(a < len && isspace((unsigned char)p[a]))
      a++;
    while(len > a && isspace((unsigned char)p[len - 1]))
      len--;
    if(len - a >= sizeof num)
      return 0;
    memcpy(num, p + a, len - a);
    num[len - a] = '\0';
    if(!dt_parse_num(num, &xy[i]) || xy[i] < 0)
      return 0;
    p += strcspn(p, ",") + 1;
  }
  out->text = s;
  out->p = (struct lk_dt_point *)xy;
  out->n = n / 2;
  return 1;
}

static lk_err dt_masks(struct dt_load *l, const struct dt_key *k,
                       const struct lk_conf_node *n, const char *text,
                       const struct dt_where *w, struct lk_dt_polygons *out)
{
  static const char *const expect = "x,y pairs of numbers >= 0 for 3 or "
    "more points (\"0,0,100,0,100,80\"), or a list of them";
  size_t count = n && n->kind == LK_CONF_SEQ ? n->n : 1, i;
  lk_err err;
  if(n && n->kind == LK_CONF_MAP)
    return dt_bad(l, w, k, n, "", expect);
  out->v = lk_arena_calloc(l->arena, (count ? count : 1) * sizeof *out->v);
  if(!out->v)
    return LK_ERR_NOMEM;
  out->list = n && n->kind == LK_CONF_SEQ;
  for(i = 0; i < count; i++) {
    const struct lk_conf_node *it = out->list ? n->items[i] : n;
    const char *s = it ? it->value : text;
    struct dt_where iw = { w->path, it ? it->line : w->line, w->env };
    if(it && (it->kind != LK_CONF_SCALAR || it->null))
      return dt_bad(l, &iw, k, it, "", expect);
    if(!dt_parse_polygon(l, s, &out->v[i], &err))
      return err ? err : dt_bad(l, &iw, k, it, s, expect);
  }
  out->n = count;
  return LK_OK;
}

static lk_err dt_scalar(struct dt_load *l, const struct dt_key *k,
                        const char *s, const struct lk_conf_node *n,
                        const struct dt_where *w, void *dst)
{
  char range[64], expect[96];
  int b;
  switch(k->type) {
  case DT_BOOL:
    if(!dt_parse_bool(s, (int *)dst))
      return dt_bad(l, w, k, n, s, "true or false");
    return LK_OK;
  case DT_WHOLE:
    if(dt_parse_whole(s, (long *)dst) && dt_in_range(k, *(long *)dst))
      return LK_OK;
    dt_range_text(k, range, sizeof range);
    snprintf(expect, sizeof expect, "a whole number%s", range);
    return dt_bad(l, w, k, n, s, expect);
  case DT_NUM:
    if(dt_parse_num(s, (double *)dst) && dt_in_range(k, *(double *)dst))
      return LK_OK;
    dt_range_text(k, range, sizeof range);
    snprintf(expect, sizeof expect, "a number%s", range);
    return dt_bad(l, w, k, n, s, expect);
  case DT_STR:
    return dt_text(l, k, s, n, w, (const char **)dst);
  case DT_ENUM:
    return dt_enum(l, k, s, n, w, (int *)dst);
  case DT_BASE64:
    if(dt_parse_bool(s, &b))
      *(int *)dst = b ? LK_DT_BASE64_TRUE : LK_DT_BASE64_FALSE;
    else if(!strcasecmp(s, "box"))
      *(int *)dst = LK_DT_BASE64_BOX;
    else
      return dt_bad(l, w, k, n, s, "true, false or box");
    return LK_OK;
  case DT_HA:
    /* a falsy value turns discovery off, as in mqtt.util.js */
    if(dt_parse_bool(s, &b) && !b) {
      *(const char **)dst = NULL;
      return LK_OK;
    }
    if(dt_parse_bool(s, &b) || dt_check_topic(l, s, (const char **)dst))
      return dt_bad(l, w, k, n, s, "a topic prefix, or false for no "
                    "discovery");
    return LK_OK;
  case DT_DURATION: {
    struct lk_dt_duration *d = dst;
    if(!dt_parse_span(s, &d->seconds))
      return dt_bad(l, w, k, n, s, "seconds, or a time span such as 24h "
                    "or 30m");
    d->text = s;
    return LK_OK;
  }
  case DT_SIZE:
    if(!dt_parse_size(s, dst))
      return dt_bad(l, w, k, n, s, "WIDTHxHEIGHT such as 1920x1080");
    ((struct lk_dt_size *)dst)->text = s;
    return LK_OK;
  default:
    return dt_bad(l, w, k, n, s, "something else");
  }
}

/* A map or a list where one value belongs. */
static lk_err dt_not_scalar(struct dt_load *l, const struct dt_key *k,
                            const struct lk_conf_node *n,
                            const struct dt_where *w)
{
  static const char *const expected[] = {
    [DT_BOOL] = "true or false", [DT_STR] = "a single value",
    [DT_BASE64] = "true, false or box",
    [DT_HA] = "a topic prefix, or false for no discovery",
    [DT_DURATION] = "seconds, or a time span such as 24h or 30m",
    [DT_SIZE] = "WIDTHxHEIGHT such as 1920x1080",
  };
  char text[256], range[64];
  dt_range_text(k, range, sizeof range);
  if(k->type == DT_ENUM)
    dt_enum_text(k->names, text, sizeof text);
  else if(k->type == DT_WHOLE || k->type == DT_NUM)
    snprintf(text, sizeof text, "a %snumber%s", k->type == DT_WHOLE ?
             "whole " : "", range);
  else
    snprintf(text, sizeof text, "%s", (size_t)k->type < sizeof expected /
             sizeof expected[0] && expected[k->type] ? expected[k->type]
             : "a single value");
  return dt_bad(l, w, k, n, "", text);
}

static lk_err dt_list(struct dt_load *l, const struct dt_key *k,
                      const struct lk_conf_node *n, const struct dt_where *w,
                      void *dst);

lk_err dt_value(struct dt_load *l, const struct dt_key *k,
                       const struct lk_conf_node *n, const char *text,
                       const struct dt_where *w, void *dst)
{
  switch(k->type) {
  case DT_STRS:
    return n ? dt_strs(l, k, n, w, dst) : dt_strs_text(l, k, text, w, dst);
  case DT_MASKS:
    return dt_masks(l, k, n, text, w, dst);
  case DT_MAP: {
    struct dt_apply a = { w->path, n, n->line, dst, 0, NULL, 0 };
    if(n->kind != LK_CONF_MAP)
      return dt_bad(l, w, k, n, n->value ? n->value : "", "a map of keys");
    return dt_apply(l, k->sub, &a);
  }
  case DT_LIST:
    return dt_list(l, k, n, w, dst);
  default:
    break;
  }
  if(n && n->kind != LK_CONF_SCALAR)
    return dt_not_scalar(l, k, n, w);
  return dt_scalar(l, k, n ? n->value : text, n, w, dst);
}

/* A list of maps, each read by k->sub with unknown keys refused (the
 * unknown-key walk does not go into lists). */
static lk_err dt_list(struct dt_load *l, const struct dt_key *k,
                      const struct lk_conf_node *n, const struct dt_where *w,
                      void *dst)
{
  struct { void *v; size_t n; } list;
  char path[DT_PATHMAX];
  size_t i;
  lk_err err;

  if(!n || n->kind != LK_CONF_SEQ)
    return dt_bad(l, w, k, n, n && n->value ? n->value : "",
                  "a list of maps");
  list.n = n->n;
  list.v = lk_arena_calloc(l->arena, (n->n ? n->n : 1) * k->sub->size);
  if(!list.v)
    return LK_ERR_NOMEM;
  for(i = 0; i < n->n; i++) {
    const struct lk_conf_node *it = n->items[i];
    struct dt_apply a = { path, it, it->line,
                          (char *)list.v + i * k->sub->size, 0, NULL, 1 };
    struct dt_where iw = { path, it->line, NULL };
    snprintf(path, sizeof path, "%s[%zu]", w->path, i);
    if(it->kind != LK_CONF_MAP)
      return dt_bad(l, &iw, k, it, it->value ? it->value : "", "a map");
    err = dt_apply(l, k->sub, &a);
    if(err)
      return err;
  }
  memcpy(dst, &list, sizeof list);
  return LK_OK;
}

