/* face_int.h - shared inside src/face only: prepared weights of each net,
 * the per-thread runtimes, and the pre/post-processing helpers.
 *
 * Weights are converted once, at load, into XNNPACK's layouts with batch
 * norms and scale layers folded into the convolutions; they stay read-only
 * and every runtime of every thread points at them. */
#ifndef LK_FACE_INT_H
#define LK_FACE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "face.h"
#include "nn/nn.h"

#define LK_SSD_SIZE 512
#define LK_SSD_ANCHORS 5118
#define LK_LMK_SIZE 112
#define LK_REC_SIZE 150
#define LK_TINY_ANCHORS 5

/* One convolution in XNNPACK layout (see struct lk_nn_conv). */
struct lk_fconv {
  float *w;
  float *b;
  int kh, kw, cin, cout;
};

struct lk_ssd_w {
  struct lk_fconv conv0;
  struct lk_fconv dw[13], pw[13];   /* MobileNetV1 pairs 1..13 */
  struct lk_fconv pred[8];          /* extra feature layers */
  struct lk_fconv box[6], cls[6];   /* box predictors */
  const float *anchors;             /* [5118][4]: ymin, xmin, ymax, xmax */
};

struct lk_tiny_w {
  struct lk_fconv conv0;            /* 3x3 conv, 'valid' */
  struct lk_fconv dw[5], pw[5];     /* separable conv1..5 */
  struct lk_fconv conv8;            /* 1x1 to 5 anchors x 5 values */
};

/* face-api.js's 68-point nets: dense blocks of separable convs + fc. */
struct lk_lmk_w {
  int blocks, convs;                /* 4x4 (full) or 3x3 (tiny) */
  struct lk_fconv conv0;            /* dense0/conv0, a plain conv */
  struct lk_fconv dw[4][4], pw[4][4];
  const float *fc_w;                /* [in][136] */
  const float *fc_b;
  int fc_in;
};

/* The dlib ResNet-34 port: conv, scale folded in. */
struct lk_rec_w {
  struct lk_fconv down;             /* 7x7 stride 2 */
  struct lk_fconv c1[14], c2[14];   /* residual blocks in order */
  const float *fc;                  /* [256][128] */
};

struct lk_face_models {
  struct lk_nn_weights *src[5];     /* dequantized manifests, while loading */
  struct lk_ssd_w ssd;
  struct lk_tiny_w tiny;
  struct lk_lmk_w lmk, lmk_tiny;
  struct lk_rec_w rec;
  float **owned;                    /* every prepared buffer, for free() */
  int n_owned;
};

/* ---- graph builders (nets.c): one runtime per net ---- */
lk_err lk_ssd_head_runtime(const struct lk_ssd_w *w, pthreadpool_t pool,
                           struct lk_nn_runtime **rt, char *why);
lk_err lk_tiny_runtime(const struct lk_tiny_w *w, int size, pthreadpool_t pool,
                       struct lk_nn_runtime **rt, char *why);
lk_err lk_lmk_runtime(const struct lk_lmk_w *w, pthreadpool_t pool,
                      struct lk_nn_runtime **rt, char *why);
lk_err lk_rec_runtime(const struct lk_rec_w *w, pthreadpool_t pool,
                      struct lk_nn_runtime **rt, char *why);

/* SSD output sizes per predictor (cells x anchors) and their sum. */
extern const int lk_ssd_pred_boxes[6];

/* ---- the SSD backbone executor (ssd.c) ---- */
struct lk_ssd_exec;
lk_err lk_ssd_exec_create(const struct lk_ssd_w *w, pthreadpool_t pool,
                          struct lk_ssd_exec **out, char *why);
void lk_ssd_exec_destroy(struct lk_ssd_exec *e);     /* NULL is fine */
/* The 512x512x3 input to fill before each run. */
float *lk_ssd_exec_input(struct lk_ssd_exec *e);
/* Run on the input, whose rows from live_rows down hold only padding
 * (-1); then lk_ssd_exec_boxes/classes hold the six predictors' outputs.
 * transposed: the input holds the image transposed (a portrait photo,
 * so that its padding is at the bottom); the outputs are as for the
 * image itself. */
