/* test_image_exif.c - EXIF orientation 1..8 from JPEG APP1, PNG eXIf and
 * the WebP EXIF chunk: output size and where every pixel lands. */
#include <stdio.h>
#include <string.h>

#include <webp/encode.h>

#include "imgtest.h"

/* 32x16 stored, 8x8 blocks of one colour each: a JPEG keeps flat blocks
 * (almost) exactly, so every pixel can be checked. */
#define W 32
#define H 16

static size_t start_mem;

static unsigned char *blocks(void)
{
  unsigned char *p = lk_malloc(W * H * 3);
  int x, y;
  for(y = 0; y < H; y++)
    for(x = 0; x < W; x++) {
      int b = (y / 8) * 4 + x / 8;
      p[(y * W + x) * 3] = (unsigned char)(b * 30);
      p[(y * W + x) * 3 + 1] = (unsigned char)(250 - b * 25);
      p[(y * W + x) * 3 + 2] = (unsigned char)(b % 2 ? 200 : 40);
    }
  return p;
}

/* Where displayed pixel (x, y) comes from, written out per the EXIF 2.3
 * table ("0th row at the visual ..."), separately from the library's. */
static void source_of(int o, int x, int y, int w, int h, int *sx, int *sy)
{
  switch(o) {
  case 2: *sx = w - 1 - x; *sy = y; break;
  case 3: *sx = w - 1 - x; *sy = h - 1 - y; break;
  case 4: *sx = x; *sy = h - 1 - y; break;
  case 5: *sx = y; *sy = x; break;
  case 6: *sx = y; *sy = h - 1 - x; break;
  case 7: *sx = w - 1 - y; *sy = h - 1 - x; break;
  case 8: *sx = w - 1 - y; *sy = x; break;
  default: *sx = x; *sy = y; break;
  }
}

/* Largest channel difference between img and src shown with orientation o. */
static int placement_error(const struct lk_image *img,
                           const unsigned char *src, int w, int h, int o)
{
  int x, y, c, sx, sy, worst = 0;
  for(y = 0; y < img->height; y++)
    for(x = 0; x < img->width; x++) {
      source_of(o, x, y, w, h, &sx, &sy);
      for(c = 0; c < 3; c++) {
        int d = abs(img->rgb[(y * img->width + x) * 3 + c] -
                    src[(sy * w + sx) * 3 + c]);
        if(d > worst)
          worst = d;
      }
    }
  return worst;
}

static void check_oriented(const char *what, const unsigned char *data,
                           size_t n, const unsigned char *src, int o, int tol)
{
  struct it_dec r;
  int sw = o >= 5;
  it_decode(data, n, NULL, &r);
  CHECK_MSG(r.err == LK_OK, "%s %d: %s", what, o, r.why);
  if(!r.err) {
    int e;
    CHECK_MSG(r.img.orientation == o, "%s: orientation %d, want %d", what,
              r.img.orientation, o);
    CHECK_MSG(r.img.width == (sw ? H : W) && r.img.height == (sw ? W : H),
              "%s %d: %dx%d", what, o, r.img.width, r.img.height);
    CHECK(r.img.src_width == W && r.img.src_height == H);
    e = placement_error(&r.img, src, W, H, o);
    CHECK_MSG(e <= tol, "%s orientation %d: pixel off by %d", what, o, e);
  }
  it_done(&r);
}

static void test_jpeg_all_orientations(void)
{
  unsigned char *src = blocks(), *j, *e;
  size_t jn, en;
  int o, le;
  j = it_jpeg(src, W, H, TJPF_RGB, TJSAMP_444, 0, &jn);
  for(le = 0; le < 2; le++)
    for(o = 1; o <= 8; o++) {
      e = it_jpeg_with_exif(j, jn, o, le, &en);
      check_oriented(le ? "jpeg (II)" : "jpeg (MM)", e, en, src, o, 3);
      lk_free(e);
    }
  lk_free(j);
  lk_free(src);
  CHECK(lk_mem_in_use() == start_mem);
}

