/* test_nn.c - weight manifests (quantisation, shards, errors) and the
 * XNNPACK graph builders against naive reference implementations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "nn/nn.h"
#include "test.h"

static char tmpdir[] = "/tmp/lk_nn_XXXXXX";

static void write_file(const char *name, const void *data, size_t len)
{
  char path[256];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  f = fopen(path, "wb");
  CHECK(f != NULL);
  if(!f)
    return;
  CHECK(fwrite(data, 1, len, f) == len);
  fclose(f);
}

/* Two groups, a quantised uint8 tensor, a uint16 one, raw float32 and int32,
 * one group split across two shards. */
static void write_model(size_t cut)
{
  static const char manifest[] =
    "[{\"paths\":[\"m.bin\"],\"weights\":["
    "{\"name\":\"q8\",\"shape\":[2,2],\"dtype\":\"float32\","
    " \"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}},"
    "{\"name\":\"f\",\"shape\":[2],\"dtype\":\"float32\"}]},"
    "{\"paths\":[\"n1.bin\",\"n2.bin\"],\"weights\":["
    "{\"name\":\"q16\",\"shape\":[3],\"dtype\":\"float32\","
    " \"quantization\":{\"dtype\":\"uint16\",\"scale\":0.001,\"min\":2}},"
    "{\"name\":\"i\",\"shape\":[],\"dtype\":\"int32\"}]}]";
  unsigned char g1[4 + 8];
  unsigned char g2[6 + 4];
  float fv[2] = { 1.5f, -2.25f };
  uint16_t q16[3] = { 0, 1000, 65535 };
  int32_t iv = 7;
  g1[0] = 0; g1[1] = 1; g1[2] = 2; g1[3] = 255;
  memcpy(g1 + 4, fv, 8);
  memcpy(g2, q16, 6);
  memcpy(g2 + 6, &iv, 4);
  write_file("toy-weights_manifest.json", manifest, sizeof manifest - 1);
  write_file("m.bin", g1, sizeof g1 - cut);
  write_file("n1.bin", g2, 3);
  write_file("n2.bin", g2 + 3, sizeof g2 - 3);
}

static void test_manifest_decode(void)
{
  struct lk_nn_weights *w = NULL;
  const struct lk_nn_tensor *t;
  char why[LK_NN_ERRMAX] = "";
  write_model(0);
  CHECK_MSG(lk_nn_weights_load(&w, tmpdir, "toy", why) == LK_OK, "%s", why);
  if(!w)
    return;
  CHECK(lk_nn_weights_count(w) == 4);
  t = lk_nn_weights_find(w, "q8");
  CHECK(t && t->ndim == 2 && t->count == 4);
  if(t) {   /* q * scale + min */
    CHECK(t->data[0] == -1.0f && t->data[1] == -0.5f);
    CHECK(t->data[3] == 126.5f);
  }
  t = lk_nn_weights_find(w, "f");
  CHECK(t && t->data[0] == 1.5f && t->data[1] == -2.25f);
  t = lk_nn_weights_find(w, "q16");
  CHECK(t && t->count == 3);
  if(t) {
    CHECK(t->data[0] == 2.0f);
    CHECK(t->data[1] == (float)(1000 * 0.001 + 2));
    CHECK(t->data[2] == (float)(65535 * 0.001 + 2));
  }
  t = lk_nn_weights_find(w, "i");
  CHECK(t && t->ndim == 0 && t->count == 1 && t->data[0] == 7.0f);
  CHECK(lk_nn_weights_find(w, "nope") == NULL);
  CHECK(lk_nn_weights_need(w, "q8", 5, why) == NULL && strstr(why, "q8"));
  lk_nn_weights_free(w);
}

