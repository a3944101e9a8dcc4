/* image_int.h - what the decoders in src/image/ share; nothing outside this
 * folder includes it. Internal names use the lk_img_ prefix.
 *
 * A decoder reads the header, calls lk_img_check_size (before any pixel
 * memory exists), asks lk_img_target for a buffer, decodes into it and hands
 * it to lk_img_commit, which applies the EXIF orientation and fills out:
 *
 *   err = lk_img_check_size(d, w, h);
 *   err = lk_img_target(d, ow, oh, &buf);        arena, or a temporary
 *   ... decode into buf ...
 *   err = lk_img_commit(d, buf, ow, oh); */
#ifndef LK_IMAGE_INT_H
#define LK_IMAGE_INT_H

#include <stddef.h>

#include "image/image.h"

/* One decode call. lk_image_decode owns it; decoders fill orientation,
 * src_w/src_h and scale_denom before calling lk_img_target. */
struct lk_img_dec {
  const unsigned char *data;
  size_t len;
  struct lk_image_opts opts;   /* resolved: max_pixels is never 0 */
  struct lk_arena *arena;
  struct lk_image *out;
  char *why;                   /* NULL or LK_IMAGE_ERRMAX bytes */
  int orientation;             /* EXIF value found, 1 when none */
  int src_w, src_h;
  int scale_denom;
  unsigned char *tmp;          /* lk_malloc'd pre-orientation pixels */
};

/* Writes a one-line reason into d->why (when given) and returns err. */
lk_err lk_img_fail(struct lk_img_dec *d, lk_err err, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

lk_err lk_img_check_size(struct lk_img_dec *d, long long w, long long h);
lk_err lk_img_target(struct lk_img_dec *d, int w, int h,
                     unsigned char **buf);
lk_err lk_img_commit(struct lk_img_dec *d, unsigned char *buf, int w, int h);

/* Format decoders (jpeg.c, png.c, webp.c). */
lk_err lk_img_jpeg_decode(struct lk_img_dec *d);
lk_err lk_img_png_decode(struct lk_img_dec *d);
lk_err lk_img_webp_decode(struct lk_img_dec *d);
lk_err lk_img_jpeg_size(const void *data, size_t len, int *w, int *h);
lk_err lk_img_png_size(const void *data, size_t len, int *w, int *h);
lk_err lk_img_webp_size(const void *data, size_t len, int *w, int *h);

/* exif.c: orientation 1..8 from an EXIF block, which may start with the
 * JPEG APP1 "Exif\0\0" header or directly with the TIFF header (PNG eXIf,
 * WebP EXIF chunk). Unreadable or absent tags give 1: browsers show such
 * images unrotated, so that is not an error. LK_ERR_NOMEM only. */
lk_err lk_img_exif_orientation(const unsigned char *exif, size_t len,
                               int *orientation);

/* exif.c: dst (w*h*3 bytes, sides swapped for 5..8) = src as displayed. */
void lk_img_orient(const unsigned char *src, int w, int h, int orientation,
                   unsigned char *dst);

/* font.c: glyphs for ASCII 32..126 at index c - 32, then the box drawn for
 * any other character (LK_IMG_FONT_BOX); rows of '#' (lit) and '.'. */
#define LK_IMG_FONT_GLYPHS 96
#define LK_IMG_FONT_BOX 95
extern const char lk_img_font[LK_IMG_FONT_GLYPHS][LK_IMAGE_FONT_H]
                             [LK_IMAGE_FONT_W + 1];

#endif
