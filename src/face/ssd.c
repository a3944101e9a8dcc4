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
 * written as explicit zero rows, which is what the padding reads anyway.
 *
 * A portrait photo's padding is on the right. Its input is written
 * transposed, so the padding is at the bottom, and run through operators
 * whose 3x3 filters are transposed too (the 1x1 layers, most of the work,
 * are the same operators); the two full maps the prediction head reads
 * are transposed back. Transposing a 3x3 filter changes the order of its
 * nine products, so these images match the plain graph to float rounding
 * (raw outputs within 1e-4, tests/face/test_face.c), not bit for bit. */
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

/* The two ways through the backbone. */
#define LK_SSD_PLAIN 0
#define LK_SSD_TRANSPOSED 1

struct lk_ssd_layer {
  const struct lk_fconv *c;
  int dw, stride;
  struct lk_nn_pad pad;        /* square input and filter: t = l, b = r */
  int in_h, in_w, out_h, out_w;
  /* TF 'same' padding but none at the bottom, per way; a 1x1 layer has
   * one operator for both, so [1] only when the filter is 3x3 */
  xnn_operator_t op[2];
  struct lk_blank blank[2];
  int set_rows[2];             /* input rows of each operator's last setup */
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

/* The filter with ky and kx swapped: XNNPACK's [cout][kh][kw][cin], or
 * [kh][kw][c] for a depthwise one (cout 1 there). Square filters only. */
static float *lk_ssd_transposed(const struct lk_ssd_layer *L)
{
  const struct lk_fconv *c = L->c;
  size_t co_n = L->dw ? 1 : (size_t)c->cout, ci_n = (size_t)c->cin;
  size_t k = (size_t)c->kh, co, y, x;
  float *t = lk_malloc(co_n * k * k * ci_n * sizeof *t);
  if(!t)
    return NULL;
  for(co = 0; co < co_n; co++)
    for(y = 0; y < k; y++)
      for(x = 0; x < k; x++)
        memcpy(t + ((co * k + x) * k + y) * ci_n,
               c->w + ((co * k + y) * k + x) * ci_n, ci_n * sizeof *t);
  return t;
}

static lk_err lk_ssd_op(const struct lk_ssd_layer *L, const float *w,
                        xnn_operator_t *op)
{
  const uint32_t pad_b = 0;
  const struct lk_fconv *c = L->c;
  enum xnn_status s;
  if(L->dw)
    s = xnn_create_convolution2d_nhwc_f32(L->pad.t, L->pad.r, pad_b,
          L->pad.l, (uint32_t)c->kh, (uint32_t)c->kw, (uint32_t)L->stride,
          (uint32_t)L->stride, 1, 1, (uint32_t)c->cin, 1, 1,
          (size_t)c->cin, (size_t)c->cin, w, c->b, 0.0f, 6.0f,
          XNN_FLAG_DEPTHWISE_CONVOLUTION, op);
  else
    s = xnn_create_convolution2d_nhwc_f32(L->pad.t, L->pad.r, pad_b,
          L->pad.l, (uint32_t)c->kh, (uint32_t)c->kw, (uint32_t)L->stride,
          (uint32_t)L->stride, 1, 1, 1, (size_t)c->cin, (size_t)c->cout,
          (size_t)c->cin, (size_t)c->cout, w, c->b, 0.0f, 6.0f, 0, op);
  return s == xnn_status_success ? LK_OK : LK_ERR_NN;
}

/* Both ways' operators of a layer (one shared when the filter is 1x1). */
static lk_err lk_ssd_ops(struct lk_ssd_layer *L)
{
  float *t;
  lk_err err = lk_ssd_op(L, L->c->w, &L->op[LK_SSD_PLAIN]);
  if(err || L->c->kh == 1) {
    L->op[LK_SSD_TRANSPOSED] = L->op[LK_SSD_PLAIN];
    return err;
  }
  t = lk_ssd_transposed(L);
  if(!t)
    return LK_ERR_NOMEM;
  err = lk_ssd_op(L, t, &L->op[LK_SSD_TRANSPOSED]);
  lk_free(t);        /* the operator packed its own copy */
  return err;
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
    err = lk_ssd_ops(L);
  }
  return err;
}