static void test_jpeg_exif_options(void)
{
  unsigned char *src = blocks(), *j, *e;
  struct lk_image_opts o = lk_image_default_opts();
  struct it_dec r;
  size_t jn, en;
  j = it_jpeg(src, W, H, TJPF_RGB, TJSAMP_444, 0, &jn);
  e = it_jpeg_with_exif(j, jn, 6, 0, &en);
  o.apply_exif = 0;   /* reported, not applied */
  CHECK(it_decode(e, en, &o, &r) == LK_OK);
  CHECK(r.img.orientation == 6 && r.img.width == W && r.img.height == H);
  CHECK(placement_error(&r.img, src, W, H, 1) <= 3);
  it_done(&r);
  o.apply_exif = 1;   /* with DCT scaling: 32x16 -> 16x8 -> turned 8x16 */
  o.min_side = 8;
  CHECK(it_decode(e, en, &o, &r) == LK_OK);
  CHECK(r.img.scale_denom == 2 && r.img.width == 8 && r.img.height == 16);
  CHECK(r.img.src_width == W && r.img.src_height == H);
  it_done(&r);
  lk_free(e);
  /* out-of-range values are treated as "no orientation" */
  e = it_jpeg_with_exif(j, jn, 9, 0, &en);
  CHECK(it_decode(e, en, NULL, &r) == LK_OK);
  CHECK(r.img.orientation == 1 && r.img.width == W);
  it_done(&r);
  lk_free(e);
  lk_free(j);
  lk_free(src);
  CHECK(lk_mem_in_use() == start_mem);
}

/* A damaged EXIF block is ignored, as browsers do; the image still loads. */
static void test_jpeg_bad_exif_ignored(void)
{
  unsigned char *src = blocks(), *j, *e;
  struct it_dec r;
  size_t jn, en, k;
  j = it_jpeg(src, W, H, TJPF_RGB, TJSAMP_444, 0, &jn);
  e = it_jpeg_with_exif(j, jn, 6, 0, &en);
  for(k = 12; k < 12 + 26; k++) {
    unsigned char keep = e[k];
    e[k] = 0xff;
    it_decode(e, en, NULL, &r);
    CHECK_MSG(r.err == LK_OK, "byte %zu: %s", k, r.why);
    CHECK(r.img.orientation >= 1 && r.img.orientation <= 8);
    it_done(&r);
    e[k] = keep;
  }
  lk_free(e);
  lk_free(j);
  lk_free(src);
  CHECK(lk_mem_in_use() == start_mem);
}

static void test_png_exif(void)
{
  unsigned char *src = blocks(), tiff[64], *p;
  struct it_png_extra x;
  size_t pn;
  int o;
  memset(&x, 0, sizeof x);
  x.exif = tiff;
  for(o = 1; o <= 8; o++) {
    x.exif_len = it_tiff_orientation(tiff, o, o % 2);
    p = it_png(src, W * H * 3, W, H, SPNG_COLOR_TYPE_TRUECOLOR, 8, &x, &pn);
    check_oriented("png", p, pn, src, o, 0);
    lk_free(p);
  }
  lk_free(src);
  CHECK(lk_mem_in_use() == start_mem);
}

static void put_le(unsigned char *p, uint32_t v, int n)
{
  int i;
  for(i = 0; i < n; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Extended WebP: VP8X (EXIF flag), the lossless image chunk, EXIF. */
static unsigned char *webp_with_exif(const unsigned char *src, int o,
                                     size_t *len)
{
  unsigned char *simple = NULL, *out, tiff[64];
  size_t sn = WebPEncodeLosslessRGB(src, W, H, W * 3, &simple);
  size_t img = sn - 12, tn = it_tiff_orientation(tiff, o, 0);
  size_t n = 12 + 18 + img + 8 + tn + (tn & 1);
  out = lk_calloc(1, n);
  memcpy(out, "RIFF", 4);
  put_le(out + 4, (uint32_t)(n - 8), 4);
  memcpy(out + 8, "WEBPVP8X", 8);
  put_le(out + 16, 10, 4);
  out[20] = 0x08;   /* EXIF present */
  put_le(out + 24, W - 1, 3);
  put_le(out + 27, H - 1, 3);
  memcpy(out + 30, simple + 12, img);
  memcpy(out + 30 + img, "EXIF", 4);
  put_le(out + 34 + img, (uint32_t)tn, 4);
  memcpy(out + 38 + img, tiff, tn);
  WebPFree(simple);
  *len = n;
  return out;
}

static void test_webp_exif(void)
{
  unsigned char *src = blocks(), *w;
  size_t wn;
  int o;
  for(o = 1; o <= 8; o++) {
    w = webp_with_exif(src, o, &wn);
    check_oriented("webp", w, wn, src, o, 0);
    lk_free(w);
  }
  lk_free(src);
  CHECK(lk_mem_in_use() == start_mem);
}

int main(void)
{
  start_mem = lk_mem_in_use();
  RUN(test_jpeg_all_orientations);
  RUN(test_jpeg_exif_options);
  RUN(test_jpeg_bad_exif_ignored);
  RUN(test_png_exif);
  RUN(test_webp_exif);
  return test_report();
}
