/* nets.c - the four face-api.js networks as XNNPACK graphs.
 *
 * Each builder mirrors the forward pass in face-api.js's src/ (named in
 * the comments) with TensorFlow's padding rules made explicit. */
#include <math.h>

#include "face_int.h"

#define LK_RELU6 0.0f, 6.0f
#define LK_RELU 0.0f, INFINITY
#define LK_LINEAR -INFINITY, INFINITY

const int lk_ssd_pred_boxes[6] = { 32 * 32 * 3, 16 * 16 * 6, 8 * 8 * 6,
                                   4 * 4 * 6, 2 * 2 * 6, 1 * 1 * 6 };

static const struct lk_nn_pad lk_pad0 = { 0, 0, 0, 0 };
static const struct lk_nn_pad lk_pad1 = { 1, 1, 1, 1 };

/* One conv layer with explicit padding and a fused clamp. */
static uint32_t lk_layer(struct lk_nn_graph *g, uint32_t x,
                         const struct lk_fconv *c, int stride,
                         struct lk_nn_pad pad, float lo, float hi, int dw)
{
  struct lk_nn_conv p;
  p.filter = c->w;
  p.bias = c->b;
  p.kh = c->kh;
  p.kw = c->kw;
  p.cin = c->cin;
  p.cout = c->cout;
  p.stride = stride;
  p.pad = pad;
  p.out_min = lo;
  p.out_max = hi;
  return dw ? lk_nn_dwconv(g, x, &p) : lk_nn_conv(g, x, &p);
}

/* TF 'same' padding for x's current spatial size. */
static struct lk_nn_pad lk_same(struct lk_nn_graph *g, uint32_t x, int k,
                                int stride)
{
  size_t d[4];
  lk_nn_shape(g, x, d);
  return lk_nn_pad_same((int)d[1], (int)d[2], k, stride);
}

static uint32_t lk_same_layer(struct lk_nn_graph *g, uint32_t x,
                              const struct lk_fconv *c, int stride, float lo,
                              float hi, int dw)
{
  return lk_layer(g, x, c, stride, lk_same(g, x, c->kh, stride), lo, hi, dw);
}

static lk_err lk_finish(struct lk_nn_graph *g, pthreadpool_t pool,
                        struct lk_nn_runtime **rt, char *why)
{
  lk_err err = lk_nn_runtime_create(g, pool, rt, why);
  lk_nn_graph_destroy(g);
  return err;
}

/* ssdMobilenetv1 predictionLayer: the extra feature layers and the six
 * box predictors, from the backbone's pointwise-11 map (external 0) and
 * its last map (external 1) to raw box encodings (2..7) and class logits
 * (8..13). The backbone itself runs in ssd.c. */
lk_err lk_ssd_head_runtime(const struct lk_ssd_w *w, pthreadpool_t pool,
                           struct lk_nn_runtime **rt, char *why)
{
  struct lk_nn_graph *g = lk_nn_graph_create(14);
  uint32_t feat[6], c;
  int i;

  if(!g)
    return LK_ERR_NOMEM;
  feat[0] = lk_nn_input(g, 0, 1, 32, 32, 512);
  feat[1] = lk_nn_input(g, 1, 1, 16, 16, 1024);
  c = feat[1];
  for(i = 0; i < 8; i++) {
    c = lk_same_layer(g, c, &w->pred[i], (i & 1) ? 2 : 1, LK_RELU6, 0);
    if(i & 1)
      feat[2 + i / 2] = c;
  }
  for(i = 0; i < 6; i++) {
    lk_nn_output(g, lk_layer(g, feat[i], &w->box[i], 1, lk_pad0, LK_LINEAR,
                             0), 2 + (uint32_t)i);
    lk_nn_output(g, lk_layer(g, feat[i], &w->cls[i], 1, lk_pad0, LK_LINEAR,
                             0), 8 + (uint32_t)i);
  }
  return lk_finish(g, pool, rt, why);
}

/* tinyYolov2 depthwiseSeparableConv: pad 1, 'valid', + bias, leaky 0.1. */
static uint32_t lk_tiny_sep(struct lk_nn_graph *g, uint32_t x,
                            const struct lk_fconv *dw,
                            const struct lk_fconv *pw)
{
  x = lk_layer(g, x, dw, 1, lk_pad1, LK_LINEAR, 1);
  x = lk_layer(g, x, pw, 1, lk_pad0, LK_LINEAR, 0);
  return lk_nn_leaky(g, x, 0.1f);
}

/* TinyYolov2Base.runMobilenet with the tiny face detector's config. */
lk_err lk_tiny_runtime(const struct lk_tiny_w *w, int size, pthreadpool_t pool,
                       struct lk_nn_runtime **rt, char *why)
{
  struct lk_nn_graph *g = lk_nn_graph_create(2);
  uint32_t x;
  int i;

  if(!g)
    return LK_ERR_NOMEM;
  x = lk_nn_input(g, 0, 1, (size_t)size, (size_t)size, 3);
  x = lk_layer(g, x, &w->conv0, 1, lk_pad0, LK_LINEAR, 0);
  x = lk_nn_leaky(g, x, 0.1f);
  /* maxPool [2,2] stride 2 'same' before conv1..conv5, stride 1 after */
  for(i = 0; i < 5; i++) {
    x = lk_nn_maxpool(g, x, 2, 2, lk_same(g, x, 2, 2));
    x = lk_tiny_sep(g, x, &w->dw[i], &w->pw[i]);
  }
  x = lk_nn_maxpool(g, x, 2, 1, lk_same(g, x, 2, 1));
  x = lk_layer(g, x, &w->conv8, 1, lk_pad0, LK_LINEAR, 0);
  lk_nn_output(g, x, 1);
  return lk_finish(g, pool, rt, why);
}