lk_err lk_ssd_exec_run(struct lk_ssd_exec *e, int live_rows, int transposed);
float *const *lk_ssd_exec_boxes(struct lk_ssd_exec *e);
float *const *lk_ssd_exec_classes(struct lk_ssd_exec *e);

/* ---- pre-processing (prep.c) ---- */

/* How a net scales pixel values, in tfjs's order of operations. */
struct lk_norm {
  float sub[3];
  float div;
  int div_first;      /* 1: v / div - sub (SSD); 0: (v - sub) / div */
};

extern const struct lk_norm lk_norm_ssd, lk_norm_tiny, lk_norm_face;

/* A window of the image, padded with zeros to a side x side square, as
 * face-api.js's padToSquare + slice produce it: crop pixel (0,0) is image
 * pixel (x0, y0) and sits at (pad_l, pad_t) of the square. */
struct lk_window {
  int x0, y0, w, h;
  int pad_l, pad_t;
  int side;
};

/* tf.image.resizeBilinear (align_corners and half_pixel_centers false) of
 * the window to out x out, then normalised into dst[out*out*3]. */
void lk_prep_resize(const struct lk_image *img, const struct lk_window *win,
                    int out, const struct lk_norm *norm, float *dst);
/* The same, written transposed: dst row c holds output column c. */
void lk_prep_resize_transposed(const struct lk_image *img,
                               const struct lk_window *win, int out,
                               const struct lk_norm *norm, float *dst);

/* Rows of an out x out net input that sample the image (the rest sample
 * only the zero padding below it), for a window of side `side` whose image
 * part is h rows high at the top. */
int lk_prep_live_rows(int side, int out, int h);

/* Window for an integer crop box padded centred (isCenterInputs = true). */
struct lk_window lk_window_centered(int x, int y, int w, int h);

/* ---- detection post-processing (detect.c) ---- */
struct lk_det {
  double x, y, w, h;     /* image pixels, face-api.js's FaceDetection.box */
  float score;
};

/* Decode SSD raw outputs into at most max boxes after face-api.js's NMS. */
int lk_ssd_decode(const struct lk_ssd_w *w, float *const *box_out,
                  float *const *cls_out, float min_score, int max,
                  int img_w, int img_h, struct lk_det *dets);
int lk_tiny_decode(const float *out, int cells, float min_score, int img_w,
                   int img_h, int size, struct lk_det *dets, int max);

/* ---- landmarks and alignment (align.c) ---- */

/* face-api.js: the integer crop it slices for a box (clipAtImageBorders). */
int lk_box_clip(double x, double y, double w, double h, int img_w, int img_h,
                int *cx, int *cy, int *cw, int *ch);

/* Landmark net output (136 values in [0,1] of the padded square) to image
 * pixels, as FaceLandmark68NetBase.postProcess + shiftBy do. */
void lk_lmk_postprocess(const float *out, int crop_w, int crop_h,
                        double shift_x, double shift_y,
                        float pts[LK_FACE_LANDMARKS][2]);

/* face-api.js alignDlib: the rect the descriptor is cut from. */
void lk_align_faceapi_rect(const float pts[LK_FACE_LANDMARKS][2],
                           int crop_w, int crop_h, double *x, double *y,
                           double *w, double *h);

/* dlib-style 150x150 chip: a similarity transform from 33 of the 68
 * landmarks onto dlib's mean face (padding 0.25), area-filtered for large
 * faces, normalised for the recognition net into dst[150*150*3]. scratch
 * holds LK_CHIP_GRID^2 * 3 floats. */
#define LK_CHIP_GRID 400
/* dlib's mean face: landmarks 17..67 in a unit square. */
extern const double lk_chip_mean_x[51], lk_chip_mean_y[51];
void lk_align_chip(const struct lk_image *img,
                   const float pts[LK_FACE_LANDMARKS][2],
                   const struct lk_norm *norm, float *scratch, float *dst);

#endif
