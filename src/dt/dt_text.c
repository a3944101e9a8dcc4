/* dt_text.c - numbers and text the way Double Take's JavaScript prints
 * them: toFixed(2) rounding, String(number), toLowerCase, /\s+/ runs; and
 * the small string and cJSON helpers the payload builders share. */
#include "dt/dt_result_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double lk_dt_round2(double x)
{
  char buf[64];
  double m = fabs(x), up;
  /* toFixed gives String(x) from 1e21 on, and parseFloat reads it back */
  if(!isfinite(x) || m >= 1e21)
    return x;
  /* A tie at 2 decimals is m = k/8 with k odd (m = (2j+1)/200 exactly
   * needs 25 | 2j+1). JavaScript rounds it away from zero; printf would
   * round it to even. Everything else printf rounds as toFixed does, from
   * the exact binary value. Under 1e13, m * 100 is exact. */
  if(m < 1e13 && fmod(m * 8, 2) == 1) {
    up = ceil(m * 100) / 100;
    return x < 0 ? -up : up;
  }
  snprintf(buf, sizeof buf, "%.2f", x);
  return strtod(buf, NULL);
}

/* Fixed or exponent text from the shortest digits d (k of them) of a
 * number d × 10^(n-k): ECMAScript's Number::toString, step 6 on. At most
 * 26 bytes with the NUL: 17 digits, a point and 6 zeros, or e-324. */
static int js_number_layout(const char *d, int k, int n, char *out,
                            size_t cap)
{
  static const char zeros[] = "000000000000000000000";   /* 21 */
  if(k <= n && n <= 21)
    return snprintf(out, cap, "%s%.*s", d, n - k, zeros);
  if(0 < n && n <= 21)
    return snprintf(out, cap, "%.*s.%s", n, d, d + n);
  if(-6 < n && n <= 0)
    return snprintf(out, cap, "0.%.*s%s", -n, zeros, d);
  return snprintf(out, cap, "%c%s%se%c%d", d[0], k > 1 ? "." : "", d + 1,
                  n - 1 >= 0 ? '+' : '-', abs(n - 1));
}

void lk_dt_number_text(double x, char *out)
{
  char e[40], d[24];
  int prec, k = 0;
  const char *p;
  if(!isfinite(x) || x == 0) {      /* "0" for -0 too, as JavaScript */
    snprintf(out, LK_DT_NUMBER_MAX, "%s", isnan(x) ? "NaN" :
             x == 0 ? "0" : x > 0 ? "Infinity" : "-Infinity");
    return;
  }
  if(x < 0)
    *out++ = '-';
  x = fabs(x);
  /* the shortest decimal that reads back as x */
  for(prec = 1; prec < 17; prec++) {
    snprintf(e, sizeof e, "%.*e", prec - 1, x);
    if(strtod(e, NULL) == x)
      break;
  }
  snprintf(e, sizeof e, "%.*e", prec - 1, x);
  for(p = e; *p != 'e'; p++)
    if(*p != '.')
      d[k++] = *p;
  d[k] = '\0';
  if(js_number_layout(d, k, (int)strtol(p + 1, NULL, 10) + 1, out,
                      LK_DT_NUMBER_MAX - 1) >= LK_DT_NUMBER_MAX - 1)
    out[0] = '\0';                  /* cannot happen: see the layout */
}

/* ---- UTF-8, lower case, white space ---------------------------------- */

/* The code point at s (its length in *len); an invalid byte reads as
 * itself with length 1 (-1 returned), so it is copied through. */