/* Run layer L the given way on `rows` input rows (from in) into out.
 * Buffers never move, so a setup is redone only when rows change. */
static lk_err lk_ssd_layer_run(struct lk_ssd_exec *e, struct lk_ssd_layer *L,
                               int way, int rows, const float *in, float *out)
{
  int k = L->op[1] == L->op[0] ? 0 : way;
  if(rows != L->set_rows[k]) {
    if(xnn_setup_convolution2d_nhwc_f32(L->op[k], 1, (size_t)rows,
                                        (size_t)L->in_w, in, out, e->pool) !=
       xnn_status_success)
      return LK_ERR_NN;
    L->set_rows[k] = rows;
  }
  return xnn_run_operator(L->op[k], e->pool) == xnn_status_success
         ? LK_OK : LK_ERR_NN;
}

/* The whole layer: its input, then TF's bottom padding as zero rows. */
static lk_err lk_ssd_layer_whole(struct lk_ssd_exec *e, struct lk_ssd_layer *L,
                                 int way, float *in, float *out)
{
  size_t row = (size_t)L->in_w * (size_t)L->c->cin;
  memset(in + (size_t)L->in_h * row, 0, L->pad.b * row * sizeof(float));
  return lk_ssd_layer_run(e, L, way, L->in_h + (int)L->pad.b, in, out);
}

/* Keep the distinct rows of a layer's all-padding output. */
static lk_err lk_blank_keep(const struct lk_ssd_layer *L, struct lk_blank *b,
                            const float *out)
{
  size_t len = lk_row_len(L), bytes = len * sizeof(float);
  int r, k;
  b->row_of = lk_malloc((size_t)L->out_h * sizeof(int));
  b->rows = lk_malloc((size_t)L->out_h * bytes);
  if(!b->row_of || !b->rows)
    return LK_ERR_NOMEM;
  for(r = 0; r < L->out_h; r++) {
    const float *row = out + (size_t)r * len;
    for(k = 0; k < b->n_rows; k++)
      if(!memcmp(b->rows + (size_t)k * len, row, bytes))
        break;
    if(k == b->n_rows)
      memcpy(b->rows + (size_t)b->n_rows++ * len, row, bytes);
    b->row_of[r] = k;
  }
  return LK_OK;
}

/* Write the way's blank rows [from, to) of layer L's output into out. */
static void lk_blank_fill(const struct lk_ssd_layer *L, int way, float *out,
                          int from, int to)
{
  const struct lk_blank *b = &L->blank[way];
  size_t len = lk_row_len(L);
  int r;
  for(r = from; r < to; r++)
    memcpy(out + (size_t)r * len, b->rows + (size_t)b->row_of[r] * len,
           len * sizeof(float));
}

/* The backbone on an all-padding input, keeping each layer's blank rows
 * for one way. */
static lk_err lk_ssd_blank_run(struct lk_ssd_exec *e, int way)
{
  size_t i, n = (size_t)LK_SSD_SIZE * LK_SSD_SIZE * 3;
  lk_err err = LK_OK;
  int l;
  for(i = 0; i < n; i++)
    e->buf[0][i] = -1.0f;    /* a zero pixel after x / 127.5 - 1 */
  for(l = 0; l < LK_SSD_LAYERS && !err; l++) {
    struct lk_ssd_layer *L = &e->l[l];
    float *out = e->buf[(l + 1) % 2];
    err = lk_ssd_layer_whole(e, L, way, e->buf[l % 2], out);
    if(!err)
      err = lk_blank_keep(L, &L->blank[way], out);
  }
  return err;
}

/* Set every operator up for its smallest input. XNNPACK sizes an
 * operator's indirection buffer (9 pointers per output pixel of a 3x3
 * layer, 4.7 MB for the first two) at each setup; the blank runs left
 * both ways' at full size, while an image needs only its live rows, and
 * often one way only. */
