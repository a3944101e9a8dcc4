/* face.h - faces, 68-point landmarks and 128-D descriptors from an image,
 * using the face-api.js 1.7.15 networks run on XNNPACK.
 *
 * Threads: models load once and stay read-only. One engine may be shared by
 * any number of threads: each call borrows a private set of XNNPACK runtimes
 * from the engine (creating one when all are busy). n_threads is the size of
 * the engine's pthreadpool, used inside one call (detector layers, faces of
 * one image in parallel). For throughput over many images, create the engine
 * with n_threads = 1 and call it from one thread per core; for the latency of
 * a single image, give it every core.
 *
 *   struct lk_face_models *m;  struct lk_face_engine *eng;
 *   err = lk_face_models_load(&m, lk_face_models_default_dir(), why);
 *   err = lk_face_engine_create(&eng, m, 2);
 *   struct lk_face_opts o = lk_face_default_opts();
 *   struct lk_face *faces; int n;
 *   err = lk_face_describe(eng, &img, &o, arena, &faces, &n);  faces in arena
 *   lk_face_engine_destroy(eng);  lk_face_models_free(m);
 */
#ifndef LK_FACE_H
#define LK_FACE_H

#include "base/err.h"
#include "base/mem.h"
#include "image/image.h"

#define LK_FACE_DESCRIPTOR_DIM 128
#define LK_FACE_LANDMARKS 68
#define LK_FACE_MAX_FACES 100        /* face-api.js maxResults default */
#define LK_FACE_ERRMAX 256

enum lk_detector { LK_DETECTOR_SSD = 0, LK_DETECTOR_TINY = 1 };

/* How the 150x150 descriptor input is cut from the image.
 * FACEAPI: exactly face-api.js (axis-aligned box from eye/mouth centres,
 *          padded to a square, bilinear resize).
 * SIMILARITY: a dlib-style chip: a 5-point similarity transform (eye corners,
 *          nose tip) onto dlib's canonical face, 150 px with 0.25 padding. */
enum lk_align { LK_ALIGN_SIMILARITY = 0, LK_ALIGN_FACEAPI = 1 };

struct lk_face_opts {
  enum lk_detector detector;   /* default SSD */
  float min_score;             /* default 0.5 (both detectors) */
  int tiny_input_size;         /* 128..608, multiple of 32; default 416 */
  int max_faces;               /* default LK_FACE_MAX_FACES */
  enum lk_align align;         /* default SIMILARITY */
  int tiny_landmarks;          /* use the tiny 68-point net (default 0) */
  /* SIMILARITY only: also describe the mirrored chip and average the two
   * descriptors. Twice the descriptor cost; on lfw_small, +0.6 % at 0.6.
   * Default 0. */
  int flip;
  /* When the detector finds nothing, try again on the image padded with a
   * border, so faces that fill the frame (crops, passport photos) are found.
   * When every face found touches an edge (a tight crop, whose subject the
   * detector may miss), look once in the padded image too and add the faces
   * whose centres lie in none already found. Photos with a face away from
   * the edges are unaffected. Default 1. */
  int refind;
};

/* Coordinates are in the pixels of the file as displayed (after EXIF
 * orientation): an image decoded smaller in the DCT domain (scale_denom > 1)
 * gets its boxes and landmarks scaled back. SSD boxes, as in face-api.js,
 * may reach past the right or bottom edge of a non-square image. */
struct lk_box {
  float x_min, y_min, x_max, y_max;
};

struct lk_face {
  struct lk_box box;
  float score;
  float landmarks[LK_FACE_LANDMARKS][2];           /* x, y in pixels */
  float descriptor[LK_FACE_DESCRIPTOR_DIM];        /* set by describe */
  int refound;       /* 1 when found by the padded second pass */
};

struct lk_face_models;
struct lk_face_engine;

/* $LIKENESS_MODELS if set, else the folder the build fetched into. */
const char *lk_face_models_default_dir(void);

/* Load and check the manifests and weights under dir (the package's model/
 * folder or its parent). why gets LK_FACE_ERRMAX bytes of detail. */
lk_err lk_face_models_load(struct lk_face_models **out, const char *dir,
                           char *why);
void   lk_face_models_free(struct lk_face_models *m);   /* NULL is fine */

lk_err lk_face_engine_create(struct lk_face_engine **out,
                             const struct lk_face_models *m, int n_threads);
void   lk_face_engine_destroy(struct lk_face_engine *eng);  /* NULL is fine */
/* Build now the runtimes n concurrent callers with options o will need
 * (they are otherwise built on first use, which costs the first requests
 * of a server ~100 ms each and its memory peak a second copy of the
 * graph-building scratch). */
lk_err lk_face_engine_prewarm(struct lk_face_engine *eng, int n,
                              const struct lk_face_opts *o, char *why);
/* Build at most n landmark + descriptor runtime sets (~33 MB each; 0: no
 * limit, the default); callers past them wait for one. A face takes ~4 ms
 * of a request's ~40, so a server shares fewer of them than it runs
 * detections at once. Prewarm builds min(n, this). */
void lk_face_engine_max_workers(struct lk_face_engine *eng, int n);
int    lk_face_engine_threads(const struct lk_face_engine *eng);

struct lk_face_opts lk_face_default_opts(void);
lk_err lk_face_opts_check(const struct lk_face_opts *o, char *why);

/* Boxes and scores only, best score first; landmarks/descriptor unset. */
lk_err lk_face_detect(struct lk_face_engine *eng, const struct lk_image *img,
                      const struct lk_face_opts *o, struct lk_arena *arena,
                      struct lk_face **faces, int *n);

/* Boxes, landmarks and descriptors, best score first. */
lk_err lk_face_describe(struct lk_face_engine *eng, const struct lk_image *img,
                        const struct lk_face_opts *o, struct lk_arena *arena,
                        struct lk_face **faces, int *n);

/* Euclidean distance between two descriptors (face-api.js and dlib use 0.6
 * as the same-person threshold). */
float lk_face_distance(const float *a, const float *b);

#endif
