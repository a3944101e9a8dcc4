/* webp.c - WebP through libwebp (lossy and lossless, alpha dropped), with
 * the EXIF chunk found by libwebpdemux. Animations are refused: which frame
 * to use is the caller's choice, not ours to guess. */
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "image/image_int.h"

static lk_err lk_img_webp_error(struct lk_img_dec *d, VP8StatusCode st)
{
  switch(st) {
  case VP8_STATUS_OUT_OF_MEMORY:
    return lk_img_fail(d, LK_ERR_NOMEM, "WebP: out of memory");
  case VP8_STATUS_NOT_ENOUGH_DATA:
  case VP8_STATUS_SUSPENDED:   /* what a frame cut short gives */
    return lk_img_fail(d, LK_ERR_IMAGE,
                       "truncated WebP: premature end of data");
  case VP8_STATUS_UNSUPPORTED_FEATURE:
    return lk_img_fail(d, LK_ERR_UNSUPPORTED,
                       "WebP: a feature this libwebp does not decode");
  case VP8_STATUS_BITSTREAM_ERROR:
    return lk_img_fail(d, LK_ERR_IMAGE, "corrupt WebP: bitstream error");
  default:
    return lk_img_fail(d, LK_ERR_IMAGE, "WebP: decoder status %d",
                       (int)st);
  }
}

/* A missing or unreadable EXIF chunk leaves orientation 1; the decode that
 * follows reports a damaged file itself. */
static lk_err lk_img_webp_orientation(struct lk_img_dec *d)
{
  WebPData wd = { d->data, d->len };
  WebPDemuxer *dmux = WebPDemux(&wd);
  WebPChunkIterator it;
  lk_err err = LK_OK;
  if(!dmux)
    return LK_OK;
  if((WebPDemuxGetI(dmux, WEBP_FF_FORMAT_FLAGS) & EXIF_FLAG) &&
     WebPDemuxGetChunk(dmux, "EXIF", 1, &it)) {
    if(lk_img_exif_orientation(it.chunk.bytes, it.chunk.size,
                               &d->orientation))
      err = lk_img_fail(d, LK_ERR_NOMEM, "no memory to read EXIF");
    WebPDemuxReleaseChunkIterator(&it);
  }
  WebPDemuxDelete(dmux);
  return err;
}

static lk_err lk_img_webp_pixels(struct lk_img_dec *d,
                                 WebPDecoderConfig *cfg, unsigned char *buf)
{
  VP8StatusCode st;
  cfg->output.colorspace = MODE_RGB;
  cfg->output.is_external_memory = 1;
  cfg->output.u.RGBA.rgba = buf;
  cfg->output.u.RGBA.stride = d->src_w * 3;
  cfg->output.u.RGBA.size = (size_t)d->src_w * (size_t)d->src_h * 3;
  st = WebPDecode(d->data, d->len, cfg);
  WebPFreeDecBuffer(&cfg->output);
  return st ? lk_img_webp_error(d, st) : LK_OK;
}

lk_err lk_img_webp_decode(struct lk_img_dec *d)
{
  WebPDecoderConfig cfg;
  unsigned char *buf;
  VP8StatusCode st;
  lk_err err;
  if(!WebPInitDecoderConfig(&cfg))
    return lk_img_fail(d, LK_ERR_IMAGE, "WebP: libwebp version mismatch");
  st = WebPGetFeatures(d->data, d->len, &cfg.input);
  if(st)
    return lk_img_webp_error(d, st);
  if(cfg.input.has_animation)
    return lk_img_fail(d, LK_ERR_UNSUPPORTED,
                       "animated WebP is not supported; send one frame as "
                       "JPEG or PNG");
  err = lk_img_check_size(d, cfg.input.width, cfg.input.height);
  if(!err)
    err = lk_img_webp_orientation(d);
  if(!err)
    err = lk_img_target(d, d->src_w, d->src_h, &buf);
  if(!err)
    err = lk_img_webp_pixels(d, &cfg, buf);
  if(!err)
    err = lk_img_commit(d, buf, d->src_w, d->src_h);
  return err;
}

lk_err lk_img_webp_size(const void *data, size_t len, int *w, int *h)
{
  if(!WebPGetInfo(data, len, w, h) || *w <= 0 || *h <= 0)
    return LK_ERR_IMAGE;
  return LK_OK;
}
