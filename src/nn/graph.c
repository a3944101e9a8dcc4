/* graph.c - build XNNPACK subgraphs with shape bookkeeping.
 *
 * XNNPACK wants every value's shape up front; the builders here compute
 * output shapes the way TensorFlow does, so net code only names layers.
 * The first failing call records its status; later calls do nothing. */
#include "nn.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <xnnpack.h>

#include "base/log.h"
#include "base/mem.h"

#define LK_NN_MAX_VALUES 1024

struct lk_nn_value {
  size_t dims[4];
  size_t ndim;
};

struct lk_nn_graph {
  xnn_subgraph_t sg;
  enum xnn_status status;
  const char *failed;             /* name of the first failing builder */
  uint32_t n_external;
  struct lk_nn_value v[LK_NN_MAX_VALUES];
};

struct lk_nn_runtime {
  xnn_runtime_t rt;
  int ready;                      /* set up for the buffers in ext */
  uint32_t n_external;
  struct xnn_external_value *ext;
};

static pthread_once_t lk_nn_once = PTHREAD_ONCE_INIT;
static enum xnn_status lk_nn_init_status;

static void lk_nn_init_once(void)
{
  lk_nn_init_status = xnn_initialize(NULL);
}

lk_err lk_nn_init(void)
{
  pthread_once(&lk_nn_once, lk_nn_init_once);
  if(lk_nn_init_status != xnn_status_success) {
    lk_log(LK_LOG_ERROR, "nn", "xnn_initialize failed: status %d",
           (int)lk_nn_init_status);
    return LK_ERR_NN;
  }
  return LK_OK;
}

struct lk_nn_pad lk_nn_pad_same(int in_h, int in_w, int k, int stride)
{
  struct lk_nn_pad p;
  int out_h = (in_h + stride - 1) / stride;
  int out_w = (in_w + stride - 1) / stride;
  int th = (out_h - 1) * stride + k - in_h;
  int tw = (out_w - 1) * stride + k - in_w;
  if(th < 0)
    th = 0;
  if(tw < 0)
    tw = 0;
  p.t = (uint32_t)(th / 2);
  p.b = (uint32_t)(th - th / 2);
  p.l = (uint32_t)(tw / 2);
  p.r = (uint32_t)(tw - tw / 2);
  return p;
}

struct lk_nn_graph *lk_nn_graph_create(uint32_t n_external)
{
  struct lk_nn_graph *g;
  if(lk_nn_init())
    return NULL;
  g = lk_calloc(1, sizeof *g);
  if(!g)
    return NULL;
  g->n_external = n_external;
  if(xnn_create_subgraph(n_external, 0, &g->sg) != xnn_status_success) {
    lk_free(g);
    return NULL;
  }
  return g;
}

void lk_nn_graph_destroy(struct lk_nn_graph *g)
{
  if(!g)
    return;
  xnn_delete_subgraph(g->sg);
  lk_free(g);
}

static int lk_nn_ok(struct lk_nn_graph *g, enum xnn_status s,
                    const char *what)
{
  if(g->status == xnn_status_success && s != xnn_status_success) {
    g->status = s;
    g->failed = what;
  }
  return g->status == xnn_status_success;
}

/* Define an internal (or external when ext != INVALID) fp32 value. */
static uint32_t lk_nn_value(struct lk_nn_graph *g, size_t ndim,
                            const size_t *dims, const void *data,
                            uint32_t ext, uint32_t flags)
{
  uint32_t id = XNN_INVALID_VALUE_ID;
  if(g->status != xnn_status_success)
    return id;
  if(!lk_nn_ok(g, xnn_define_tensor_value(g->sg, xnn_datatype_fp32, ndim,
                                          dims, data, ext, flags, &id),
               "tensor"))
    return XNN_INVALID_VALUE_ID;
  if(id >= LK_NN_MAX_VALUES) {
    lk_nn_ok(g, xnn_status_out_of_memory, "too many values");
    return XNN_INVALID_VALUE_ID;
  }
  g->v[id].ndim = ndim;
  memcpy(g->v[id].dims, dims, ndim * sizeof *dims);
  return id;
}

static uint32_t lk_nn_act(struct lk_nn_graph *g, size_t n, size_t h, size_t w,
                          size_t c)
{
  size_t d[4];
  d[0] = n; d[1] = h; d[2] = w; d[3] = c;
  return lk_nn_value(g, 4, d, NULL, XNN_INVALID_VALUE_ID, 0);
}

