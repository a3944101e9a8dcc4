/* jpeg.c - JPEG through TurboJPEG: decode (with DCT-domain downscaling and
 * EXIF orientation from APP1) and encode.
 *
 * Decoding keeps TurboJPEG's default accurate IDCT and smooth upsampling:
 * other tools are fed our exact pixels and compared with references. */
#include <string.h>
#include <turbojpeg.h>

#include "image/image_int.h"

#define LK_JPEG_SOS 0xda
#define LK_JPEG_EOI 0xd9
#define LK_JPEG_APP1 0xe1

/* Any warning (a truncated file above all) fails the decode rather than
 * return a partly grey image; LIMITSCANS refuses progressive files built to
 * take minutes (libjpeg-turbo's "two issues with the JPEG standard"). */
#define LK_JPEG_FLAGS (TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)

static int lk_img_be16(const unsigned char *p)
{
  return (p[0] << 8) | p[1];
}

/* Finds the payload of the first APP1 "Exif\0\0" segment before the scan
 * data. A marker walk, not a parser: libexif reads what it finds. */
static const unsigned char *lk_img_jpeg_app1(const unsigned char *p,
                                             size_t len, size_t *n)
{
  size_t pos = 2;
  while(pos + 4 <= len) {
    int m, seg;
    if(p[pos] != 0xff)
      return NULL;
    m = p[pos + 1];
    if(m == 0xff) {   /* fill byte */
      pos++;
      continue;
    }
    if(m == LK_JPEG_SOS || m == LK_JPEG_EOI)
      return NULL;
    if(m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {   /* TEM, RSTn: no length */
      pos += 2;
      continue;
    }
    seg = lk_img_be16(p + pos + 2);
    if(seg < 2)
      return NULL;
    if(m == LK_JPEG_APP1 && seg >= 2 + 6 && pos + 4 + 6 <= len &&
       !memcmp(p + pos + 4, "Exif\0\0", 6)) {
      *n = (size_t)seg - 2;
      if(*n > len - pos - 4)
        *n = len - pos - 4;   /* truncated: let libexif see what is there */
      return p + pos + 4;
    }
    pos += 2 + (size_t)seg;
  }
  return NULL;
}

/* The smallest of 1/2, 1/4, 1/8 keeping both sides >= min_side. */
static int lk_img_jpeg_denom(int w, int h, int min_side)
{
  int denom;
  if(min_side <= 0)
    return 1;
  for(denom = 8; denom > 1; denom /= 2) {
    tjscalingfactor sf = { 1, denom };
    if(TJSCALED(w, sf) >= min_side && TJSCALED(h, sf) >= min_side)
      return denom;
  }
  return 1;
}

/* Like libjpeg-turbo's own tools and browsers, CMYK data is taken as Adobe
 * writes it (inverted), so each channel times K gives the RGB value. */
static void lk_img_cmyk_to_rgb(const unsigned char *cmyk, size_t n,
                               unsigned char *rgb)
{
  size_t i;
  for(i = 0; i < n; i++) {
    unsigned k = cmyk[4 * i + 3];
    rgb[3 * i + 0] = (unsigned char)((cmyk[4 * i + 0] * k + 127) / 255);
    rgb[3 * i + 1] = (unsigned char)((cmyk[4 * i + 1] * k + 127) / 255);
    rgb[3 * i + 2] = (unsigned char)((cmyk[4 * i + 2] * k + 127) / 255);
  }
}

static lk_err lk_img_jpeg_error(struct lk_img_dec *d, tjhandle tj)
{
  const char *msg = tjGetErrorStr2(tj);
  if(!msg)
    msg = "unknown error";
  if(!strncmp(msg, "Corrupt JPEG data: ", 19))
    msg += 19;   /* we say "corrupt JPEG" already */
  /* libjpeg's JWRN_JPEG_EOF, raised when the data stops mid-scan */
  if(strstr(msg, "Premature end of JPEG file"))
    return lk_img_fail(d, LK_ERR_IMAGE,
                       "truncated JPEG: premature end of data");
  if(strstr(msg, "Insufficient memory"))
    return lk_img_fail(d, LK_ERR_NOMEM, "JPEG: %s", msg);
  /* 12-bit and lossless JPEG: valid files this libjpeg-turbo cannot read */
  if(!strncmp(msg, "Unsupported JPEG", 16))
    return lk_img_fail(d, LK_ERR_UNSUPPORTED, "JPEG: %s", msg);
  return lk_img_fail(d, LK_ERR_IMAGE, "corrupt JPEG: %s", msg);
}

static lk_err lk_img_jpeg_pixels(struct lk_img_dec *d, tjhandle tj, int cs,
                                 unsigned char *rgb, int w, int h)
{
  unsigned char *cmyk;
  int rc;
  if(cs != TJCS_CMYK && cs != TJCS_YCCK) {
    rc = tjDecompress2(tj, d->data, (unsigned long)d->len, rgb, w, 0, h,
                       TJPF_RGB, LK_JPEG_FLAGS);
    return rc ? lk_img_jpeg_error(d, tj) : LK_OK;
  }
  /* libjpeg converts CMYK/YCCK only to CMYK. */
  cmyk = lk_malloc((size_t)w * (size_t)h * 4);
  if(!cmyk)
    return lk_img_fail(d, LK_ERR_NOMEM, "no memory for %dx%d CMYK pixels",
                       w, h);
  rc = tjDecompress2(tj, d->data, (unsigned long)d->len, cmyk, w, 0, h,
                     TJPF_CMYK, LK_JPEG_FLAGS);
  if(!rc)
    lk_img_cmyk_to_rgb(cmyk, (size_t)w * (size_t)h, rgb);
  lk_free(cmyk);
  return rc ? lk_img_jpeg_error(d, tj) : LK_OK;
}

static lk_err lk_img_jpeg_orientation(struct lk_img_dec *d)
{
  size_t n = 0;
  const unsigned char *exif = lk_img_jpeg_app1(d->data, d->len, &n);
  if(!exif)
    return LK_OK;
  if(lk_img_exif_orientation(exif, n, &d->orientation))
    return lk_img_fail(d, LK_ERR_NOMEM, "no memory to read EXIF");
  return LK_OK;
}

static lk_err lk_img_jpeg_run(struct lk_img_dec *d, tjhandle tj)
{
  int w = 0, h = 0, subsamp, cs, ow, oh;
  unsigned char *buf;
  tjscalingfactor sf = { 1, 1 };
  lk_err err;
  if(tjDecompressHeader3(tj, d->data, (unsigned long)d->len, &w, &h,
                         &subsamp, &cs))
    return lk_img_jpeg_error(d, tj);
  /* TurboJPEG reports success, sizes untouched, for a stream that ends
   * before its frame header (it takes it for a tables-only stream). */
  if(!w || !h)
    return lk_img_fail(d, LK_ERR_IMAGE,
                       "truncated JPEG: ends before the frame header");
  err = lk_img_check_size(d, w, h);
  if(!err)
    err = lk_img_jpeg_orientation(d);
  if(err)
    return err;
  d->scale_denom = lk_img_jpeg_denom(w, h, d->opts.min_side);
  sf.denom = d->scale_denom;
  ow = TJSCALED(w, sf);
  oh = TJSCALED(h, sf);
  err = lk_img_target(d, ow, oh, &buf);
  if(!err)
    err = lk_img_jpeg_pixels(d, tj, cs, buf, ow, oh);
  if(!err)
    err = lk_img_commit(d, buf, ow, oh);
  return err;
}

lk_err lk_img_jpeg_decode(struct lk_img_dec *d)
{
  tjhandle tj = tjInitDecompress();
  lk_err err;
  if(!tj)
    return lk_img_fail(d, LK_ERR_NOMEM, "TurboJPEG: %s",
                       tjGetErrorStr2(NULL));
  err = lk_img_jpeg_run(d, tj);
  tjDestroy(tj);
  return err;
}

lk_err lk_img_jpeg_size(const void *data, size_t len, int *w, int *h)
{
  tjhandle tj = tjInitDecompress();
  int subsamp, cs, rc;
  if(!tj)
    return LK_ERR_NOMEM;
  rc = tjDecompressHeader3(tj, data, (unsigned long)len, w, h, &subsamp,
                           &cs);
  tjDestroy(tj);
  return rc || *w <= 0 || *h <= 0 ? LK_ERR_IMAGE : LK_OK;
}

/* 4:4:4 at high quality keeps colour edges for tools and tests that look at
 * single pixels; 4:2:0 below that, as most cameras and libraries do. */
lk_err lk_image_encode_jpeg(const struct lk_image *img, int quality,
                            unsigned char **out, size_t *out_len)
{
  tjhandle tj;
  unsigned char *jpeg = NULL;
  unsigned long size = 0;
  int rc, samp = quality >= 90 ? TJSAMP_444 : TJSAMP_420;
  if(!img || !img->rgb || img->width <= 0 || img->height <= 0 || !out ||
     !out_len || quality < 1 || quality > 100)
    return LK_ERR_INVAL;
  *out = NULL;
  *out_len = 0;
  tj = tjInitCompress();
  if(!tj)
    return LK_ERR_NOMEM;
  rc = tjCompress2(tj, img->rgb, img->width, 0, img->height, TJPF_RGB, &jpeg,
                   &size, samp, quality, 0);
  tjDestroy(tj);
  if(rc) {
    tjFree(jpeg);
    return LK_ERR_NOMEM;   /* valid input: only allocation can fail */
  }
  *out = lk_malloc(size);
  if(*out) {
    memcpy(*out, jpeg, size);
    *out_len = size;
  }
  tjFree(jpeg);
  return *out ? LK_OK : LK_ERR_NOMEM;
}
