/* log.c - stderr logger with an ISO time stamp, one line per call. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum lk_log_level lk_log_level = LK_LOG_INFO;

void lk_log_set_level(enum lk_log_level level)
{
  lk_log_level = level;
}

enum lk_log_level lk_log_get_level(void)
{
  return lk_log_level;
}

void lk_log(enum lk_log_level level, const char *module, const char *fmt, ...)
{
  static const char *const names[] = { "debug", "info", "warn", "error" };
  char line[1024];
  struct timespec ts;
  struct tm tm;
  va_list ap;
  int n, m;

  if(level < lk_log_level)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
               tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[level],
               module);
  if(n < 0 || (size_t)n >= sizeof line)
    return;
  va_start(ap, fmt);
  m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if(m < 0)
    return;
  m += n;
  if((size_t)m > sizeof line - 2)
    m = (int)sizeof line - 2;
  /* messages carry paths, ids and names from requests and events: a
   * control character in one must not forge a line of its own */
  for(; n < m; n++)
    if((unsigned char)line[n] < 0x20 || line[n] == 0x7f)
      line[n] = '?';
  line[n++] = '\n';
  if(write(STDERR_FILENO, line, (size_t)n) < 0)
    return;
}
