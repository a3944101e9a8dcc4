/* api_common.c - pieces every API adapter needs the same way: error tables,
 * route tables, file parts, request fields, key comparison, strict
 * numbers, whole-pixel boxes, JSON building, base64 and float-exact JSON
 * numbers. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t lk_api_routes(const struct lk_api_route *t, size_t n,
                     struct lk_api *api, lk_http_error_fn on_error,
                     struct lk_http_route *out, size_t max)
{
  size_t i;
  if(max < n)
    return 0;
  for(i = 0; i < n; i++) {
    out[i].method = t[i].method;
    out[i].pattern = t[i].pattern;
    out[i].handler = t[i].handler;
    out[i].ctx = api;
    out[i].flags = t[i].flags;
    out[i].on_error = on_error;
  }
  return n;
}

const struct lk_api_error *lk_api_error_find(const struct lk_api_error *t,
                                             lk_err err)
{
  while(t->err != LK_ERR_LAST && t->err != err)
    t++;
  return t;
}

const struct lk_http_part *lk_api_file(const struct lk_http_req *req,
                                       const char *name)
{
  const struct lk_http_part *parts;
  size_t i, n = lk_http_req_parts(req, &parts);
  for(i = 0; i < n; i++) {
    if(parts[i].filename && (!name || !strcmp(parts[i].name, name)))
      return &parts[i];
  }
  return NULL;
}

lk_err lk_api_files(struct lk_http_req *req,
                    const struct lk_http_part ***files, size_t *n)
{
  const struct lk_http_part *parts, **out;
  size_t i, k = 0, total = lk_http_req_parts(req, &parts);
  *files = NULL;
  *n = 0;
  for(i = 0; i < total; i++)
    k += parts[i].filename != NULL;
  if(!k)
    return LK_OK;
  out = lk_arena_alloc(lk_http_req_arena(req), k * sizeof *out);
  if(!out)
    return LK_ERR_NOMEM;
  for(i = 0, k = 0; i < total; i++) {
    if(parts[i].filename)
      out[k++] = &parts[i];
  }
  *files = out;
  *n = k;
  return LK_OK;
}

int lk_api_key_equal(const void *given, size_t len, const char *want)
{
  const unsigned char *g = given;
  size_t i, wl;
  unsigned diff;
  if(!given || !want)
    return 0;
  wl = strlen(want);
  diff = len != wl;
  /* every byte of want is visited whatever matched before, so the time
   * tells an attacker nothing about how much of the key was right */
  for(i = 0; i < wl; i++)
    diff |= (unsigned)((unsigned char)want[i] ^ (i < len ? g[i] : 0u));
  return diff == 0;
}

lk_err lk_api_number(const char *s, double *out)
{
  char *end;
  double v;
  if(!s || !*s || isspace((unsigned char)*s))
    return LK_ERR_INVAL;
  errno = 0;
  v = strtod(s, &end);
  if(*end || isnan(v))
    return LK_ERR_INVAL;
  /* underflow to 0 is a fine reading of "1e-400"; "1e400" is refused as
   * ParseFloat refuses it, while a literal "inf" sets no ERANGE */
  if(errno == ERANGE && isinf(v))
    return LK_ERR_INVAL;
  *out = v;
  return LK_OK;
}

static int lk_api_clamp(float v, int hi)
{
  if(!(v > 0.0f))    /* NaN too */
    return 0;
  if(v >= (float)hi)
    return hi;
  return (int)lroundf(v);
}

void lk_api_box_round(const struct lk_box *b, int width, int height,
                      struct lk_api_box *out)
{
  out->x_min = lk_api_clamp(b->x_min, width);
  out->y_min = lk_api_clamp(b->y_min, height);
  out->x_max = lk_api_clamp(b->x_max, width);
  out->y_max = lk_api_clamp(b->y_max, height);
}

double lk_api_fraction(double x)
{
  return round(x * 1e6) / 1e6;
}

static const char *lk_api_json_field(struct lk_http_req *req, const cJSON *v)
{
  char *text;
  const char *out;
  if(cJSON_IsString(v))
    return v->valuestring;
  if(!v || cJSON_IsNull(v))
    return NULL;
  text = cJSON_PrintUnformatted(v);
  out = text ? lk_arena_strdup(lk_http_req_arena(req), text) : NULL;
  cJSON_free(text);
  return out;
}