static lk_err lk_ssd_shrink(struct lk_ssd_exec *e)
{
  lk_err err = LK_OK;
  int l, way;
  for(l = 0; l < LK_SSD_LAYERS && !err; l++)
    for(way = 0; way < 2 && !err; way++)
      err = lk_ssd_layer_run(e, &e->l[l], way, e->l[l].c->kh,
                             e->buf[l % 2], e->buf[(l + 1) % 2]);
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
    struct lk_ssd_layer *L = &e->l[i];
    int w;
    if(L->op[1] && L->op[1] != L->op[0])
      xnn_delete_operator(L->op[1]);
    if(L->op[0])
      xnn_delete_operator(L->op[0]);
    for(w = 0; w < 2; w++) {
      lk_free(L->blank[w].row_of);
      lk_free(L->blank[w].rows);
    }
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
    err = lk_ssd_blank_run(e, LK_SSD_PLAIN);
  if(!err)
    err = lk_ssd_blank_run(e, LK_SSD_TRANSPOSED);
  if(!err)
    err = lk_ssd_shrink(e);
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
static lk_err lk_ssd_step(struct lk_ssd_exec *e, int way, int l, int *live)
{
  struct lk_ssd_layer *L = &e->l[l];
  const float *in = e->buf[l % 2];
  float *out = e->buf[(l + 1) % 2];
  int k = L->c->kh, d_in = *live;
  int d_out = (d_in - 1 + (int)L->pad.t) / L->stride + 1;
  int need = (d_out - 1) * L->stride - (int)L->pad.t + k;

  if(d_out >= L->out_h || need >= L->in_h) {
    if(l > 0)
      lk_blank_fill(&e->l[l - 1], way, (float *)in, d_in, L->in_h);
    *live = L->out_h;
    return lk_ssd_layer_whole(e, L, way, (float *)in, out);
  }
  if(l > 0 && need > d_in)
    lk_blank_fill(&e->l[l - 1], way, (float *)in, d_in, need);
  *live = d_out;
  return lk_ssd_layer_run(e, L, way, need, in, out);
}

/* Swap rows and columns of a square map of c-float pixels, in place. */
static void lk_ssd_transpose_map(float *map, int side, int c)
{
  size_t px = (size_t)c * sizeof(float);
  float tmp[1024];
  int r, k;
  for(r = 0; r < side; r++)
    for(k = r + 1; k < side; k++) {
      float *a = map + ((size_t)r * side + k) * c;
      float *b = map + ((size_t)k * side + r) * c;
      memcpy(tmp, a, px);
      memcpy(a, b, px);
      memcpy(b, tmp, px);
    }
}

/* A full map from a layer's live rows plus its blank rows, in the image's
 * orientation. */
static void lk_ssd_full_map(const struct lk_ssd_layer *L, int way,
                            const float *out, int live, float *map)
{
  memcpy(map, out, (size_t)live * lk_row_len(L) * sizeof(float));
  lk_blank_fill(L, way, map, live, L->out_h);
  if(way == LK_SSD_TRANSPOSED)
    lk_ssd_transpose_map(map, L->out_h, L->c->cout);
}

lk_err lk_ssd_exec_run(struct lk_ssd_exec *e, int live_rows, int transposed)
{
  void *bufs[14];
  int l, live = live_rows < 1 ? 1 : live_rows;
  int way = transposed ? LK_SSD_TRANSPOSED : LK_SSD_PLAIN;
  lk_err err = LK_OK;

  for(l = 0; l < LK_SSD_LAYERS && !err; l++) {
    err = lk_ssd_step(e, way, l, &live);
    if(!err && l == LK_SSD_CONV11)
      lk_ssd_full_map(&e->l[l], way, e->buf[(l + 1) % 2], live, e->conv11);
  }
  if(err)
    return err;
  lk_ssd_full_map(&e->l[LK_SSD_LAYERS - 1], way, e->buf[LK_SSD_LAYERS % 2],
                  live, e->last);
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
