/* models.c - load the five face-api.js nets and prepare their weights.
 *
 * TF keeps conv filters as [kh][kw][cin][cout]; XNNPACK wants
 * [cout][kh][kw][cin]. Depthwise filters [kh][kw][c][1] are already in
 * XNNPACK's [1][kh][kw][c] order. Batch norms (SSD) and scale layers
 * (ResNet) fold into filter and bias so each layer is one XNNPACK op. */
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "face_int.h"

#define LK_OWNED_MAX 512
#define LK_BN_EPS 0.0010000000474974513   /* face-api.js mobileNetV1 */

struct lk_prep {
  struct lk_face_models *m;
  const struct lk_nn_weights *w;
  char *why;
  lk_err err;
};

static float *lk_own(struct lk_prep *p, size_t n)
{
  float *buf;
  if(p->err)
    return NULL;
  if(p->m->n_owned >= LK_OWNED_MAX || !(buf = lk_calloc(n, sizeof *buf))) {
    p->err = LK_ERR_NOMEM;
    return NULL;
  }
  p->m->owned[p->m->n_owned++] = buf;
  return buf;
}

static const struct lk_nn_tensor *lk_get(struct lk_prep *p, const char *name,
                                         int ndim)
{
  const struct lk_nn_tensor *t;
  if(p->err)
    return NULL;
  t = lk_nn_weights_find(p->w, name);
  if(!t || (ndim >= 0 && t->ndim != ndim)) {
    if(p->why)
      snprintf(p->why, LK_FACE_ERRMAX, "weight %s %s", name,
               t ? "has an unexpected shape" : "is missing");
    p->err = LK_ERR_MODEL;
    return NULL;
  }
  return t;
}

static const float *lk_vec(struct lk_prep *p, const char *name, int n)
{
  const struct lk_nn_tensor *t = lk_get(p, name, -1);
  if(t && t->count != (size_t)n) {
    if(p->why)
      snprintf(p->why, LK_FACE_ERRMAX, "weight %s: expected %d values", name,
               n);
    p->err = LK_ERR_MODEL;
    return NULL;
  }
  return t ? t->data : NULL;
}

/* A copy the prepared model keeps, so the dequantized manifests can go. */
static const float *lk_keep(struct lk_prep *p, const char *name, int n)
{
  const float *src = lk_vec(p, name, n);
  float *dst = lk_own(p, (size_t)n);
  if(!src || !dst)
    return NULL;
  memcpy(dst, src, (size_t)n * sizeof *dst);
  return dst;
}

/* Plain conv: out = (conv(x, f) + bias) * scale + shift, folded. */
static void lk_prep_conv(struct lk_prep *p, struct lk_fconv *c,
                         const char *filt, const char *bias,
                         const char *scale, const char *shift)
{
  const struct lk_nn_tensor *f = lk_get(p, filt, 4);
  const float *b = NULL, *s = NULL, *t = NULL;
  int co, i, inner;

  if(!f)
    return;
  c->kh = f->dims[0];
  c->kw = f->dims[1];
  c->cin = f->dims[2];
  c->cout = f->dims[3];
  if(bias)
    b = lk_vec(p, bias, c->cout);
  if(scale)
    s = lk_vec(p, scale, c->cout);
  if(shift)
    t = lk_vec(p, shift, c->cout);
  c->w = lk_own(p, f->count);
  c->b = lk_own(p, (size_t)c->cout);
  if(p->err)
    return;
  inner = c->kh * c->kw * c->cin;
  for(co = 0; co < c->cout; co++) {
    float k = s ? s[co] : 1.0f;
    for(i = 0; i < inner; i++)
      c->w[(size_t)co * inner + i] = f->data[(size_t)i * c->cout + co] * k;
    c->b[co] = (b ? b[co] : 0.0f) * k + (t ? t[co] : 0.0f);
  }
}

