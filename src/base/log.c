/* log.c - stderr logger with an ISO time stamp. */
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
  n += m;
  if((size_t)n > sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  if(write(STDERR_FILENO, line, (size_t)n) < 0)
    return;
}