static void test_manifest_errors(void)
{
  struct lk_nn_weights *w = NULL;
  char why[LK_NN_ERRMAX] = "";
  write_model(1);   /* one byte short */
  CHECK(lk_nn_weights_load(&w, tmpdir, "toy", why) == LK_ERR_MODEL);
  CHECK(w == NULL && strstr(why, "short") != NULL);
  CHECK(lk_nn_weights_load(&w, tmpdir, "absent", why) == LK_ERR_MODEL);
  CHECK(strstr(why, "absent-weights_manifest.json") != NULL);
  write_file("bad-weights_manifest.json", "{\"not\":1}", 9);
  CHECK(lk_nn_weights_load(&w, tmpdir, "bad", why) == LK_ERR_MODEL);
  write_file("bad-weights_manifest.json", "[{\"paths\":[\"../x\"],"
             "\"weights\":[]}]", 34);
  CHECK(lk_nn_weights_load(&w, tmpdir, "bad", why) == LK_ERR_MODEL);
  CHECK(strstr(why, "shard") != NULL);
}

static void test_pad_same(void)
{
  struct lk_nn_pad p = lk_nn_pad_same(512, 512, 3, 2);
  CHECK(p.t == 0 && p.b == 1 && p.l == 0 && p.r == 1);
  p = lk_nn_pad_same(7, 7, 3, 1);
  CHECK(p.t == 1 && p.b == 1);
  p = lk_nn_pad_same(207, 207, 2, 2);
  CHECK(p.t == 0 && p.b == 1);
  p = lk_nn_pad_same(13, 13, 2, 1);
  CHECK(p.t == 0 && p.b == 1);
}

/* Naive NHWC conv with TF filter layout converted to XNNPACK's. */
static float naive_conv_at(const float *x, int h, int w, int cin,
                           const float *f, int k, int cout, int co, int oy,
                           int ox, int stride, struct lk_nn_pad pad, int dw)
{
  double s = 0;
  int ky, kx, ci;
  for(ky = 0; ky < k; ky++)
    for(kx = 0; kx < k; kx++) {
      int iy = oy * stride + ky - (int)pad.t, ix = ox * stride + kx - (int)pad.l;
      if(iy < 0 || ix < 0 || iy >= h || ix >= w)
        continue;
      if(dw)
        s += x[(iy * w + ix) * cin + co] * f[(ky * k + kx) * cout + co];
      else
        for(ci = 0; ci < cin; ci++)
          s += x[(iy * w + ix) * cin + ci] *
               f[((co * k + ky) * k + kx) * cin + ci];
    }
  return (float)s;
}

static void check_conv(int dw, int stride)
{
  enum { H = 9, W = 8, CIN = 5, K = 3 };
  const int cout = dw ? CIN : 4;
  float x[H * W * CIN], f[4 * K * K * CIN], bias[8], *y;
  struct lk_nn_conv p;
  struct lk_nn_graph *g = lk_nn_graph_create(2);
  struct lk_nn_runtime *rt = NULL;
  uint32_t v;
  size_t d[4];
  void *bufs[2];
  char why[LK_NN_ERRMAX] = "";
  int i, oy, ox, co, bad = 0;

  srand(42);
  for(i = 0; i < H * W * CIN; i++)
    x[i] = (float)rand() / RAND_MAX - 0.5f;
  for(i = 0; i < 4 * K * K * CIN; i++)
    f[i] = (float)rand() / RAND_MAX - 0.5f;
  for(i = 0; i < 8; i++)
    bias[i] = 0.1f * i;
  memset(&p, 0, sizeof p);
  p.filter = f; p.bias = bias; p.kh = p.kw = K; p.cin = CIN; p.cout = cout;
  p.stride = stride; p.pad = lk_nn_pad_same(H, W, K, stride);
  p.out_min = 0.0f; p.out_max = 6.0f;
  v = lk_nn_input(g, 0, 1, H, W, CIN);
  v = dw ? lk_nn_dwconv(g, v, &p) : lk_nn_conv(g, v, &p);
  lk_nn_shape(g, v, d);
  CHECK(d[1] == (size_t)((H + stride - 1) / stride) && d[3] == (size_t)cout);
  lk_nn_output(g, v, 1);
  CHECK_MSG(lk_nn_runtime_create(g, NULL, &rt, why) == LK_OK, "%s", why);
  lk_nn_graph_destroy(g);
  y = lk_malloc(d[1] * d[2] * d[3] * sizeof *y + 64);
  bufs[0] = x;
  bufs[1] = y;
  CHECK(rt && lk_nn_runtime_run(rt, bufs) == LK_OK);
  for(oy = 0; oy < (int)d[1]; oy++)
    for(ox = 0; ox < (int)d[2]; ox++)
      for(co = 0; co < cout; co++) {
        float ref = naive_conv_at(x, H, W, CIN, f, K, cout, co, oy, ox,
                                  stride, p.pad, dw) + bias[co];
        ref = fminf(6.0f, fmaxf(0.0f, ref));
        bad += fabsf(ref - y[(oy * d[2] + ox) * cout + co]) > 1e-5f;
      }
  CHECK_MSG(bad == 0, "%d outputs differ (dw %d stride %d)", bad, dw, stride);
  lk_free(y);
  lk_nn_runtime_destroy(rt);
}

