/* dt_notify.h - Double Take's notifications: an event's names and image
 * sent to Gotify (POST <url>/message, Markdown with the image inline) and,
 * as the skrashevich fork does, to Telegram (POST /bot<token>/sendPhoto),
 * filtered by notify.types, notify.only_unknown and each notifier's
 * cameras and zones. compat-apis.md §1.12; docs/dt-notify.md lists where
 * we differ from Double Take (events with only unknown faces notify; zone
 * filters work).
 *
 * The URLs are the admin's (trusted, lk_fetch_trusted_send), each request
 * bounded by a timeout; a notifier that is down or refuses is logged and
 * costs the event nothing else.
 *
 * Threads: reentrant; call it from the event's worker. Everything it
 * builds lives in the caller's arena or is freed before it returns.
 *
 *   struct lk_dt_notify_opts o = lk_dt_notify_default_opts();
 *   o.image = lk_dt_notify_store_image;  o.image_ctx = matches;
 *   lk_dt_notify_event(cfg, &o, &ev, &sum, arena, NULL);   after MQTT
 *
 * or in two steps:
 *   err = lk_dt_notify_prepare(cfg, &ev, &sum, arena, &n);
 *   if(!err && n.targets) err = lk_dt_notify_send(cfg, &o, &n, jpg, len, &sent);
 */
#ifndef LK_DT_NOTIFY_H
#define LK_DT_NOTIFY_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"
#include "dt/dt_config.h"
#include "dt/dt_result.h"

#define LK_DT_NOTIFY_TELEGRAM_URL "https://api.telegram.org"
#define LK_DT_NOTIFY_TIMEOUT_MS 10000L      /* per request */
/* Telegram refuses larger photos (sendPhoto: 10 MB); a larger image is
 * left out and the text sent alone, to either notifier. */
#define LK_DT_NOTIFY_IMAGE_MAX ((size_t)10 << 20)
#define LK_DT_NOTIFY_CAPTION_MAX 1024       /* Telegram's caption limit */

/* Notifiers, as bits of lk_dt_notice.targets and of *sent. */
#define LK_DT_NOTIFY_GOTIFY 1u
#define LK_DT_NOTIFY_TELEGRAM 2u

/* The JPEG a notification shows: the image saved under filename
 * ("<uuid>.jpg", a summary face's filename). *data lives in arena. */
typedef lk_err (*lk_dt_notify_image_fn)(void *ctx, const char *filename,
                                        struct lk_arena *arena,
                                        const unsigned char **data,
                                        size_t *len);

/* The hook onto the matches store (ctx: struct lk_dt_matches *). The
 * image is sent as saved: the boxes Double Take draws (?box=true) are not. */
lk_err lk_dt_notify_store_image(void *ctx, const char *filename,
                                struct lk_arena *arena,
                                const unsigned char **data, size_t *len);

struct lk_dt_notify_opts {
  const char *telegram_url;     /* Bot API base; NULL: the real one */
  long timeout_ms;              /* each request, connecting included;
                                   0: LK_DT_NOTIFY_TIMEOUT_MS */
  lk_dt_notify_image_fn image;  /* NULL: text only (lk_dt_notify_event) */
  void *image_ctx;
};

struct lk_dt_notify_opts lk_dt_notify_default_opts(void);

/* What an event's notification says and shows, and to whom. */
struct lk_dt_notice {
  /* "<camera>: david - 93.5%, ada - 81%, and unknown" (Double Take's
   * text: the event's best match per name, "unknown" once) */
  const char *text;
  /* whose saved image it shows: the first match, else the first unknown;
   * face->filename may be NULL (the image was not kept) */
  const struct lk_dt_face *face;
  unsigned targets;             /* LK_DT_NOTIFY_* that pass the filters */
  const char *id;               /* the event's, for the log */
};

/* The notice for an event, or targets = 0 when nothing is to be sent:
 * notify.types drops faces from images of other types ("frigate" stands
 * for Frigate's snapshot and latest images); what is left must hold a
 * match or an unknown face (an unknown with notify.only_unknown); then
 * each configured notifier whose cameras list (none: all) holds the
 * event's camera, and whose zones naming that camera (none: any zone)
 * include one of the event's zones, is a target. Why a notifier is left
 * out goes to the debug log. LK_ERR_NOMEM; LK_ERR_INVAL for NULL
 * arguments. */
lk_err lk_dt_notify_prepare(const struct lk_dt_config *c,
                            const struct lk_dt_event *ev,
                            const struct lk_dt_summary *s,
                            struct lk_arena *arena, struct lk_dt_notice *out);

/* Send n to its targets, one after the other, with jpeg (NULL, or over
 * LK_DT_NOTIFY_IMAGE_MAX: text only; Telegram then gets sendMessage).
 * opts NULL: the defaults. *sent (may be NULL) gets the targets that
 * answered 2xx. LK_ERR_IO when any target failed (each failure is logged
 * without the token: "notify: gotify: HTTP 401: invalid token"); the
 * others are still sent. */
lk_err lk_dt_notify_send(const struct lk_dt_config *c,
                         const struct lk_dt_notify_opts *opts,
                         const struct lk_dt_notice *n, const void *jpeg,
                         size_t len, unsigned *sent);

/* Prepare, read the image through opts->image when there is a target and
 * a saved image (a failed read sends the text alone), and send. The
 * event worker's one call, after the MQTT messages. */
lk_err lk_dt_notify_event(const struct lk_dt_config *c,
                          const struct lk_dt_notify_opts *opts,
                          const struct lk_dt_event *ev,
                          const struct lk_dt_summary *s,
                          struct lk_arena *arena, unsigned *sent);

#endif
