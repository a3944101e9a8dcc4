/* dt_frigate.h - Frigate as Double Take talks to it: the event JSON of
 * frigate/events read into a struct, the checks that decide whether an
 * event is worth processing (with Double Take's own words, which its users
 * see in logs and API answers), the image URLs it polls (snapshot.jpg,
 * latest.jpg) and the sub_label write-back. compat-apis.md §1.4, §5.
 *
 * Threads: everything here is reentrant; a parsed event lives in the
 * caller's arena.
 *
 *   struct lk_dt_object ev;
 *   err = lk_dt_frigate_parse(payload, len, arena, &ev, why);
 *   skip = lk_dt_frigate_check(&ev, &filter, arena);   NULL: process it
 *   lk_dt_frigate_url(buf, size, base, &ev, LK_DT_FRIGATE_SNAPSHOT, 500, 1);
 *   err = lk_dt_frigate_sub_label(NULL, base, ev.id, "ada", 0.91, why);
 */
#ifndef LK_DT_FRIGATE_H
#define LK_DT_FRIGATE_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"
#include "fetch/fetch.h"

#define LK_DT_FRIGATE_ERRMAX 256
#define LK_DT_SUB_LABEL_MAX 100     /* Frigate's limit (0.13+) */

enum lk_dt_frigate_type {
  LK_DT_FRIGATE_NEW, LK_DT_FRIGATE_UPDATE, LK_DT_FRIGATE_END
};

/* What Double Take reads of an event about a tracked object: after (else
 * before). */
struct lk_dt_object {
  enum lk_dt_frigate_type type;
  const char *id;             /* "1607123955.475377-mxklsc" */
  const char *camera;
  const char *label;          /* "person" */
  double area;                /* of the object's box, px²; 0 when absent */
  double frame_time;          /* Unix seconds; 0 when absent */
  const char **zones;         /* current_zones */
  int n_zones;
  int has_snapshot;
  const char *sub_label;      /* as Frigate has it now, or NULL */
};

/* Parse a frigate/events payload. LK_ERR_INVAL (why says what) for text
 * that is not such an event: not JSON, no type, an unknown type, no
 * after/before object, no id or camera, ids or names that are not
 * strings. Strings are copied into arena. */
lk_err lk_dt_frigate_parse(const void *json, size_t len,
                           struct lk_arena *arena,
                         struct lk_dt_object *ev, char *why);

/* Which events are processed (config: frigate.labels, frigate.cameras,
 * frigate.zones, frigate.min_area). NULL lists allow everything; labels
 * NULL means Double Take's default, person. */
struct lk_dt_frigate_zone {
  const char *camera;
  const char *zone;
};
struct lk_dt_frigate_filter {
  const char *const *labels;      /* NULL-terminated */
  const char *const *cameras;     /* NULL-terminated, or NULL: any */
  const struct lk_dt_frigate_zone *zones; /* n_zones of them, or none: any */
  int n_zones;
  double min_area;                /* 0: any */
};

/* NULL when the event is to be processed, else Double Take's reason, in
 * the arena: "<id> - skip processing on end events", "<id> - <camera> not
 * on approved list", "<id> - <camera> zone not on approved list", "<id> -
 * <label> label not in (person)", "skipping object area smaller than N
 * (A)". Unlike Double Take, an update while another event is processing
 * is not refused: each event is handled on its own. */
const char *lk_dt_frigate_check(const struct lk_dt_object *ev,
                              const struct lk_dt_frigate_filter *f,
                              struct lk_arena *arena);

enum lk_dt_frigate_image { LK_DT_FRIGATE_SNAPSHOT, LK_DT_FRIGATE_LATEST };

/* The URL Double Take polls: <base>/api/events/<id>/snapshot.jpg?h=H
 * (&crop=1 when crop) or <base>/api/<camera>/latest.jpg?h=H. base is
 * Frigate's URL from the config (a trailing slash is fine); id and camera
 * are percent-encoded. The length, or -1 when it does not fit. */
int lk_dt_frigate_url(char *buf, size_t size, const char *base,
                      const struct lk_dt_object *ev,
                      enum lk_dt_frigate_image what,
                      int height, int crop);

/* POST <base>/api/events/<id>/sub_label {"subLabel":name,"subLabelScore":
 * score}: Frigate shows the name on the event. The name is cut to
 * LK_DT_SUB_LABEL_MAX bytes (at a UTF-8 boundary); score is sent only when
 * in (0, 1]. policy NULL: lk_fetch_default_policy(). LK_ERR_IO with why
 * ("HTTP 404" for an event Frigate no longer has). */
lk_err lk_dt_frigate_sub_label(const struct lk_fetch_policy *policy,
                               const char *base, const char *id,
                               const char *name, double score, char *why);

#endif
