/* ssd.c - the SSD MobileNetV1 backbone, run layer by layer so the rows that
 * hold nothing but face-api.js's zero padding are not computed again.
 *
 * face-api.js pads a landscape photo at the bottom to a square, so a 3:2
 * photo's 512x512 input is one third constant -1. A convolution output row
 * whose receptive field lies wholly in that band has the same value for
 * every image: the value it has on an all-padding input, at the same
 * position (top and bottom borders included, since position is the same).
 * So at creation the backbone runs once on an all-padding input and keeps
 * each layer's distinct output rows ("blank" rows, a handful per layer).
 * Per image, each layer computes only the rows that depend on the image,
 * with an XNNPACK operator whose bottom padding is 0 run on a top slice of
 * its input; the few input rows below the image part that the slice reads
 * come from the blank rows. Every computed value is bit-for-bit what the
 * whole-tensor graph gives: each output is the same dot product of the
 * same inputs in the same order. Portrait and square images have no band
 * at the bottom and run whole.
 *
 * Each layer has that one operator only (an operator packs its own copy of
 * the weights): a whole layer runs it on its input plus TF's bottom padding
 * written as explicit zero rows, which is what the padding reads anyway. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xnnpack.h>

#include "base/log.h"
#include "face_int.h"

#define LK_SSD_LAYERS 27       /* conv0 + 13 depthwise/pointwise pairs */
#define LK_SSD_CONV11 22       /* pointwise 11: box predictor 0's input */

/* One layer's output on an all-padding input, stored as its distinct rows
 * (row_of[r] indexes rows). */
struct lk_blank {
  int *row_of;
  float *rows;
  int n_rows;
};

struct lk_ssd_layer {
  const struct lk_fconv *c;
  int dw, stride;
  struct lk_nn_pad pad;
  int in_h, in_w, out_h, out_w;
  xnn_operator_t op;           /* TF 'same' padding but none at the bottom */
  struct lk_blank blank;
  int set_rows;                /* input rows of the last setup */
};

struct lk_ssd_exec {
  struct lk_ssd_layer l[LK_SSD_LAYERS];
  pthreadpool_t pool;
  float *buf[2];               /* ping-pong activations; buf[0] = input */
  float *conv11, *last;        /* full maps the prediction head reads */
  struct lk_nn_runtime *head;
  float *box[6], *cls[6];
};

static size_t lk_row_len(const struct lk_ssd_layer *L)
{
  return (size_t)L->out_w * (size_t)L->c->cout;
}

static lk_err lk_ssd_op(const struct lk_ssd_layer *L, xnn_operator_t *op)
{
  const uint32_t pad_b = 0;
  const struct lk_fconv *c = L->c;
  enum xnn_status s;
  if(L->dw)
    s = xnn_create_convolution2d_nhwc_f32(L->pad.t, L->pad.r, pad_b,
          L->pad.l, (uint32_t)c->kh, (uint32_t)c->kw, (uint32_t)L->stride,
          (uint32_t)L->stride, 1, 1, (uint32_t)c->cin, 1, 1,
          (size_t)c->cin, (size_t)c->cin, c->w, c->b, 0.0f, 6.0f,
          XNN_FLAG_DEPTHWISE_CONVOLUTION, op);
  else
    s = xnn_create_convolution2d_nhwc_f32(L->pad.t, L->pad.r, pad_b,
          L->pad.l, (uint32_t)c->kh, (uint32_t)c->kw, (uint32_t)L->stride,
          (uint32_t)L->stride, 1, 1, 1, (size_t)c->cin, (size_t)c->cout,
          (size_t)c->cin, (size_t)c->cout, c->w, c->b, 0.0f, 6.0f, 0, op);
  return s == xnn_status_success ? LK_OK : LK_ERR_NN;
}

/* Shapes and operators: conv0 stride 2, then pairs with the depthwise
 * strides of face-api.js's mobileNetV1 (2 at pairs 2, 4, 6, 12). */
static lk_err lk_ssd_layers(struct lk_ssd_exec *e, const struct lk_ssd_w *w)
{
  int i, h = LK_SSD_SIZE;
  lk_err err = LK_OK;
  for(i = 0; i < LK_SSD_LAYERS && !err; i++) {
    struct lk_ssd_layer *L = &e->l[i];
    int pair = (i + 1) / 2;
    L->dw = i % 2 == 1;
    L->c = i == 0 ? &w->conv0 : L->dw ? &w->dw[pair - 1] : &w->pw[pair - 1];
    L->stride = i == 0 || (L->dw && (pair == 2 || pair == 4 || pair == 6 ||
                                     pair == 12)) ? 2 : 1;
    L->in_h = L->in_w = h;
    L->pad = lk_nn_pad_same(h, h, L->c->kh, L->stride);
    h = (h + L->stride - 1) / L->stride;
    L->out_h = L->out_w = h;
    err = lk_ssd_op(L, &L->op);
  }
  return err;
}