/* depthwiseSeparableConv (common): 'same', + bias, optional relu. */
static uint32_t lk_sep(struct lk_nn_graph *g, uint32_t x,
                       const struct lk_fconv *dw, const struct lk_fconv *pw,
                       int stride, float lo, float hi)
{
  x = lk_same_layer(g, x, dw, stride, LK_LINEAR, 1);
  return lk_layer(g, x, pw, 1, lk_pad0, lo, hi, 0);
}

/* denseBlock3/denseBlock4 of faceFeatureExtractor. */
static uint32_t lk_dense_block(struct lk_nn_graph *g, uint32_t x,
                               const struct lk_lmk_w *w, int b)
{
  uint32_t out1, out2, out3, out4, in;
  if(b == 0)
    out1 = lk_same_layer(g, x, &w->conv0, 2, LK_RELU, 0);
  else
    out1 = lk_sep(g, x, &w->dw[b][0], &w->pw[b][0], 2, LK_RELU);
  out2 = lk_sep(g, out1, &w->dw[b][1], &w->pw[b][1], 1, LK_LINEAR);
  in = lk_nn_add(g, out1, out2, LK_RELU);
  out3 = lk_sep(g, in, &w->dw[b][2], &w->pw[b][2], 1, LK_LINEAR);
  if(w->convs == 3)
    return lk_nn_add(g, out1, lk_nn_add(g, out2, out3, LK_LINEAR), LK_RELU);
  in = lk_nn_add(g, out1, lk_nn_add(g, out2, out3, LK_LINEAR), LK_RELU);
  out4 = lk_sep(g, in, &w->dw[b][3], &w->pw[b][3], 1, LK_LINEAR);
  return lk_nn_add(g, out1,
                   lk_nn_add(g, out2, lk_nn_add(g, out3, out4, LK_LINEAR),
                             LK_LINEAR), LK_RELU);
}

/* FaceLandmark68Net / FaceLandmark68TinyNet: extractor, avgPool, fc. */
lk_err lk_lmk_runtime(const struct lk_lmk_w *w, pthreadpool_t pool,
                      struct lk_nn_runtime **rt, char *why)
{
  struct lk_nn_graph *g = lk_nn_graph_create(2);
  uint32_t x;
  int b;
  size_t d[4];

  if(!g)
    return LK_ERR_NOMEM;
  x = lk_nn_input(g, 0, 1, LK_LMK_SIZE, LK_LMK_SIZE, 3);
  for(b = 0; b < w->blocks; b++)
    x = lk_dense_block(g, x, w, b);
  lk_nn_shape(g, x, d);
  x = lk_nn_avgpool(g, x, (int)d[1], 2, lk_pad0);
  x = lk_nn_dense(g, x, w->fc_w, w->fc_b, (size_t)w->fc_in, 136);
  lk_nn_output(g, x, 1);
  return lk_finish(g, pool, rt, why);
}

/* faceRecognitionNet residual / residualDown. */
static uint32_t lk_residual(struct lk_nn_graph *g, uint32_t x,
                            const struct lk_fconv *c1,
                            const struct lk_fconv *c2, int down)
{
  size_t dx[4], dout[4];
  uint32_t out, pooled;
  if(!down) {
    out = lk_same_layer(g, x, c1, 1, LK_RELU, 0);
    out = lk_same_layer(g, out, c2, 1, LK_LINEAR, 0);
    return lk_nn_add(g, out, x, LK_RELU);
  }
  out = lk_layer(g, x, c1, 2, lk_pad0, LK_RELU, 0);
  out = lk_same_layer(g, out, c2, 1, LK_LINEAR, 0);
  pooled = lk_nn_avgpool(g, x, 2, 2, lk_pad0);
  lk_nn_shape(g, pooled, dx);
  lk_nn_shape(g, out, dout);
  /* face-api.js appends one zero row and column when the strided conv
   * comes out smaller than the pooled shortcut, and zero channels to the
   * shortcut when the block widens */
  if(dx[1] != dout[1] || dx[2] != dout[2])
    out = lk_nn_pad_after(g, out, 1, 1, 0);
  if(dx[3] != dout[3])
    pooled = lk_nn_pad_after(g, pooled, 0, 0, dout[3] - dx[3]);
  return lk_nn_add(g, pooled, out, LK_RELU);
}

lk_err lk_rec_runtime(const struct lk_rec_w *w, pthreadpool_t pool,
                      struct lk_nn_runtime **rt, char *why)
{
  struct lk_nn_graph *g = lk_nn_graph_create(2);
  uint32_t x;
  int i;

  if(!g)
    return LK_ERR_NOMEM;
  x = lk_nn_input(g, 0, 1, LK_REC_SIZE, LK_REC_SIZE, 3);
  x = lk_layer(g, x, &w->down, 2, lk_pad0, LK_RELU, 0);
  x = lk_nn_maxpool(g, x, 3, 2, lk_pad0);
  for(i = 0; i < 14; i++)
    x = lk_residual(g, x, &w->c1[i], &w->c2[i],
                    i == 3 || i == 7 || i == 10 || i == 13);
  x = lk_nn_global_avgpool(g, x);
  x = lk_nn_dense(g, x, w->fc, NULL, 256, 128);
  lk_nn_output(g, x, 1);
  return lk_finish(g, pool, rt, why);
}