static long utf8_next(const unsigned char *s, int *len)
{
  int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 :
          (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
  long cp;
  int i;
  *len = 1;
  if(n == 0)
    return -1;
  cp = n == 1 ? s[0] : s[0] & (0x3F >> (n - 1));
  for(i = 1; i < n; i++) {
    if((s[i] & 0xC0) != 0x80)
      return -1;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  *len = n;
  return cp;
}

static int utf8_put(long cp, char *out)
{
  if(cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if(cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if(cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Blocks where capitals and small letters alternate, capital first
 * (even) or second (odd start): Latin Extended-A, Cyrillic, Latin
 * Extended Additional. */
static int lower_pairs(long cp)
{
  static const long pairs[][2] = {
    { 0x0100, 0x012F }, { 0x0132, 0x0137 }, { 0x014A, 0x0177 },
    { 0x0460, 0x0481 }, { 0x048A, 0x04BF }, { 0x04D0, 0x052F },
    { 0x1E00, 0x1E95 }, { 0x1EA0, 0x1EFF }
  };
  size_t i;
  if((cp >= 0x0139 && cp <= 0x0148) || (cp >= 0x0179 && cp <= 0x017E) ||
     (cp >= 0x04C1 && cp <= 0x04CE))
    return cp % 2 ? 1 : 0;
  for(i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
    if(cp >= pairs[i][0] && cp <= pairs[i][1])
      return cp % 2 ? 0 : 1;
  return 0;
}

/* toLowerCase for one code point (U+0130 is handled by the caller). */
static long lower_cp(long cp)
{
  if((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
     (cp >= 0x0391 && cp <= 0x03AB && cp != 0x03A2) ||
     (cp >= 0x0410 && cp <= 0x042F))
    return cp + 32;
  if(cp >= 0x0400 && cp <= 0x040F)
    return cp + 80;
  if(cp >= 0x0531 && cp <= 0x0556)
    return cp + 48;
  if(cp >= 0x0388 && cp <= 0x038A)
    return cp + 37;
  if(cp == 0x0386)
    return 0x03AC;
  if(cp == 0x038C)
    return 0x03CC;
  if(cp == 0x038E || cp == 0x038F)
    return cp + 63;
  if(cp == 0x0178)
    return 0xFF;
  if(cp == 0x04C0)
    return 0x04CF;
  return cp + lower_pairs(cp);
}

/* U+0130 (2 bytes) becomes i + U+0307 (3 bytes): at most 3/2 longer */
static size_t lower_room(const char *s)
{
  size_t n = strlen(s);
  return n + n / 2 + 1;
}

static void lower_into(const char *s, char *out)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0;
  int len;
  long cp;
  while(*p) {
    cp = utf8_next(p, &len);
    if(cp < 0) {
      out[o++] = (char)*p;
    } else if(cp == 0x0130) {
      out[o++] = 'i';
      o += (size_t)utf8_put(0x0307, out + o);
    } else {
      o += (size_t)utf8_put(lower_cp(cp), out + o);
    }
    p += len;
  }
  out[o] = '\0';
}

char *lk_dt_lower(struct lk_arena *arena, const char *s)
{
  char *out = s ? lk_arena_alloc(arena, lower_room(s)) : NULL;
  if(out)
    lower_into(s, out);
  return out;
}

char *lk_dtr_lower_dup(const char *s)
{
  char *out = s ? lk_malloc(lower_room(s)) : NULL;
  if(out)
    lower_into(s, out);
  return out;
}

/* JavaScript's \s: ASCII white space, the Unicode space separators, line
 * and paragraph separators, and the BOM. */
static int js_space(long cp)
{
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
         cp == 0xFEFF;
}

char *lk_dtr_spaces(struct lk_arena *arena, const char *s, char rep)
{
  char *out = lk_arena_alloc(arena, strlen(s) + 1);
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0;
  int len, in_run = 0;
  if(!out)
    return NULL;
  while(*p) {
    long cp = utf8_next(p, &len);
    if(js_space(cp)) {
      if(!in_run)
        out[o++] = rep;
      in_run = 1;
    } else {
      memcpy(out + o, p, (size_t)len);
      o += (size_t)len;
      in_run = 0;
    }
    p += len;
  }
  out[o] = '\0';
  return out;
}

/* ---- strings in an arena, cJSON chaining ----------------------------- */

char *lk_dtr_strdup(struct lk_arena *arena, const char *s)
{
  size_t n = strlen(s) + 1;
  char *out = lk_arena_alloc(arena, n);
  if(out)
    memcpy(out, s, n);
  return out;
}

char *lk_dtr_join(struct lk_arena *arena, ...)
{
  va_list ap;
  const char *s;
  size_t n = 1, o = 0;
  char *out;
  va_start(ap, arena);
  while((s = va_arg(ap, const char *)))
    n += strlen(s);
  va_end(ap);
  out = lk_arena_alloc(arena, n);
  if(!out)
    return NULL;
  va_start(ap, arena);
  while((s = va_arg(ap, const char *))) {
    memcpy(out + o, s, strlen(s));
    o += strlen(s);
  }
  va_end(ap);
  out[o] = '\0';
  return out;
}

char *lk_dtr_print(struct lk_arena *arena, cJSON *tree, size_t *len)
{
  char *text = tree ? cJSON_PrintUnformatted(tree) : NULL;
  char *out = text ? lk_dtr_strdup(arena, text) : NULL;
  cJSON_free(text);
  cJSON_Delete(tree);
  if(out && len)
    *len = strlen(out);
  return out;
}

cJSON *lk_dtr_add(cJSON *o, const char *key, cJSON *item)
{
  if(o && item && cJSON_AddItemToObject(o, key, item))
    return o;
  cJSON_Delete(item);
  cJSON_Delete(o);
  return NULL;
}

cJSON *lk_dtr_push(cJSON *a, cJSON *item)
{
  if(a && item && cJSON_AddItemToArray(a, item))
    return a;
  cJSON_Delete(item);
  cJSON_Delete(a);
  return NULL;
}
