/* image.c - format sniffing, the decode entry point and the steps every
 * decoder shares: limits, the pixel buffer, orientation. */
#include "image/image.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/image_int.h"

struct lk_image_opts lk_image_default_opts(void)
{
  struct lk_image_opts o;
  memset(&o, 0, sizeof o);
  o.max_pixels = LK_IMAGE_DEFAULT_MAX_PIXELS;
  o.apply_exif = 1;
  o.min_side = 0;
  return o;
}

static int lk_img_is_heif_brand(const unsigned char *b)
{
  static const char *const brands[] = {
    "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1",
    "msf1"
  };
  size_t i;
  for(i = 0; i < sizeof brands / sizeof brands[0]; i++)
    if(!memcmp(b, brands[i], 4))
      return 1;
  return 0;
}

/* The other formats only get a name in an error, so their checks are loose
 * on purpose: a wrong guess costs a slightly odd message, nothing more. */
static enum lk_image_format lk_img_sniff_other(const unsigned char *p,
                                               size_t len)
{
  if(len >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
    return LK_IMAGE_GIF;
  if(len >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4) ||
                  !memcmp(p, "II+\0", 4) || !memcmp(p, "MM\0+", 4)))
    return LK_IMAGE_TIFF;
  /* BMP: "BM", then two reserved 16-bit fields that writers leave 0. */
  if(len >= 10 && p[0] == 'B' && p[1] == 'M' && !p[6] && !p[7] && !p[8] &&
     !p[9])
    return LK_IMAGE_BMP;
  /* ICO: reserved 0, type 1, at least one entry whose reserved byte is 0. */
  if(len >= 10 && !p[0] && !p[1] && p[2] == 1 && !p[3] && (p[4] || p[5]) &&
     !p[9])
    return LK_IMAGE_ICO;
  if(len >= 12 && !memcmp(p + 4, "ftyp", 4)) {
    if(!memcmp(p + 8, "avif", 4) || !memcmp(p + 8, "avis", 4))
      return LK_IMAGE_AVIF;
    if(lk_img_is_heif_brand(p + 8))
      return LK_IMAGE_HEIF;
  }
  return LK_IMAGE_UNKNOWN;
}