void lk_nn_shape(const struct lk_nn_graph *g, uint32_t v, size_t dims[4])
{
  if(v >= LK_NN_MAX_VALUES) {
    memset(dims, 0, 4 * sizeof *dims);
    return;
  }
  memcpy(dims, g->v[v].dims, 4 * sizeof *dims);
}

uint32_t lk_nn_input(struct lk_nn_graph *g, uint32_t ext, size_t n, size_t h,
                     size_t w, size_t c)
{
  size_t d[4];
  d[0] = n; d[1] = h; d[2] = w; d[3] = c;
  return lk_nn_value(g, 4, d, NULL, ext, XNN_VALUE_FLAG_EXTERNAL_INPUT);
}

/* XNNPACK only lets values be declared external when defined, so an output
 * is produced by a copy-free clamp(-inf, inf) into a new external value. */
void lk_nn_output(struct lk_nn_graph *g, uint32_t v, uint32_t ext)
{
  uint32_t out;
  if(g->status != xnn_status_success)
    return;
  out = lk_nn_value(g, g->v[v].ndim, g->v[v].dims, NULL, ext,
                    XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
  lk_nn_ok(g, xnn_define_clamp(g->sg, -INFINITY, INFINITY, v, out, 0),
           "output");
}

/* A read-only zero bias for layers without one; static, so it outlives
 * every runtime that points at it. */
static const float *lk_nn_zeros(size_t n)
{
  static const float zeros[4096];
  return n <= 4096 ? zeros : NULL;
}

static size_t lk_nn_out_size(size_t in, uint32_t pa, uint32_t pb, int k,
                             int stride)
{
  size_t padded = in + pa + pb;
  if(padded < (size_t)k)
    return 0;
  return (padded - (size_t)k) / (size_t)stride + 1;
}

static uint32_t lk_nn_conv_common(struct lk_nn_graph *g, uint32_t x,
                                  const struct lk_nn_conv *p, int depthwise)
{
  size_t fd[4], bd[1], oh, ow;
  uint32_t f, b, y;
  const struct lk_nn_value *in;
  const float *bias = p->bias;
  enum xnn_status s;

  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  in = &g->v[x];
  oh = lk_nn_out_size(in->dims[1], p->pad.t, p->pad.b, p->kh, p->stride);
  ow = lk_nn_out_size(in->dims[2], p->pad.l, p->pad.r, p->kw, p->stride);
  if(!bias)
    bias = lk_nn_zeros((size_t)p->cout);
  if(!oh || !ow || !bias || in->dims[3] != (size_t)p->cin) {
    lk_nn_ok(g, xnn_status_invalid_parameter, "conv shape");
    return XNN_INVALID_VALUE_ID;
  }
  if(depthwise) {
    fd[0] = 1; fd[1] = (size_t)p->kh; fd[2] = (size_t)p->kw;
    fd[3] = (size_t)p->cout;
  } else {
    fd[0] = (size_t)p->cout; fd[1] = (size_t)p->kh; fd[2] = (size_t)p->kw;
    fd[3] = (size_t)p->cin;
  }
  bd[0] = (size_t)p->cout;
  f = lk_nn_value(g, 4, fd, p->filter, XNN_INVALID_VALUE_ID, 0);
  b = lk_nn_value(g, 1, bd, bias, XNN_INVALID_VALUE_ID, 0);
  y = lk_nn_act(g, in->dims[0], oh, ow, (size_t)p->cout);
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  if(depthwise)
    s = xnn_define_depthwise_convolution_2d(g->sg, p->pad.t, p->pad.r,
          p->pad.b, p->pad.l, (uint32_t)p->kh, (uint32_t)p->kw,
          (uint32_t)p->stride, (uint32_t)p->stride, 1, 1, 1, (size_t)p->cin,
          p->out_min, p->out_max, x, f, b, y, 0);
  else
    s = xnn_define_convolution_2d(g->sg, p->pad.t, p->pad.r, p->pad.b,
          p->pad.l, (uint32_t)p->kh, (uint32_t)p->kw, (uint32_t)p->stride,
          (uint32_t)p->stride, 1, 1, 1, (size_t)p->cin, (size_t)p->cout,
          p->out_min, p->out_max, x, f, b, y, 0);
  return lk_nn_ok(g, s, depthwise ? "dwconv" : "conv") ? y
                                                      : XNN_INVALID_VALUE_ID;
}

uint32_t lk_nn_conv(struct lk_nn_graph *g, uint32_t x,
                    const struct lk_nn_conv *p)
{
  return lk_nn_conv_common(g, x, p, 0);
}

uint32_t lk_nn_dwconv(struct lk_nn_graph *g, uint32_t x,
                      const struct lk_nn_conv *p)
{
  return lk_nn_conv_common(g, x, p, 1);
}

uint32_t lk_nn_add(struct lk_nn_graph *g, uint32_t a, uint32_t b,
                   float out_min, float out_max)
{
  uint32_t y;
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  y = lk_nn_value(g, g->v[a].ndim, g->v[a].dims, NULL,
                  XNN_INVALID_VALUE_ID, 0);
  if(!lk_nn_ok(g, xnn_define_add2(g->sg, out_min, out_max, a, b, y, 0),
               "add"))
    return XNN_INVALID_VALUE_ID;
  return y;
}

uint32_t lk_nn_leaky(struct lk_nn_graph *g, uint32_t x, float slope)
{
  uint32_t y;
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  y = lk_nn_value(g, g->v[x].ndim, g->v[x].dims, NULL,
                  XNN_INVALID_VALUE_ID, 0);
  if(!lk_nn_ok(g, xnn_define_leaky_relu(g->sg, slope, x, y, 0), "leaky"))
    return XNN_INVALID_VALUE_ID;
  return y;
}

static uint32_t lk_nn_pool(struct lk_nn_graph *g, uint32_t x, int k,
                           int stride, struct lk_nn_pad pad, int is_max)
{
  const struct lk_nn_value *in;
  size_t oh, ow;
  uint32_t y;
  enum xnn_status s;

  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  in = &g->v[x];
  oh = lk_nn_out_size(in->dims[1], pad.t, pad.b, k, stride);
  ow = lk_nn_out_size(in->dims[2], pad.l, pad.r, k, stride);
  y = lk_nn_act(g, in->dims[0], oh, ow, in->dims[3]);
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  if(is_max)
    s = xnn_define_max_pooling_2d(g->sg, pad.t, pad.r, pad.b, pad.l,
          (uint32_t)k, (uint32_t)k, (uint32_t)stride, (uint32_t)stride, 1, 1,
          -INFINITY, INFINITY, x, y, 0);
  else
    s = xnn_define_average_pooling_2d(g->sg, pad.t, pad.r, pad.b, pad.l,
          (uint32_t)k, (uint32_t)k, (uint32_t)stride, (uint32_t)stride,
          -INFINITY, INFINITY, x, y, 0);
  return lk_nn_ok(g, s, is_max ? "maxpool" : "avgpool") ? y
                                                       : XNN_INVALID_VALUE_ID;
}

uint32_t lk_nn_maxpool(struct lk_nn_graph *g, uint32_t x, int k, int stride,
                       struct lk_nn_pad pad)
{
  return lk_nn_pool(g, x, k, stride, pad, 1);
}

uint32_t lk_nn_avgpool(struct lk_nn_graph *g, uint32_t x, int k, int stride,
                       struct lk_nn_pad pad)
{
  return lk_nn_pool(g, x, k, stride, pad, 0);
}

uint32_t lk_nn_global_avgpool(struct lk_nn_graph *g, uint32_t x)
{
  uint32_t y;
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  y = lk_nn_act(g, g->v[x].dims[0], 1, 1, g->v[x].dims[3]);
  if(!lk_nn_ok(g, xnn_define_global_average_pooling_2d(g->sg, -INFINITY,
                    INFINITY, x, y, 0), "global_avgpool"))
    return XNN_INVALID_VALUE_ID;
  return y;
}

uint32_t lk_nn_pad_after(struct lk_nn_graph *g, uint32_t x, size_t dh,
                         size_t dw, size_t dc)
{
  size_t pre[4] = { 0, 0, 0, 0 }, post[4];
  const struct lk_nn_value *in;
  uint32_t y;
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  if(!dh && !dw && !dc)
    return x;
  in = &g->v[x];
  post[0] = 0; post[1] = dh; post[2] = dw; post[3] = dc;
  y = lk_nn_act(g, in->dims[0], in->dims[1] + dh, in->dims[2] + dw,
                in->dims[3] + dc);
  if(!lk_nn_ok(g, xnn_define_static_constant_pad(g->sg, pre, post, 0.0f, x,
                                                 y, 0), "pad"))
    return XNN_INVALID_VALUE_ID;
  return y;
}

uint32_t lk_nn_dense(struct lk_nn_graph *g, uint32_t x, const float *w_in_out,
                     const float *bias, size_t in, size_t out)
{
  size_t wd[2], bd[1], yd[4];
  uint32_t w, b, y;
  if(g->status != xnn_status_success)
    return XNN_INVALID_VALUE_ID;
  if(!bias)
    bias = lk_nn_zeros(out);
  wd[0] = in; wd[1] = out;
  bd[0] = out;
  /* XNNPACK keeps the input's rank: every dim but the last is batch */
  memcpy(yd, g->v[x].dims, sizeof yd);
  yd[g->v[x].ndim - 1] = out;
  w = lk_nn_value(g, 2, wd, w_in_out, XNN_INVALID_VALUE_ID, 0);
  b = lk_nn_value(g, 1, bd, bias, XNN_INVALID_VALUE_ID, 0);
  y = lk_nn_value(g, g->v[x].ndim, yd, NULL, XNN_INVALID_VALUE_ID, 0);
  if(!bias || !lk_nn_ok(g, xnn_define_fully_connected(g->sg, -INFINITY,
                          INFINITY, x, w, b, y, XNN_FLAG_TRANSPOSE_WEIGHTS),
                        "dense"))
    return XNN_INVALID_VALUE_ID;
  return y;
}

lk_err lk_nn_runtime_create(struct lk_nn_graph *g, pthreadpool_t pool,
                            struct lk_nn_runtime **out, char *why)
{
  struct lk_nn_runtime *rt;
  enum xnn_status s;

  *out = NULL;
  if(!g)
    return LK_ERR_NOMEM;
  if(g->status != xnn_status_success) {
    if(why)
      snprintf(why, LK_NN_ERRMAX, "building the network failed at %s "
               "(XNNPACK status %d)", g->failed, (int)g->status);
    return g->status == xnn_status_out_of_memory ? LK_ERR_NOMEM : LK_ERR_NN;
  }
  rt = lk_calloc(1, sizeof *rt);
  if(!rt)
    return LK_ERR_NOMEM;
  rt->n_external = g->n_external;
  rt->ext = lk_calloc(g->n_external, sizeof *rt->ext);
  /* yield: pool workers sleep between inferences instead of spinning on
   * a core the decoder or the other caller could use */
  s = rt->ext ? xnn_create_runtime_v2(g->sg, pool, 0,
                                      &rt->rt)
              : xnn_status_out_of_memory;
  if(s != xnn_status_success) {
    if(why)
      snprintf(why, LK_NN_ERRMAX, "XNNPACK could not create a runtime "
               "(status %d)", (int)s);
    lk_free(rt->ext);
    lk_free(rt);
    return s == xnn_status_out_of_memory ? LK_ERR_NOMEM : LK_ERR_NN;
  }
  *out = rt;
  return LK_OK;
}

void lk_nn_runtime_destroy(struct lk_nn_runtime *rt)
{
  if(!rt)
    return;
  xnn_delete_runtime(rt->rt);
  lk_free(rt->ext);
  lk_free(rt);
}

/* Setting a runtime up rebuilds its operators' indirection buffers (and
 * touches fresh memory), so it is done only when a buffer moved. */
lk_err lk_nn_runtime_run(struct lk_nn_runtime *rt, void *const *buffers)
{
  uint32_t i;
  int moved = !rt->ready;
  for(i = 0; i < rt->n_external; i++) {
    moved |= rt->ext[i].data != buffers[i];
    rt->ext[i].id = i;
    rt->ext[i].data = buffers[i];
  }
  if(moved && xnn_setup_runtime(rt->rt, rt->n_external, rt->ext) !=
     xnn_status_success) {
    rt->ready = 0;
    return LK_ERR_NN;
  }
  rt->ready = 1;
  return xnn_invoke_runtime(rt->rt) == xnn_status_success ? LK_OK
                                                          : LK_ERR_NN;
}