static void test_conv_vs_naive(void)
{
  check_conv(0, 1);
  check_conv(0, 2);
  check_conv(1, 1);
  check_conv(1, 2);
}

/* Pad after + dense + pooling shapes and values. */
static void test_pad_pool_dense(void)
{
  float x[2 * 2 * 2] = { 1, 2, 3, 4, 5, 6, 7, 8 };   /* h w c */
  float wt[3 * 2] = { 1, 0, 0, 1, 1, 1 };             /* [in=3][out=2] */
  float y[2], yp[3 * 3 * 3 + 16];
  struct lk_nn_graph *g = lk_nn_graph_create(3);
  struct lk_nn_runtime *rt = NULL;
  uint32_t v, p;
  void *bufs[3];
  char why[LK_NN_ERRMAX] = "";

  v = lk_nn_input(g, 0, 1, 2, 2, 2);
  p = lk_nn_pad_after(g, v, 1, 1, 1);               /* 3x3x3, zeros */
  lk_nn_output(g, p, 2);
  v = lk_nn_global_avgpool(g, p);                   /* mean over 9 cells */
  v = lk_nn_dense(g, v, wt, NULL, 3, 2);
  lk_nn_output(g, v, 1);
  CHECK_MSG(lk_nn_runtime_create(g, NULL, &rt, why) == LK_OK, "%s", why);
  lk_nn_graph_destroy(g);
  bufs[0] = x; bufs[1] = y; bufs[2] = yp;
  CHECK(rt && lk_nn_runtime_run(rt, bufs) == LK_OK);
  CHECK(yp[0] == 1 && yp[1] == 2 && yp[2] == 0 && yp[3] == 3);
  CHECK(yp[3 * 3 * 3 - 1] == 0);
  CHECK_NEAR(y[0], (1 + 3 + 5 + 7) / 9.0, 1e-6);  /* channel 0 + zero ch */
  CHECK_NEAR(y[1], (2 + 4 + 6 + 8) / 9.0, 1e-6);
  lk_nn_runtime_destroy(rt);
}

static void test_build_error_reported(void)
{
  struct lk_nn_graph *g = lk_nn_graph_create(2);
  struct lk_nn_runtime *rt = NULL;
  struct lk_nn_conv p;
  float f[9] = { 0 };
  char why[LK_NN_ERRMAX] = "";
  uint32_t v = lk_nn_input(g, 0, 1, 4, 4, 3);
  memset(&p, 0, sizeof p);
  p.filter = f; p.kh = p.kw = 3; p.cin = 5; p.cout = 1; p.stride = 1;
  p.out_min = -INFINITY; p.out_max = INFINITY;
  v = lk_nn_conv(g, v, &p);                 /* cin mismatch */
  lk_nn_output(g, v, 1);
  CHECK(lk_nn_runtime_create(g, NULL, &rt, why) == LK_ERR_NN);
  CHECK(rt == NULL && strstr(why, "conv") != NULL);
  lk_nn_graph_destroy(g);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  if(!mkdtemp(tmpdir))
    return 1;
  RUN(test_manifest_decode);
  RUN(test_manifest_errors);
  RUN(test_pad_same);
  RUN(test_conv_vs_naive);
  RUN(test_pad_pool_dense);
  RUN(test_build_error_reported);
  CHECK_MSG(lk_mem_in_use() == start, "leaked %zu bytes",
            lk_mem_in_use() - start);
  {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if(system(cmd) != 0)
      return 1;
  }
  return test_report();
}