enum lk_image_format lk_image_sniff(const void *data, size_t len)
{
  static const unsigned char png_sig[8] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
  };
  const unsigned char *p = data;
  if(!p)
    return LK_IMAGE_UNKNOWN;
  if(len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
    return LK_IMAGE_JPEG;
  if(len >= 8 && !memcmp(p, png_sig, 8))
    return LK_IMAGE_PNG;
  if(len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
    return LK_IMAGE_WEBP;
  return lk_img_sniff_other(p, len);
}

const char *lk_image_format_name(enum lk_image_format f)
{
  switch(f) {
  case LK_IMAGE_JPEG: return "JPEG";
  case LK_IMAGE_PNG: return "PNG";
  case LK_IMAGE_WEBP: return "WebP";
  case LK_IMAGE_BMP: return "BMP";
  case LK_IMAGE_GIF: return "GIF";
  case LK_IMAGE_TIFF: return "TIFF";
  case LK_IMAGE_ICO: return "ICO";
  case LK_IMAGE_HEIF: return "HEIF";
  case LK_IMAGE_AVIF: return "AVIF";
  case LK_IMAGE_UNKNOWN: break;
  }
  return "unknown";
}

lk_err lk_image_probe(const void *data, size_t len, enum lk_image_format *fmt,
                      int *width, int *height)
{
  enum lk_image_format f = lk_image_sniff(data, len);
  int w = 0, h = 0;
  lk_err err;
  switch(f) {
  case LK_IMAGE_JPEG: err = lk_img_jpeg_size(data, len, &w, &h); break;
  case LK_IMAGE_PNG: err = lk_img_png_size(data, len, &w, &h); break;
  case LK_IMAGE_WEBP: err = lk_img_webp_size(data, len, &w, &h); break;
  case LK_IMAGE_UNKNOWN: err = LK_ERR_IMAGE; break;
  default: err = LK_ERR_UNSUPPORTED; break;
  }
  if(fmt)
    *fmt = f;
  if(width)
    *width = err ? 0 : w;
  if(height)
    *height = err ? 0 : h;
  return err;
}

lk_err lk_img_fail(struct lk_img_dec *d, lk_err err, const char *fmt, ...)
{
  va_list ap;
  if(d->why) {
    va_start(ap, fmt);
    vsnprintf(d->why, LK_IMAGE_ERRMAX, fmt, ap);
    va_end(ap);
  }
  return err;
}

lk_err lk_img_check_size(struct lk_img_dec *d, long long w, long long h)
{
  uint64_t px;
  if(w <= 0 || h <= 0 || w > INT32_MAX || h > INT32_MAX)
    return lk_img_fail(d, LK_ERR_IMAGE, "%s header: bad size %lldx%lld",
                       lk_image_format_name(d->out->format), w, h);
  px = (uint64_t)w * (uint64_t)h;
  if(px > d->opts.max_pixels)
    return lk_img_fail(d, LK_ERR_TOO_LARGE,
                       "image is %lldx%lld (%.1f MP), over the limit of "
                       "%.1f MP", w, h, (double)px / 1e6,
                       (double)d->opts.max_pixels / 1e6);
  d->src_w = (int)w;
  d->src_h = (int)h;
  return LK_OK;
}

static int lk_img_rotates(const struct lk_img_dec *d)
{
  return d->opts.apply_exif && d->orientation > 1 && d->orientation <= 8;
}

/* Upright images decode straight into the arena; the others into a
 * temporary that lk_img_commit turns, so the arena holds one copy. */
lk_err lk_img_target(struct lk_img_dec *d, int w, int h, unsigned char **buf)
{
  size_t n = (size_t)w * (size_t)h * 3;
  if(lk_img_rotates(d)) {
    d->tmp = lk_malloc(n);
    *buf = d->tmp;
  }
  else
    *buf = lk_arena_alloc(d->arena, n);
  if(!*buf)
    return lk_img_fail(d, LK_ERR_NOMEM, "no memory for %dx%d pixels", w, h);
  return LK_OK;
}

lk_err lk_img_commit(struct lk_img_dec *d, unsigned char *buf, int w, int h)
{
  struct lk_image *out = d->out;
  unsigned char *rgb = buf;
  int swap = lk_img_rotates(d) && d->orientation >= 5;
  if(lk_img_rotates(d)) {
    rgb = lk_arena_alloc(d->arena, (size_t)w * (size_t)h * 3);
    if(!rgb)
      return lk_img_fail(d, LK_ERR_NOMEM, "no memory for %dx%d pixels", w,
                         h);
    lk_img_orient(buf, w, h, d->orientation, rgb);
  }
  out->rgb = rgb;
  out->width = swap ? h : w;
  out->height = swap ? w : h;
  out->orientation = d->orientation;
  out->src_width = d->src_w;
  out->src_height = d->src_h;
  out->scale_denom = d->scale_denom;
  return LK_OK;
}

static lk_err lk_img_dispatch(struct lk_img_dec *d)
{
  const unsigned char *p = d->data;
  switch(d->out->format) {
  case LK_IMAGE_JPEG: return lk_img_jpeg_decode(d);
  case LK_IMAGE_PNG: return lk_img_png_decode(d);
  case LK_IMAGE_WEBP: return lk_img_webp_decode(d);
  case LK_IMAGE_UNKNOWN: break;
  default:
    return lk_img_fail(d, LK_ERR_UNSUPPORTED,
                       "%s images are not supported; convert to JPEG or PNG",
                       lk_image_format_name(d->out->format));
  }
  if(d->len < 4)
    return lk_img_fail(d, LK_ERR_IMAGE, "not an image: only %zu bytes",
                       d->len);
  return lk_img_fail(d, LK_ERR_IMAGE,
                     "not a JPEG, PNG or WebP image (starts %02x %02x %02x "
                     "%02x)", p[0], p[1], p[2], p[3]);
}

lk_err lk_image_decode(const void *data, size_t len,
                       const struct lk_image_opts *opts,
                       struct lk_arena *arena, struct lk_image *out,
                       char *why)
{
  struct lk_img_dec d;
  lk_err err;
  memset(&d, 0, sizeof d);
  d.why = why;
  if(why)
    why[0] = '\0';
  if(!out || !arena || (!data && len))
    return lk_img_fail(&d, LK_ERR_INVAL, "missing data, arena or output");
  memset(out, 0, sizeof *out);
  d.data = data;
  d.len = len;
  d.arena = arena;
  d.out = out;
  d.opts = opts ? *opts : lk_image_default_opts();
  if(!d.opts.max_pixels)
    d.opts.max_pixels = LK_IMAGE_DEFAULT_MAX_PIXELS;
  d.orientation = 1;
  d.scale_denom = 1;
  if(!len)
    return lk_img_fail(&d, LK_ERR_IMAGE, "empty input (0 bytes)");
  if(len > LK_IMAGE_MAX_BYTES)
    return lk_img_fail(&d, LK_ERR_TOO_LARGE,
                       "input is %zu bytes, over the limit of %zu", len,
                       LK_IMAGE_MAX_BYTES);
  out->format = lk_image_sniff(data, len);
  err = lk_img_dispatch(&d);
  lk_free(d.tmp);
  if(err) {
    enum lk_image_format f = out->format;
    memset(out, 0, sizeof *out);   /* never a partial image */
    out->format = f;
  }
  return err;
}
