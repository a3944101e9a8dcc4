/* png.c - PNG through libspng, every colour type and depth to RGB8.
 *
 * Alpha and tRNS are dropped, not blended: we keep the colour as stored,
 * which is what a canvas's getImageData gives for opaque pixels and what
 * face-api.js reads. gAMA is not applied either (browsers differ on it). */
#include <spng.h>

#include "image/image_int.h"

/* Ancillary chunks (text, ICC, EXIF) may not make us hold more than this;
 * a real ICC profile or EXIF block is well under 1 MiB. */
#define LK_PNG_CHUNK_MAX ((size_t)4 << 20)
#define LK_PNG_CACHE_MAX ((size_t)16 << 20)

/* zlib's failures reach us as "stream error" codes, which cannot tell a
 * failed allocation from bad data. The allocator notes failures here; it
 * is per thread and reset at the start of each decode. */
static _Thread_local int lk_img_png_nomem;

static void *lk_img_png_malloc(size_t n)
{
  void *p = lk_malloc(n);
  lk_img_png_nomem |= !p;
  return p;
}

static void *lk_img_png_realloc(void *old, size_t n)
{
  void *p = lk_realloc(old, n);
  lk_img_png_nomem |= !p;
  return p;
}

static void *lk_img_png_calloc(size_t count, size_t size)
{
  void *p = lk_calloc(count, size);
  lk_img_png_nomem |= !p;
  return p;
}

static lk_err lk_img_png_error(struct lk_img_dec *d, int rc)
{
  if(lk_img_png_nomem)
    rc = SPNG_EMEM;
  switch(rc) {
  case SPNG_EMEM:
  case SPNG_EZLIB_INIT:   /* inflateInit fails only for memory */
    return lk_img_fail(d, LK_ERR_NOMEM, "PNG: out of memory");
  case SPNG_ECHUNK_LIMITS:
    return lk_img_fail(d, LK_ERR_TOO_LARGE,
                       "PNG: metadata chunks over the %zu MiB limit",
                       LK_PNG_CACHE_MAX >> 20);
  case SPNG_EUSER_WIDTH:
  case SPNG_EUSER_HEIGHT:
    return lk_img_fail(d, LK_ERR_TOO_LARGE,
                       "PNG: a side is longer than %llu pixels",
                       (unsigned long long)d->opts.max_pixels);
  case SPNG_ECHUNK_CRC:
    return lk_img_fail(d, LK_ERR_IMAGE, "PNG: CRC error");
  case SPNG_IO_EOF:
  case SPNG_EOF:
  case SPNG_EIDAT_TOO_SHORT:
    return lk_img_fail(d, LK_ERR_IMAGE,
                       "truncated PNG: premature end of data");
  default:
    return lk_img_fail(d, LK_ERR_IMAGE, "PNG: %s", spng_strerror(rc));
  }
}

/* All of libspng's memory, zlib's included, goes through lk_malloc. */
static spng_ctx *lk_img_png_ctx(const void *data, size_t len,
                                uint64_t max_pixels)
{
  struct spng_alloc alloc = {
    lk_img_png_malloc, lk_img_png_realloc, lk_img_png_calloc, lk_free
  };
  uint32_t side = max_pixels > INT32_MAX ? INT32_MAX : (uint32_t)max_pixels;
  spng_ctx *ctx;
  lk_img_png_nomem = 0;
  ctx = spng_ctx_new2(&alloc, 0);
  if(!ctx)
    return NULL;
  if(spng_set_image_limits(ctx, side, side) ||
     spng_set_chunk_limits(ctx, LK_PNG_CHUNK_MAX, LK_PNG_CACHE_MAX) ||
     spng_set_png_buffer(ctx, data, len)) {
    spng_ctx_free(ctx);
    return NULL;
  }
  return ctx;
}

/* PNG 3rd edition puts eXIf before IDAT, and browsers ignore it after, so
 * we look only there: the orientation is then known before decoding. */
static lk_err lk_img_png_orientation(struct lk_img_dec *d, spng_ctx *ctx)
{
  struct spng_exif exif;
  int rc = spng_get_exif(ctx, &exif);
  if(rc == SPNG_ECHUNKAVAIL)
    return LK_OK;
  if(rc)
    return lk_img_png_error(d, rc);
  if(lk_img_exif_orientation((const unsigned char *)exif.data, exif.length,
                             &d->orientation))
    return lk_img_fail(d, LK_ERR_NOMEM, "no memory to read EXIF");
  return LK_OK;
}

static lk_err lk_img_png_run(struct lk_img_dec *d, spng_ctx *ctx)
{
  struct spng_ihdr ihdr;
  unsigned char *buf;
  size_t n;
  lk_err err;
  int rc = spng_get_ihdr(ctx, &ihdr);
  if(rc)
    return lk_img_png_error(d, rc);
  err = lk_img_check_size(d, ihdr.width, ihdr.height);
  if(!err)
    err = lk_img_png_orientation(d, ctx);
  if(err)
    return err;
  rc = spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &n);
  if(rc)
    return lk_img_png_error(d, rc);
  if(n != (size_t)d->src_w * (size_t)d->src_h * 3)
    return lk_img_fail(d, LK_ERR_IMAGE, "PNG: unexpected RGB8 size %zu", n);
  err = lk_img_target(d, d->src_w, d->src_h, &buf);
  if(err)
    return err;
  rc = spng_decode_image(ctx, buf, n, SPNG_FMT_RGB8, 0);
  if(rc)
    return lk_img_png_error(d, rc);
  return lk_img_commit(d, buf, d->src_w, d->src_h);
}

lk_err lk_img_png_decode(struct lk_img_dec *d)
{
  spng_ctx *ctx = lk_img_png_ctx(d->data, d->len, d->opts.max_pixels);
  lk_err err;
  if(!ctx)
    return lk_img_fail(d, LK_ERR_NOMEM, "PNG: out of memory");
  err = lk_img_png_run(d, ctx);
  spng_ctx_free(ctx);
  return err;
}

lk_err lk_img_png_size(const void *data, size_t len, int *w, int *h)
{
  spng_ctx *ctx = lk_img_png_ctx(data, len, INT32_MAX);
  struct spng_ihdr ihdr;
  int rc;
  if(!ctx)
    return LK_ERR_NOMEM;
  rc = spng_get_ihdr(ctx, &ihdr);
  spng_ctx_free(ctx);
  if(rc == SPNG_EMEM)
    return LK_ERR_NOMEM;
  if(rc || ihdr.width > INT32_MAX || ihdr.height > INT32_MAX)
    return LK_ERR_IMAGE;
  *w = (int)ihdr.width;
  *h = (int)ihdr.height;
  return LK_OK;
}
