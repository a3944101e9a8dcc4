/* pipeline.h - the recognize core every API adapter calls: image bytes in,
 * faces (largest first) with their gallery matches and calibrated
 * confidences out; registering a face under a name; comparing two images.
 * Adapters only translate requests and responses around these calls.
 *
 * Threads: one pipeline is shared by every request thread; the engine and
 * the store are thread safe, and each call works in the caller's arena.
 *
 *   struct lk_pipeline_result r;
 *   err = lk_pipeline_recognize(p, bytes, len, 1, arena, &r, why);
 *   for each r.faces[i]: r.faces[i].matches[0].person, .confidence
 */
#ifndef LK_PIPELINE_H
#define LK_PIPELINE_H

#include <stdint.h>

#include "face/face.h"
#include "image/image.h"
#include "store/store.h"

#define LK_PIPELINE_ERRMAX 256

/* One distance -> confidence curve for every API: a logistic centred on the
 * distance where lfw_small's 7,500 different-person pairs fall below 0.1 %
 * (0.463 with the default chip), steep enough that confidences 0.5, 0.6
 * and 0.67 (the CompreFace, Double Take and DeepStack defaults) all sit
 * between distances 0.46 and 0.44. docs/pipeline.md has the figures. */
#define LK_PIPELINE_CALIB_CENTER 0.46
#define LK_PIPELINE_CALIB_SLOPE 40.0

struct lk_pipeline_config {
  struct lk_face_opts face;
  struct lk_image_opts image;
  double calib_center;       /* distance of confidence 0.5 */
  double calib_slope;        /* per unit of distance */
  /* NULL: keep no images. Else an existing folder where register keeps
   * each source image, as given, in a file named by face id (123.jpg);
   * CompreFace serves them back (GET .../faces/{image_id}/img). The
   * string is the caller's and must outlive the pipeline. */
  const char *image_dir;
};

struct lk_pipeline_config lk_pipeline_default_config(void);

struct lk_pipeline_match {
  const char *person;        /* in the arena */
  int64_t face_id;           /* the gallery face that matched best */
  float distance;
  float confidence;          /* lk_pipeline_confidence(distance) */
};

struct lk_pipeline_face {
  struct lk_face face;       /* box, score, landmarks, descriptor */
  struct lk_pipeline_match *matches;   /* best first; NULL when none */
  int n_matches;
};

struct lk_pipeline_result {
  int width, height;         /* of the image as displayed */
  struct lk_pipeline_face *faces;      /* largest box first */
  int n_faces;
};

struct lk_pipeline;

/* eng and st stay the caller's and must outlive the pipeline; st may be
 * NULL for a pipeline that only detects and compares. */
lk_err lk_pipeline_create(struct lk_pipeline **out,
                          struct lk_face_engine *eng, struct lk_store *st,
                          const struct lk_pipeline_config *cfg);
void lk_pipeline_destroy(struct lk_pipeline *p);     /* NULL is fine */
struct lk_store *lk_pipeline_store(const struct lk_pipeline *p);

/* Confidence in [0, 1] for a descriptor distance; strictly decreasing. */
float lk_pipeline_confidence(const struct lk_pipeline *p, float distance);

/* Decode and find faces, largest first. descriptors: also landmarks and
 * descriptors (else boxes and scores only). min_score overrides the
 * detector threshold when > 0. */
lk_err lk_pipeline_detect(struct lk_pipeline *p, const void *img, size_t len,
                          int descriptors, float min_score,
                          struct lk_arena *arena,
                          struct lk_pipeline_result *res, char *why);

/* lk_pipeline_detect with descriptors, then the top_k nearest people of
 * each face from the gallery. */
lk_err lk_pipeline_recognize(struct lk_pipeline *p, const void *img,
                             size_t len, int top_k, struct lk_arena *arena,
                             struct lk_pipeline_result *res, char *why);

/* Store the largest face of the image under person (created if new);
 * LK_ERR_NO_FACE when there is none. meta: NULL or a JSON object. */
lk_err lk_pipeline_register(struct lk_pipeline *p, const char *person,
                            const void *img, size_t len, const char *meta,
                            struct lk_arena *arena, int64_t *face_id,
                            char *why);
/* lk_pipeline_register, also handing back the detection the face came
 * from, so an API can answer with its box and score without detecting
 * twice: res->faces[0] is the face stored, res->n_faces how many the image
 * held (res lives in arena). */
lk_err lk_pipeline_register_result(struct lk_pipeline *p, const char *person,
                                   const void *img, size_t len,
                                   const char *meta, struct lk_arena *arena,
                                   struct lk_pipeline_result *res,
                                   int64_t *face_id, char *why);

/* The labels register stores with each face, for a status page: "ssd" or
 * "tiny"; "similarity" or "faceapi". */
const char *lk_pipeline_detector_label(const struct lk_pipeline *p);
const char *lk_pipeline_align_label(const struct lk_pipeline *p);

/* ---- kept images and deletes (keep.c) ---------------------------------
 * Faces are deleted through the pipeline, not the store, so their kept
 * images go with them. */

/* The image register kept for a face: its bytes in the arena and its
 * media type ("image/jpeg"). LK_ERR_NOT_FOUND when the face is gone or
 * has no image. */
lk_err lk_pipeline_face_image(struct lk_pipeline *p, int64_t face_id,
                              struct lk_arena *arena,
                              const unsigned char **data, size_t *len,
                              const char **type);
/* lk_store_face_delete, then the face's image. */
lk_err lk_pipeline_face_delete(struct lk_pipeline *p, int64_t face_id);
/* lk_store_person_delete (clear: lk_store_person_clear, keeping the
 * person), then the images of the faces that went; n_faces may be NULL. */
lk_err lk_pipeline_person_delete(struct lk_pipeline *p, const char *name,
                                 int clear, int64_t *n_faces);
/* Remove kept images whose face is deleted or unknown: files left by a
 * crash between a delete and its unlink. Run once at start; returns how
 * many files went (or -1 when the folder cannot be read). */
long lk_pipeline_image_sweep(struct lk_pipeline *p);

/* Distance between the largest faces of two images; LK_ERR_NO_FACE (why
 * names "first" or "second") when one has none. */
lk_err lk_pipeline_compare(struct lk_pipeline *p, const void *a, size_t alen,
                           const void *b, size_t blen, struct lk_arena *arena,
                           float *distance, char *why);

#endif
