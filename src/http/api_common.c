/* api_common.c - pieces every API adapter needs the same way: error tables,
 * file parts, key comparison, strict numbers, whole-pixel boxes, base64
 * and float-exact JSON numbers. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
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

/* The 6-bit value of a base64 digit of either alphabet; -1 for others. */
static int lk_api_b64_digit(unsigned char c)
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
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

lk_err lk_api_base64(const char *s, size_t len, struct lk_arena *arena,
                     unsigned char **out, size_t *n)
{
  unsigned char *p = lk_arena_alloc(arena, len / 4 * 3 + 3);
  size_t i, k = 0, digits = 0, pad = 0;
  unsigned acc = 0;
  int bits = 0;

  *out = NULL;
  *n = 0;
  if(!p)
    return LK_ERR_NOMEM;
  for(i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    int v = lk_api_b64_digit(c);
    if(lk_api_b64_space(c))
      continue;
    if(c == '=' || v < 0 || pad) {
      if(c != '=')    /* a stray byte, or data after the padding */
        return LK_ERR_INVAL;
      pad++;
      continue;
    }
    digits++;
    acc = (acc << 6 | (unsigned)v) & 0xffffffu;
    bits += 6;
    if(bits >= 8) {
      bits -= 8;
      p[k++] = (unsigned char)(acc >> bits);
    }
  }
  /* one digit alone cannot hold a byte; padding, when given, must fill
   * the last group of four exactly */
  if(digits % 4 == 1 || pad > 2 || (pad && (digits + pad) % 4))
    return LK_ERR_INVAL;
  *out = p;
  *n = k;
  return LK_OK;
}

double lk_api_float(float f)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", (double)f);
  return strtod(buf, NULL);
}
