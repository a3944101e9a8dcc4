/* imgtest.h - helpers the image tests share: read a test file, decode with a
 * fresh arena, build small PNG/JPEG inputs in memory.
 *
 *   size_t n; unsigned char *d = it_read(LK_TESTDATA "/x.jpeg", &n);
 *   struct it_dec r;  it_decode(d, n, NULL, &r);
 *   ... r.img ...      it_done(&r);  lk_free(d); */
#ifndef LK_IMGTEST_H
#define LK_IMGTEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spng.h>
#include <turbojpeg.h>

#include "image/image.h"
#include "test.h"

#define IT_FORMATS LK_TESTDATA "/compreface_samples/_formats/"

struct it_dec {
  struct lk_arena *arena;
  struct lk_image img;
  lk_err err;
  char why[LK_IMAGE_ERRMAX];
};

static inline unsigned char *it_read(const char *path, size_t *len)
{
  unsigned char *d = NULL;
  char why[LK_IMAGE_ERRMAX];
  lk_err err = lk_file_read(path, 0, &d, len, why);
  CHECK_MSG(err == LK_OK, "%s", why);
  return d;
}

static inline lk_err it_decode(const void *data, size_t len,
                               const struct lk_image_opts *o,
                               struct it_dec *r)
{
  r->arena = lk_arena_create(0);
  CHECK(r->arena != NULL);
  r->why[0] = '\0';
  r->err = lk_image_decode(data, len, o, r->arena, &r->img, r->why);
  return r->err;
}

static inline void it_done(struct it_dec *r)
{
  lk_arena_destroy(r->arena);
  r->arena = NULL;
}

/* An asymmetric test picture: no two pixels alike, no symmetry. */
static inline unsigned char *it_pattern(int w, int h)
{
  unsigned char *p = lk_malloc((size_t)w * h * 3);
  int x, y;
  for(y = 0; y < h; y++)
    for(x = 0; x < w; x++) {
      unsigned char *q = p + ((size_t)y * w + x) * 3;
      q[0] = (unsigned char)(x * 7 + y * 3);
      q[1] = (unsigned char)(y * 11 + 5);
      q[2] = (unsigned char)(x * 13 + y * y);
    }
  return p;
}

static inline double it_mean_abs_diff(const unsigned char *a,
                                      const unsigned char *b, size_t n)
{
  double s = 0;
  size_t i;
  for(i = 0; i < n; i++)
    s += abs((int)a[i] - (int)b[i]);
  return n ? s / (double)n : 0;
}

/* JPEG of an RGB or CMYK buffer through TurboJPEG, in lk_malloc'd memory. */
static inline unsigned char *it_jpeg(const unsigned char *px, int w, int h,
                                     int pf, int samp, int flags,
                                     size_t *len)
{
  tjhandle tj = tjInitCompress();
  unsigned char *jpeg = NULL, *out = NULL;
  unsigned long size = 0;
  if(tj && !tjCompress2(tj, px, w, 0, h, pf, &jpeg, &size, samp, 100,
                        flags)) {
    out = lk_malloc(size);
    memcpy(out, jpeg, size);
    *len = size;
  }
  CHECK(out != NULL);
  tjFree(jpeg);
  tjDestroy(tj);
  return out;
}

/* What the encoder adds to a PNG besides pixels. */
struct it_png_extra {
  const struct spng_plte *plte;
  const struct spng_trns *trns;
  const unsigned char *exif;   /* bare TIFF block */
  size_t exif_len;
  int interlace;
};

/* PNG of px (in the PNG's own layout, 16-bit samples host-endian). */
static inline unsigned char *it_png(const void *px, size_t px_len, int w,
                                    int h, int color_type, int depth,
                                    const struct it_png_extra *x,
                                    size_t *len)
{
  struct spng_alloc al = { lk_malloc, lk_realloc, lk_calloc, lk_free };
  struct spng_ihdr ihdr;
  struct spng_exif exif;
  spng_ctx *ctx = spng_ctx_new2(&al, SPNG_CTX_ENCODER);
  unsigned char *out = NULL;
  int rc = 0;
  memset(&ihdr, 0, sizeof ihdr);
  ihdr.width = (uint32_t)w;
  ihdr.height = (uint32_t)h;
  ihdr.color_type = (uint8_t)color_type;
  ihdr.bit_depth = (uint8_t)depth;
  ihdr.interlace_method = x && x->interlace ? 1 : 0;
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  rc |= spng_set_ihdr(ctx, &ihdr);
  if(x && x->plte)
    rc |= spng_set_plte(ctx, (struct spng_plte *)x->plte);
  if(x && x->trns)
    rc |= spng_set_trns(ctx, (struct spng_trns *)x->trns);
  if(x && x->exif) {
    exif.data = (char *)x->exif;
    exif.length = x->exif_len;
    rc |= spng_set_exif(ctx, &exif);
  }
  rc |= spng_encode_image(ctx, px, px_len, SPNG_FMT_PNG,
                          SPNG_ENCODE_FINALIZE);
  if(!rc)
    out = spng_get_png_buffer(ctx, len, &rc);
  CHECK_MSG(out != NULL, "spng: %s", spng_strerror(rc));
  spng_ctx_free(ctx);
  return out;
}

/* A bare TIFF block holding only IFD0 with the orientation tag. */
static inline size_t it_tiff_orientation(unsigned char *t, int orientation,
                                         int le)
{
  static const unsigned char be[] = {
    'M', 'M', 0, 42, 0, 0, 0, 8,       /* header, IFD0 at 8 */
    0, 1,                              /* one entry */
    0x01, 0x12, 0, 3, 0, 0, 0, 1,      /* Orientation, SHORT, count 1 */
    0, 0, 0, 0,                        /* value, set below */
    0, 0, 0, 0                         /* no next IFD */
  };
  static const unsigned char lei[] = {
    'I', 'I', 42, 0, 8, 0, 0, 0,
    1, 0,
    0x12, 0x01, 3, 0, 1, 0, 0, 0,
    0, 0, 0, 0,
    0, 0, 0, 0
  };
  memcpy(t, le ? lei : be, sizeof be);
  if(le)
    t[18] = (unsigned char)orientation;
  else
    t[19] = (unsigned char)orientation;
  return sizeof be;
}

/* jpeg with an APP1 Exif segment (orientation) spliced in after SOI. */
static inline unsigned char *it_jpeg_with_exif(const unsigned char *jpeg,
                                               size_t n, int orientation,
                                               int le, size_t *len)
{
  unsigned char tiff[64];
  size_t tn = it_tiff_orientation(tiff, orientation, le);
  size_t seg = 2 + 6 + tn;
  unsigned char *out = lk_malloc(n + 2 + seg);
  memcpy(out, jpeg, 2);
  out[2] = 0xff;
  out[3] = 0xe1;
  out[4] = (unsigned char)(seg >> 8);
  out[5] = (unsigned char)seg;
  memcpy(out + 6, "Exif\0\0", 6);
  memcpy(out + 12, tiff, tn);
  memcpy(out + 12 + tn, jpeg + 2, n - 2);
  *len = n + 2 + seg;
  return out;
}

#endif
