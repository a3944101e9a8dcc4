/* api_common.c - pieces every API adapter needs the same way: error tables,
 * file parts, key comparison, strict numbers, whole-pixel boxes. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