const char *lk_api_field(struct lk_http_req *req, const char *name)
{
  const struct lk_http_part *part = lk_http_req_part(req, name);
  const cJSON *json = lk_http_req_json(req);
  const cJSON *v = cJSON_IsObject(json)
                   ? cJSON_GetObjectItemCaseSensitive(json, name) : NULL;
  if(part && !part->filename)
    return (const char *)part->data;
  if(v)
    return lk_api_json_field(req, v);
  return lk_http_req_query(req, name);
}

cJSON *lk_api_json_add(cJSON *o, const char *key, cJSON *item)
{
  if(o && item && cJSON_AddItemToObject(o, key, item))
    return o;
  cJSON_Delete(item);
  cJSON_Delete(o);
  return NULL;
}

cJSON *lk_api_json_push(cJSON *a, cJSON *item)
{
  if(a && item && cJSON_AddItemToArray(a, item))
    return a;
  cJSON_Delete(item);
  cJSON_Delete(a);
  return NULL;
}

static const char lk_api_b64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t lk_api_base64_encode(const void *data, size_t n, char *out)
{
  const unsigned char *p = data;
  size_t i, k = 0;
  uint32_t v;
  for(i = 0; i + 2 < n; i += 3) {
    v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    out[k++] = lk_api_b64[v >> 18 & 63];
    out[k++] = lk_api_b64[v >> 12 & 63];
    out[k++] = lk_api_b64[v >> 6 & 63];
    out[k++] = lk_api_b64[v & 63];
  }
  if(i < n) {
    v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
    out[k++] = lk_api_b64[v >> 18 & 63];
    out[k++] = lk_api_b64[v >> 12 & 63];
    out[k++] = i + 1 < n ? lk_api_b64[v >> 6 & 63] : '=';
    out[k++] = '=';
  }
  out[k] = '\0';
  return k;
}

/* A character's 6 bits in either alphabet; -1 for anything else. */
static int lk_api_b64_value(unsigned char c)
{
  if(c >= 'A' && c <= 'Z')
    return c - 'A';
  if(c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if(c >= '0' && c <= '9')
    return c - '0' + 52;
  if(c == '+' || c == '-')
    return 62;
  if(c == '/' || c == '_')
    return 63;
  return -1;
}

static int lk_api_b64_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

lk_err lk_api_base64_decode(const char *s, size_t len, unsigned char *out,
                            size_t *n)
{
  uint32_t acc = 0;
  size_t i, k = 0, sextets = 0, pad = 0;
  for(i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    int v = lk_api_b64_value(c);
    if(c == '=' || lk_api_b64_space(c)) {
      pad += c == '=';
      continue;
    }
    if(v < 0 || pad)    /* a stranger, or data after the padding */
      return LK_ERR_INVAL;
    acc = acc << 6 | (uint32_t)v;
    if(++sextets % 4 == 0) {
      out[k++] = (unsigned char)(acc >> 16);
      out[k++] = (unsigned char)(acc >> 8);
      out[k++] = (unsigned char)acc;
      acc = 0;
    }
  }
  /* 2 or 3 leftover sextets carry 1 or 2 bytes, and their padding, when
   * present, completes the group of 4; a lone sextet carries no byte */
  if(sextets % 4 == 1 || (pad && (sextets % 4 + pad) % 4) || pad > 2)
    return LK_ERR_INVAL;
  if(sextets % 4 == 2)
    out[k++] = (unsigned char)(acc >> 4);
  if(sextets % 4 == 3) {
    out[k++] = (unsigned char)(acc >> 10);
    out[k++] = (unsigned char)(acc >> 2);
  }
  *n = k;
  return LK_OK;
}

lk_err lk_api_base64(const char *s, size_t len, struct lk_arena *arena,
                     unsigned char **out, size_t *n)
{
  unsigned char *p = lk_arena_alloc(arena, LK_API_BASE64_MAX(len));
  lk_err err;
  *out = NULL;
  *n = 0;
  if(!p)
    return LK_ERR_NOMEM;
  err = lk_api_base64_decode(s, len, p, n);
  if(!err)
    *out = p;
  return err;
}

double lk_api_float(float f)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", (double)f);
  return strtod(buf, NULL);
}