/* Depthwise conv, optionally followed by a batch norm that is folded in. */
static void lk_prep_dw(struct lk_prep *p, struct lk_fconv *c,
                       const char *filt, const char *bn_prefix)
{
  const struct lk_nn_tensor *f = lk_get(p, filt, 4);
  const float *g = NULL, *be = NULL, *mu = NULL, *var = NULL;
  char name[160];
  int ch, i, taps;

  if(!f)
    return;
  c->kh = f->dims[0];
  c->kw = f->dims[1];
  c->cin = c->cout = f->dims[2];
  if(bn_prefix) {
    snprintf(name, sizeof name, "%s/gamma", bn_prefix);
    g = lk_vec(p, name, c->cout);
    snprintf(name, sizeof name, "%s/beta", bn_prefix);
    be = lk_vec(p, name, c->cout);
    snprintf(name, sizeof name, "%s/moving_mean", bn_prefix);
    mu = lk_vec(p, name, c->cout);
    snprintf(name, sizeof name, "%s/moving_variance", bn_prefix);
    var = lk_vec(p, name, c->cout);
  }
  c->w = lk_own(p, f->count);
  c->b = lk_own(p, (size_t)c->cout);
  if(p->err)
    return;
  taps = c->kh * c->kw;
  for(ch = 0; ch < c->cout; ch++) {
    float k = 1.0f;
    if(g) {
      k = (float)(g[ch] / sqrt((double)var[ch] + LK_BN_EPS));
      c->b[ch] = be[ch] - mu[ch] * k;
    }
    for(i = 0; i < taps; i++)
      c->w[(size_t)i * c->cout + ch] = f->data[(size_t)i * c->cout + ch] * k;
  }
}

