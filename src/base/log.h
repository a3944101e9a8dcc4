/* log.h - one-line log messages to stderr.
 * Threads: safe; each message is written with a single write(2).
 *
 *   lk_log(LK_LOG_WARN, "image", "%s: %s", path, lk_strerror(err)); */
#ifndef LK_LOG_H
#define LK_LOG_H

enum lk_log_level { LK_LOG_DEBUG, LK_LOG_INFO, LK_LOG_WARN, LK_LOG_ERROR };

/* Messages below level are dropped; set once at startup (default INFO). */
void lk_log_set_level(enum lk_log_level level);
enum lk_log_level lk_log_get_level(void);

void lk_log(enum lk_log_level level, const char *module, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

#endif