/* Run layer L on `rows` input rows (from in) into out. */
static lk_err lk_ssd_layer_run(struct lk_ssd_exec *e, struct lk_ssd_layer *L,
                               int rows, const float *in, float *out)
{
  if(rows != L->set_rows) {
    if(xnn_setup_convolution2d_nhwc_f32(L->op, 1, (size_t)rows,
                                        (size_t)L->in_w, in, out, e->pool) !=
       xnn_status_success)
      return LK_ERR_NN;
    L->set_rows = rows;
  }
  return xnn_run_operator(L->op, e->pool) == xnn_status_success ? LK_OK
                                                                : LK_ERR_NN;
}

/* The whole layer: its input, then TF's bottom padding as zero rows. */
static lk_err lk_ssd_layer_whole(struct lk_ssd_exec *e, struct lk_ssd_layer *L,
                                 float *in, float *out)
{
  size_t row = (size_t)L->in_w * (size_t)L->c->cin;
  memset(in + (size_t)L->in_h * row, 0, L->pad.b * row * sizeof(float));
  return lk_ssd_layer_run(e, L, L->in_h + (int)L->pad.b, in, out);
}

/* Keep the distinct rows of a layer's all-padding output. */
static lk_err lk_blank_keep(struct lk_ssd_layer *L, const float *out)
{
  size_t len = lk_row_len(L), bytes = len * sizeof(float);
  int r, k;
  L->blank.row_of = lk_malloc((size_t)L->out_h * sizeof(int));
  L->blank.rows = lk_malloc((size_t)L->out_h * bytes);
  if(!L->blank.row_of || !L->blank.rows)
    return LK_ERR_NOMEM;
  for(r = 0; r < L->out_h; r++) {
    const float *row = out + (size_t)r * len;
    for(k = 0; k < L->blank.n_rows; k++)
      if(!memcmp(L->blank.rows + (size_t)k * len, row, bytes))
        break;
    if(k == L->blank.n_rows)
      memcpy(L->blank.rows + (size_t)L->blank.n_rows++ * len, row, bytes);
    L->blank.row_of[r] = k;
  }
  return LK_OK;
}

/* Write blank rows [from, to) of layer L's output into out. */
static void lk_blank_fill(const struct lk_ssd_layer *L, float *out, int from,
                          int to)
{
  size_t len = lk_row_len(L);
  int r;
  for(r = from; r < to; r++)
    memcpy(out + (size_t)r * len,
           L->blank.rows + (size_t)L->blank.row_of[r] * len,
           len * sizeof(float));
}

/* The backbone on an all-padding input, keeping each layer's blank rows. */
static lk_err lk_ssd_blank_run(struct lk_ssd_exec *e)
{
  size_t i, n = (size_t)LK_SSD_SIZE * LK_SSD_SIZE * 3;
  lk_err err = LK_OK;
  int l;
  for(i = 0; i < n; i++)
    e->buf[0][i] = -1.0f;    /* a zero pixel after x / 127.5 - 1 */
  for(l = 0; l < LK_SSD_LAYERS && !err; l++) {
    struct lk_ssd_layer *L = &e->l[l];
    float *out = e->buf[(l + 1) % 2];
    err = lk_ssd_layer_whole(e, L, e->buf[l % 2], out);
    if(!err)
      err = lk_blank_keep(L, out);
  }
  return err;
}

static lk_err lk_ssd_buffers(struct lk_ssd_exec *e)
{
  size_t most[2] = { 0, 0 };
  int i;
  /* Layer i reads buf[i % 2]: its input and its zero padding rows. The
   * largest map (pointwise 1's output, 16 MiB) lands in one buffer only. */
  for(i = 0; i < LK_SSD_LAYERS; i++) {
    const struct lk_ssd_layer *L = &e->l[i];
    size_t n = (L->in_h + L->pad.b) * (size_t)L->in_w * (size_t)L->c->cin;
    if(n > most[i % 2])
      most[i % 2] = n;
  }
  if(most[LK_SSD_LAYERS % 2] < (size_t)e->l[LK_SSD_LAYERS - 1].out_h *
                               lk_row_len(&e->l[LK_SSD_LAYERS - 1]))
    most[LK_SSD_LAYERS % 2] = (size_t)e->l[LK_SSD_LAYERS - 1].out_h *
                              lk_row_len(&e->l[LK_SSD_LAYERS - 1]);
  /* XNNPACK may read XNN_EXTRA_BYTES past an input */
  e->buf[0] = lk_malloc(most[0] * sizeof(float) + XNN_EXTRA_BYTES);
  e->buf[1] = lk_malloc(most[1] * sizeof(float) + XNN_EXTRA_BYTES);
  e->conv11 = lk_malloc(32 * 32 * 512 * sizeof(float) + XNN_EXTRA_BYTES);
  e->last = lk_malloc(16 * 16 * 1024 * sizeof(float) + XNN_EXTRA_BYTES);
  for(i = 0; i < 6; i++) {
    e->box[i] = lk_malloc((size_t)lk_ssd_pred_boxes[i] * 4 * sizeof(float));
    e->cls[i] = lk_malloc((size_t)lk_ssd_pred_boxes[i] * 3 * sizeof(float));
    if(!e->box[i] || !e->cls[i])
      return LK_ERR_NOMEM;
  }
  return e->buf[0] && e->buf[1] && e->conv11 && e->last ? LK_OK
                                                         : LK_ERR_NOMEM;
}