static void lk_prep_ssd(struct lk_prep *p, struct lk_ssd_w *s)
{
  char a[160], b[160], bn[160];
  int i;
  lk_prep_conv(p, &s->conv0, "MobilenetV1/Conv2d_0_pointwise/weights",
               "MobilenetV1/Conv2d_0_pointwise/convolution_bn_offset", NULL,
               NULL);
  for(i = 1; i <= 13; i++) {
    snprintf(a, sizeof a, "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights",
             i);
    snprintf(bn, sizeof bn, "MobilenetV1/Conv2d_%d_depthwise/BatchNorm", i);
    lk_prep_dw(p, &s->dw[i - 1], a, bn);
    snprintf(a, sizeof a, "MobilenetV1/Conv2d_%d_pointwise/weights", i);
    snprintf(b, sizeof b, "MobilenetV1/Conv2d_%d_pointwise/convolution_bn_offset",
             i);
    lk_prep_conv(p, &s->pw[i - 1], a, b, NULL, NULL);
  }
  for(i = 0; i < 8; i++) {
    snprintf(a, sizeof a, "Prediction/Conv2d_%d_pointwise/weights", i);
    snprintf(b, sizeof b, "Prediction/Conv2d_%d_pointwise/convolution_bn_offset",
             i);
    lk_prep_conv(p, &s->pred[i], a, b, NULL, NULL);
  }
  for(i = 0; i < 6; i++) {
    snprintf(a, sizeof a, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/weights", i);
    snprintf(b, sizeof b, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/biases", i);
    lk_prep_conv(p, &s->box[i], a, b, NULL, NULL);
    snprintf(a, sizeof a, "Prediction/BoxPredictor_%d/ClassPredictor/weights", i);
    snprintf(b, sizeof b, "Prediction/BoxPredictor_%d/ClassPredictor/biases", i);
    lk_prep_conv(p, &s->cls[i], a, b, NULL, NULL);
  }
  s->anchors = lk_keep(p, "Output/extra_dim", LK_SSD_ANCHORS * 4);
}

static void lk_prep_sep(struct lk_prep *p, struct lk_fconv *dw,
                        struct lk_fconv *pw, const char *prefix)
{
  char a[160], b[160];
  snprintf(a, sizeof a, "%s/depthwise_filter", prefix);
  lk_prep_dw(p, dw, a, NULL);
  snprintf(a, sizeof a, "%s/pointwise_filter", prefix);
  snprintf(b, sizeof b, "%s/bias", prefix);
  lk_prep_conv(p, pw, a, b, NULL, NULL);
}

static void lk_prep_tiny(struct lk_prep *p, struct lk_tiny_w *t)
{
  char name[64];
  int i;
  lk_prep_conv(p, &t->conv0, "conv0/filters", "conv0/bias", NULL, NULL);
  for(i = 1; i <= 5; i++) {
    snprintf(name, sizeof name, "conv%d", i);
    lk_prep_sep(p, &t->dw[i - 1], &t->pw[i - 1], name);
  }
  lk_prep_conv(p, &t->conv8, "conv8/filters", "conv8/bias", NULL, NULL);
}

static void lk_prep_lmk(struct lk_prep *p, struct lk_lmk_w *l, int blocks)
{
  char name[64];
  int b, c;
  l->blocks = l->convs = blocks;
  l->fc_in = blocks == 4 ? 256 : 128;
  lk_prep_conv(p, &l->conv0, "dense0/conv0/filters", "dense0/conv0/bias",
               NULL, NULL);
  for(b = 0; b < blocks; b++)
    for(c = (b == 0); c < blocks; c++) {
      snprintf(name, sizeof name, "dense%d/conv%d", b, c);
      lk_prep_sep(p, &l->dw[b][c], &l->pw[b][c], name);
    }
  l->fc_w = lk_keep(p, "fc/weights", l->fc_in * 136);
  l->fc_b = lk_keep(p, "fc/bias", 136);
}

/* Residual blocks of the recognition net, in forward order. */
static const char *const lk_rec_blocks[14] = {
  "conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2",
  "conv64_3", "conv128_down", "conv128_1", "conv128_2", "conv256_down",
  "conv256_1", "conv256_2", "conv256_down_out",
};

static void lk_prep_rec_layer(struct lk_prep *p, struct lk_fconv *c,
                              const char *prefix)
{
  char f[160], b[160], s[160], t[160];
  snprintf(f, sizeof f, "%s/conv/filters", prefix);
  snprintf(b, sizeof b, "%s/conv/bias", prefix);
  snprintf(s, sizeof s, "%s/scale/weights", prefix);
  snprintf(t, sizeof t, "%s/scale/biases", prefix);
  lk_prep_conv(p, c, f, b, s, t);
}

static void lk_prep_rec(struct lk_prep *p, struct lk_rec_w *r)
{
  char name[160];
  int i;
  lk_prep_rec_layer(p, &r->down, "conv32_down");
  for(i = 0; i < 14; i++) {
    snprintf(name, sizeof name, "%s/conv1", lk_rec_blocks[i]);
    lk_prep_rec_layer(p, &r->c1[i], name);
    snprintf(name, sizeof name, "%s/conv2", lk_rec_blocks[i]);
    lk_prep_rec_layer(p, &r->c2[i], name);
  }
  r->fc = lk_keep(p, "fc", 256 * 128);
}

static const char *const lk_model_names[5] = {
  "ssd_mobilenetv1_model", "tiny_face_detector_model",
  "face_landmark_68_model", "face_landmark_68_tiny_model",
  "face_recognition_model",
};

const char *lk_face_models_default_dir(void)
{
  const char *env = getenv("LIKENESS_MODELS");
  if(env && *env)
    return env;
#ifdef LK_DEFAULT_MODEL_DIR
  return LK_DEFAULT_MODEL_DIR;
#else
  return ".models/face-api-1.7.15";
#endif
}

lk_err lk_face_models_load(struct lk_face_models **out, const char *dir,
                           char *why)
{
  struct lk_face_models *m;
  struct lk_prep p;
  char nnwhy[LK_NN_ERRMAX];
  int i;

  *out = NULL;
  m = lk_calloc(1, sizeof *m);
  if(!m || !(m->owned = lk_calloc(LK_OWNED_MAX, sizeof *m->owned))) {
    lk_free(m);
    return LK_ERR_NOMEM;
  }
  memset(&p, 0, sizeof p);
  p.m = m;
  p.why = why;
  for(i = 0; i < 5 && !p.err; i++) {
    nnwhy[0] = 0;
    p.err = lk_nn_weights_load(&m->src[i], dir, lk_model_names[i], nnwhy);
    if(p.err && why)
      snprintf(why, LK_FACE_ERRMAX, "%s (model folder %s; run "
               "tools/fetch-models.sh or set LIKENESS_MODELS)", nnwhy, dir);
  }
  if(!p.err) {
    p.w = m->src[0]; lk_prep_ssd(&p, &m->ssd);
    p.w = m->src[1]; lk_prep_tiny(&p, &m->tiny);
    p.w = m->src[2]; lk_prep_lmk(&p, &m->lmk, 4);
    p.w = m->src[3]; lk_prep_lmk(&p, &m->lmk_tiny, 3);
    p.w = m->src[4]; lk_prep_rec(&p, &m->rec);
  }
  if(p.err) {
    lk_face_models_free(m);
    return p.err;
  }
  /* everything needed now lives in the prepared buffers */
  for(i = 0; i < 5; i++) {
    lk_nn_weights_free(m->src[i]);
    m->src[i] = NULL;
  }
#ifdef __GLIBC__
  /* Freeing the manifests raised glibc's mmap threshold, so the prepared
   * copies made meanwhile sit in the heap among ~40 MB of free pages that
   * glibc keeps unless asked: give them back. */
  malloc_trim(0);
#endif
  *out = m;
  return LK_OK;
}

void lk_face_models_free(struct lk_face_models *m)
{
  int i;
  if(!m)
    return;
  for(i = 0; i < 5; i++)
    lk_nn_weights_free(m->src[i]);
  for(i = 0; i < m->n_owned; i++)
    lk_free(m->owned[i]);
  lk_free(m->owned);
  lk_free(m);
}
