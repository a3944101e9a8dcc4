/* nn.h - neural-network plumbing: face-api.js weight manifests, and a thin
 * layer over XNNPACK subgraphs that keeps graph-building code short.
 *
 * Threads: loaded weights are read-only and shared. A graph is built by one
 * thread; the runtime made from it runs one inference at a time (a caller
 * wanting concurrency makes one runtime per thread).
 *
 *   struct lk_nn_weights *w;
 *   err = lk_nn_weights_load(&w, dir, "face_recognition_model", why);
 *   const struct lk_nn_tensor *t = lk_nn_weights_find(w, "fc");
 *
 *   struct lk_nn_graph *g = lk_nn_graph_create(2);        2 external values
 *   uint32_t x = lk_nn_input(g, 0, 1, 112, 112, 3);
 *   x = lk_nn_conv(g, x, &conv_params);                    ... more layers
 *   lk_nn_output(g, x, 1);
 *   err = lk_nn_runtime_create(g, pool, &rt);  lk_nn_graph_destroy(g);
 *   err = lk_nn_runtime_run(rt, in, out);  (buffers for external ids 0, 1)
 */
#ifndef LK_NN_H
#define LK_NN_H

#include <pthreadpool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define LK_NN_MAX_DIMS 4
#define LK_NN_ERRMAX 256

/* One named weight, dequantized to float32 as tfjs does
 * (value = q * scale + min, computed in double, stored as float). */
struct lk_nn_tensor {
  char *name;
  int ndim;
  int dims[LK_NN_MAX_DIMS];
  size_t count;
  float *data;
};

struct lk_nn_weights;

/* Read DIR/MODEL-weights_manifest.json and its .bin shards (also tried under
 * DIR/model/). Sizes are checked against the manifest: a short or long file is
 * LK_ERR_MODEL with the file named in why (LK_NN_ERRMAX bytes, may be NULL).*/
lk_err lk_nn_weights_load(struct lk_nn_weights **out, const char *dir,
                          const char *model, char *why);
void lk_nn_weights_free(struct lk_nn_weights *w);          /* NULL is fine */
/* NULL when absent. */
const struct lk_nn_tensor *lk_nn_weights_find(const struct lk_nn_weights *w,
                                              const char *name);
/* Like find, but also checks the element count; NULL and why set on error. */
const struct lk_nn_tensor *lk_nn_weights_need(const struct lk_nn_weights *w,
                                              const char *name, size_t count,
                                              char *why);
int lk_nn_weights_count(const struct lk_nn_weights *w);
const struct lk_nn_tensor *lk_nn_weights_at(const struct lk_nn_weights *w,
                                            int i);

/* Graph building. Every builder returns a value id; after the first failure
 * all later calls are no-ops and lk_nn_runtime_create reports it. */
struct lk_nn_graph;

/* Padding in input pixels: top, right, bottom, left. */
struct lk_nn_pad { uint32_t t, r, b, l; };

/* TensorFlow 'same' padding for one axis: before/after amounts. */
struct lk_nn_pad lk_nn_pad_same(int in_h, int in_w, int k, int stride);

struct lk_nn_conv {
  const float *filter;  /* XNNPACK layout: [cout][kh][kw][cin]; depthwise:
                           [kh][kw][c] (= TF's [kh][kw][c][1]) */
  const float *bias;    /* [cout]; NULL for none */
  int kh, kw, cin, cout, stride;
  struct lk_nn_pad pad;
  float out_min, out_max; /* fused clamp; -INFINITY/INFINITY for none */
};

struct lk_nn_graph *lk_nn_graph_create(uint32_t n_external);
void lk_nn_graph_destroy(struct lk_nn_graph *g);        /* NULL is fine */
/* Shape of a value: n, h, w, c (4-D values only). */
void lk_nn_shape(const struct lk_nn_graph *g, uint32_t v, size_t dims[4]);

uint32_t lk_nn_input(struct lk_nn_graph *g, uint32_t ext, size_t n, size_t h,
                     size_t w, size_t c);
void lk_nn_output(struct lk_nn_graph *g, uint32_t v, uint32_t ext);
uint32_t lk_nn_conv(struct lk_nn_graph *g, uint32_t x,
                    const struct lk_nn_conv *p);
uint32_t lk_nn_dwconv(struct lk_nn_graph *g, uint32_t x,
                      const struct lk_nn_conv *p);
uint32_t lk_nn_add(struct lk_nn_graph *g, uint32_t a, uint32_t b,
                   float out_min, float out_max);
uint32_t lk_nn_leaky(struct lk_nn_graph *g, uint32_t x, float slope);
uint32_t lk_nn_maxpool(struct lk_nn_graph *g, uint32_t x, int k, int stride,
                       struct lk_nn_pad pad);
uint32_t lk_nn_avgpool(struct lk_nn_graph *g, uint32_t x, int k, int stride,
                       struct lk_nn_pad pad);
uint32_t lk_nn_global_avgpool(struct lk_nn_graph *g, uint32_t x);
/* Zero padding after the data on each axis (n, h, w, c). */
uint32_t lk_nn_pad_after(struct lk_nn_graph *g, uint32_t x, size_t dh,
                         size_t dw, size_t dc);
/* y = x W (+ b) with W stored [in][out] as TF keeps it. The result has x's
 * shape with the last dimension (in) replaced by out. */
uint32_t lk_nn_dense(struct lk_nn_graph *g, uint32_t x, const float *w_in_out,
                     const float *bias, size_t in, size_t out);

struct lk_nn_runtime;
/* pool may be NULL (run on the calling thread). */
lk_err lk_nn_runtime_create(struct lk_nn_graph *g, pthreadpool_t pool,
                            struct lk_nn_runtime **out, char *why);
void lk_nn_runtime_destroy(struct lk_nn_runtime *rt);    /* NULL is fine */
/* buffers[i] is the memory for external value i (inputs and outputs). */
lk_err lk_nn_runtime_run(struct lk_nn_runtime *rt, void *const *buffers);

/* XNNPACK process-wide initialisation; safe to call many times. */
lk_err lk_nn_init(void);

#endif