void lk_ssd_exec_destroy(struct lk_ssd_exec *e)
{
  int i;
  if(!e)
    return;
  for(i = 0; i < LK_SSD_LAYERS; i++) {
    if(e->l[i].op)
      xnn_delete_operator(e->l[i].op);
    lk_free(e->l[i].blank.row_of);
    lk_free(e->l[i].blank.rows);
  }
  for(i = 0; i < 6; i++) {
    lk_free(e->box[i]);
    lk_free(e->cls[i]);
  }
  lk_free(e->buf[0]);
  lk_free(e->buf[1]);
  lk_free(e->conv11);
  lk_free(e->last);
  lk_nn_runtime_destroy(e->head);
  lk_free(e);
}

lk_err lk_ssd_exec_create(const struct lk_ssd_w *w, pthreadpool_t pool,
                          struct lk_ssd_exec **out, char *why)
{
  struct lk_ssd_exec *e = lk_calloc(1, sizeof *e);
  lk_err err;
  *out = NULL;
  if(!e)
    return LK_ERR_NOMEM;
  e->pool = pool;
  err = lk_nn_init();
  if(!err)
    err = lk_ssd_layers(e, w);
  if(!err)
    err = lk_ssd_buffers(e);
  if(!err)
    err = lk_ssd_blank_run(e);
  if(!err)
    err = lk_ssd_head_runtime(w, pool, &e->head, why);
  if(err) {
    if(why && err != LK_ERR_NOMEM && !why[0])
      snprintf(why, LK_NN_ERRMAX, "XNNPACK refused an SSD layer");
    lk_ssd_exec_destroy(e);
    return err;
  }
  *out = e;
  return LK_OK;
}

float *lk_ssd_exec_input(struct lk_ssd_exec *e)
{
  return e->buf[0];
}

/* One layer: compute the output rows that depend on the image (live_in
 * input rows do), reading blank rows below them where the slice needs. */
static lk_err lk_ssd_step(struct lk_ssd_exec *e, int l, int *live)
{
  struct lk_ssd_layer *L = &e->l[l];
  const float *in = e->buf[l % 2];
  float *out = e->buf[(l + 1) % 2];
  int k = L->c->kh, d_in = *live;
  int d_out = (d_in - 1 + (int)L->pad.t) / L->stride + 1;
  int need = (d_out - 1) * L->stride - (int)L->pad.t + k;

  if(d_out >= L->out_h || need >= L->in_h) {
    if(l > 0)
      lk_blank_fill(&e->l[l - 1], (float *)in, d_in, L->in_h);
    *live = L->out_h;
    return lk_ssd_layer_whole(e, L, (float *)in, out);
  }
  if(l > 0 && need > d_in)
    lk_blank_fill(&e->l[l - 1], (float *)in, d_in, need);
  *live = d_out;
  return lk_ssd_layer_run(e, L, need, in, out);
}

/* A full map from a layer's live rows plus its blank rows. */
static void lk_ssd_full_map(const struct lk_ssd_layer *L, const float *out,
                            int live, float *map)
{
  memcpy(map, out, (size_t)live * lk_row_len(L) * sizeof(float));
  lk_blank_fill(L, map, live, L->out_h);
}

lk_err lk_ssd_exec_run(struct lk_ssd_exec *e, int live_rows)
{
  void *bufs[14];
  int l, live = live_rows < 1 ? 1 : live_rows;
  lk_err err = LK_OK;

  for(l = 0; l < LK_SSD_LAYERS && !err; l++) {
    err = lk_ssd_step(e, l, &live);
    if(!err && l == LK_SSD_CONV11)
      lk_ssd_full_map(&e->l[l], e->buf[(l + 1) % 2], live, e->conv11);
  }
  if(err)
    return err;
  lk_ssd_full_map(&e->l[LK_SSD_LAYERS - 1], e->buf[LK_SSD_LAYERS % 2], live,
                  e->last);
  bufs[0] = e->conv11;
  bufs[1] = e->last;
  for(l = 0; l < 6; l++) {
    bufs[2 + l] = e->box[l];
    bufs[8 + l] = e->cls[l];
  }
  return lk_nn_runtime_run(e->head, bufs);
}

float *const *lk_ssd_exec_boxes(struct lk_ssd_exec *e)
{
  return e->box;
}

float *const *lk_ssd_exec_classes(struct lk_ssd_exec *e)
{
  return e->cls;
}
