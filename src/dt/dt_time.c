/* dt_time.c - Double Take's timestamps (time.util.js current()): luxon's
 * ISO text by default, or time.format with luxon's tokens, in en-US. The
 * caller resolves time.timezone to an offset; no tz database here. */
#include "dt/dt_result_int.h"

#include <stdio.h>
#include <string.h>

static const char *const month_names[12] = {
  "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"
};
/* luxon's weekday 1..7 is Monday..Sunday */
static const char *const day_names[7] = {
  "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
  "Sunday"
};

struct civil {
  int64_t year;
  int month, day, hour, minute, second, ms, weekday;
};

static int64_t floor_div(int64_t a, int64_t b)
{
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Local calendar fields of an instant; days to dates by H. Hinnant's
 * civil_from_days (proleptic Gregorian, any year). */
static struct civil civil_of(const struct lk_dt_clock *c)
{
  int64_t local = c->unix_ms + (int64_t)c->offset_min * 60000;
  int64_t days = floor_div(local, 86400000), ms = local - days * 86400000;
  int64_t z = days + 719468, era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  struct civil t;
  t.day = (int)(doy - (153 * mp + 2) / 5 + 1);
  t.month = (int)(mp < 10 ? mp + 3 : mp - 9);
  t.year = yoe + era * 400 + (t.month <= 2);
  t.hour = (int)(ms / 3600000);
  t.minute = (int)(ms / 60000 % 60);
  t.second = (int)(ms / 1000 % 60);
  t.ms = (int)(ms % 1000);
  /* 1970-01-01 was a Thursday (4) */
  t.weekday = (int)(days + 3 - floor_div(days + 3, 7) * 7) + 1;
  return t;
}

struct out {
  char *p;
  size_t cap, n;
  int full;
};

static void put(struct out *o, const char *s, size_t len)
{
  if(o->full || len >= o->cap - o->n) {
    o->full = 1;
    return;
  }
  memcpy(o->p + o->n, s, len);
  o->n += len;
  o->p[o->n] = '\0';
}

static void put_str(struct out *o, const char *s)
{
  put(o, s, strlen(s));
}

/* luxon's padStart: at least width digits, the sign in front */
static void put_num(struct out *o, int64_t v, int width)
{
  char buf[32];
  unsigned long long m = v < 0 ? 0 - (unsigned long long)v :
                         (unsigned long long)v;
  snprintf(buf, sizeof buf, "%s%0*llu", v < 0 ? "-" : "", width, m);
  put_str(o, buf);
}

/* luxon's formatOffset: narrow +5 or +5:30, short +05:30, techie +0530 */
static void put_offset(struct out *o, int offset, int style)
{
  int h = (offset < 0 ? -offset : offset) / 60;
  int m = (offset < 0 ? -offset : offset) % 60;
  char buf[16];
  if(style == 1)
    snprintf(buf, sizeof buf, m ? "%c%d:%d" : "%c%d", offset < 0 ? '-' : '+',
             h, m);
  else
    snprintf(buf, sizeof buf, style == 2 ? "%c%02d:%02d" : "%c%02d%02d",
             offset < 0 ? '-' : '+', h, m);
  put_str(o, buf);
}

/* A name in full (n = 4), short (3) or narrow (5). */
static void put_name(struct out *o, const char *name, int n)
{
  put(o, name, n == 4 ? strlen(name) : n == 3 ? 3 : 1);
}

/* Date tokens: y M L d E c q; 0 when token is not one of them. L and c
 * are luxon's stand-alone month and weekday, the same text in English. */
static int put_date(struct out *o, const struct civil *t, char c, int n)
{
  c = c == 'L' ? 'M' : c == 'c' ? 'E' : c;
  if(c == 'y' && (n == 1 || n == 4 || n == 6))
    put_num(o, t->year, n == 1 ? 0 : n);
  else if(c == 'y' && n == 2)
    put_num(o, (t->year < 0 ? -t->year : t->year) % 100, 2);
  else if(c == 'M' && n <= 2)
    put_num(o, t->month, n);
  else if(c == 'M' && n <= 5)
    put_name(o, month_names[t->month - 1], n);
  else if(c == 'd' && n <= 2)
    put_num(o, t->day, n);
  else if(c == 'q' && n <= 2)
    put_num(o, (t->month + 2) / 3, n);
  else if(c == 'E' && n == 1)
    put_num(o, t->weekday, 0);
  else if(c == 'E' && n >= 3 && n <= 5)
    put_name(o, day_names[t->weekday - 1], n);
  else
    return 0;
  return 1;
}

/* Time tokens: H h m s S a Z X x; 0 when token is not one of them. */
static int put_time(struct out *o, const struct lk_dt_clock *c,
                    const struct civil *t, char ch, int n)
{
  int h12 = t->hour % 12 ? t->hour % 12 : 12;
  if(ch == 'H' && n <= 2)
    put_num(o, t->hour, n);
  else if(ch == 'h' && n <= 2)
    put_num(o, h12, n);
  else if(ch == 'm' && n <= 2)
    put_num(o, t->minute, n);
  else if(ch == 's' && n <= 2)
    put_num(o, t->second, n);
  else if(ch == 'S' && (n == 1 || n == 3))
    put_num(o, t->ms, n);
  else if(ch == 'a' && n == 1)
    put_str(o, t->hour < 12 ? "AM" : "PM");
  else if(ch == 'Z' && n <= 3)
    put_offset(o, c->offset_min, n);
  else if(ch == 'X' && n == 1)
    put_num(o, floor_div(c->unix_ms, 1000), 0);
  else if(ch == 'x' && n == 1)
    put_num(o, c->unix_ms, 0);
  else
    return 0;
  return 1;
}

/* toFormat(): runs of one character are tokens, text between single
 * quotes is kept, anything not understood is copied as luxon does with
 * tokens it has no meaning for. */
static void format_tokens(struct out *o, const struct lk_dt_clock *c,
                          const char *f)
{
  struct civil t = civil_of(c);
  size_t n;
  while(*f) {
    if(*f == '\'') {
      n = strcspn(f + 1, "'");
      put(o, f + 1, n);
      f += 1 + n + (f[1 + n] == '\'');
      continue;
    }
    for(n = 1; f[n] == f[0]; n++)
      ;
    if(!put_date(o, &t, f[0], (int)n) && !put_time(o, c, &t, f[0], (int)n))
      put(o, f, n);
    f += n;
  }
}

/* toISO(): 2021-06-17T05:01:36.030Z, or +02:00 for other zones; years
 * past 9999 or before 0 get a sign and six digits. */
static void format_iso(struct out *o, const struct lk_dt_clock *c)
{
  struct civil t = civil_of(c);
  if(t.year > 9999)
    put_str(o, "+");
  put_num(o, t.year, t.year < 0 || t.year > 9999 ? 6 : 4);
  format_tokens(o, c, "-MM-dd'T'HH:mm:ss.SSS");
  if(c->utc && c->offset_min == 0)
    put_str(o, "Z");
  else
    put_offset(o, c->offset_min, 2);
}

lk_err lk_dt_time_format(const struct lk_dt_clock *c, const char *format,
                         char *out, size_t cap)
{
  struct out o = { out, cap, 0, 0 };
  if(!c || !out || !cap)
    return LK_ERR_INVAL;
  out[0] = '\0';
  if(format && *format)
    format_tokens(&o, c, format);
  else
    format_iso(&o, c);
  return o.full ? LK_ERR_TOO_LARGE : LK_OK;
}
