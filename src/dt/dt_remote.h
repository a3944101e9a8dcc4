/* dt_remote.h - the external detectors of Double Take's `detectors:`
 * section (CompreFace, DeepStack, Facebox, CodeProject.AI's "aiserver"),
 * asked exactly as Double Take asks them (compat-apis.md §1.11), so people
 * can move to likeness's own detector one camera at a time. Recognize
 * gives raw faces for dt_result's rules; train and untrain manage a
 * detector's gallery. Their URLs come from the admin's config: trusted
 * (lk_fetch_trusted_send), with the detector's timeout.
 *
 * Threads: reentrant; faces live in the caller's arena.
 *
 *   struct lk_dt_remote r = { LK_DT_COMPREFACE, "http://cf:8000", key, 15 };
 *   (lk_dt_detector_name(r.kind) names it in results)
 *   err = lk_dt_remote_recognize(&r, jpg, len, arena, &faces, &n, why);
 *   err = lk_dt_remote_train(&r, "ada", jpg, len, why);
 */
#ifndef LK_DT_REMOTE_H
#define LK_DT_REMOTE_H

#include <stddef.h>

#include "dt/dt_config.h"
#include "dt/dt_result.h"

#define LK_DT_REMOTE_ERRMAX 256

struct lk_dt_remote {
  /* LK_DT_COMPREFACE, LK_DT_DEEPSTACK, LK_DT_FACEBOX or LK_DT_AISERVER */
  enum lk_dt_detector_kind kind;
  const char *url;              /* the detector's base URL */
  const char *key;              /* CompreFace x-api-key, DeepStack api_key;
                                   NULL: none */
  int timeout_s;                /* 0: Double Take's 15 */
  /* CompreFace only: det_prob_threshold (0: Double Take's 0.8) and
   * face_plugins (NULL: none asked) */
  double det_prob_threshold;
  const char *face_plugins;
};

/* Ask the detector who is in the image. "No face" answers (CompreFace's
 * code 28, DeepStack's success:false, aiserver's "No face found") give
 * n = 0, as Double Take reads them; LK_ERR_IO (why: the detector's message
 * or the HTTP failure) for the rest. Faces: detector, subject, confidence
 * (0..1), Facebox's matched, box; strings in arena. */
lk_err lk_dt_remote_recognize(const struct lk_dt_remote *r, const void *img,
                              size_t len, struct lk_arena *arena,
                              struct lk_dt_raw_face **faces, size_t *n,
                              char *why);

/* Add one image of name to the detector's gallery (Double Take trains one
 * image per request; Facebox gets id = name, as Double Take sends). */
lk_err lk_dt_remote_train(const struct lk_dt_remote *r, const char *name,
                          const void *img, size_t len, char *why);
/* Remove every image of name from the detector's gallery. */
lk_err lk_dt_remote_untrain(const struct lk_dt_remote *r, const char *name,
                            char *why);

#endif
