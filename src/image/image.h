/* image.h - decode JPEG, PNG and WebP bytes into 8-bit RGB, with EXIF
 * orientation applied and pixel limits checked from the header first.
 * Other formats (BMP, GIF, TIFF, ICO, HEIF, AVIF) are recognised so the
 * error can name them. docs/image.md has the details.
 * Threads: every function is reentrant; images live in the caller's arena.
 *
 *   struct lk_image img;
 *   struct lk_image_opts o = lk_image_default_opts();
 *   char why[LK_IMAGE_ERRMAX];
 *   err = lk_image_decode(bytes, len, &o, arena, &img, why);
 *   if(err) printf("%s: %s\n", lk_strerror(err), why);
 */
#ifndef LK_IMAGE_H
#define LK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"

#define LK_IMAGE_ERRMAX 256
#define LK_IMAGE_DEFAULT_MAX_PIXELS (50u * 1000u * 1000u)  /* 50 MP */
#define LK_IMAGE_MAX_BYTES ((size_t)256 << 20)  /* larger inputs refused */

enum lk_image_format {
  LK_IMAGE_UNKNOWN = 0,
  LK_IMAGE_JPEG,
  LK_IMAGE_PNG,
  LK_IMAGE_WEBP,
  LK_IMAGE_BMP,    /* recognised so the error can name it; not decoded */
  LK_IMAGE_GIF,    /* likewise */
  LK_IMAGE_TIFF,   /* likewise */
  LK_IMAGE_ICO,    /* likewise */
  LK_IMAGE_HEIF,   /* likewise (HEIC from phones) */
  LK_IMAGE_AVIF,   /* likewise */
};

struct lk_image {
  int width;              /* after orientation and any DCT scaling */
  int height;
  unsigned char *rgb;     /* width*height*3 bytes, rows packed, in the arena */
  enum lk_image_format format;
  int orientation;        /* EXIF orientation found (1 = none) */
  int src_width;          /* as stored in the file, before scaling */
  int src_height;
  int scale_denom;        /* 1, or 2/4/8 when JPEG DCT scaling was used */
};

struct lk_image_opts {
  uint64_t max_pixels;    /* refuse larger images (width*height from header) */
  int apply_exif;         /* rotate/flip by EXIF orientation (default 1) */
  /* JPEG only: the decoder may scale by 1/2, 1/4 or 1/8 in the DCT domain as
   * long as both sides stay >= min_side (0 = always decode at full size). */
  int min_side;
};

struct lk_image_opts lk_image_default_opts(void);

/* Identify a format from the first bytes (needs at most 16). */
enum lk_image_format lk_image_sniff(const void *data, size_t len);
const char *lk_image_format_name(enum lk_image_format f);

/* Read width/height (as stored) from the header without decoding pixels. */
lk_err lk_image_probe(const void *data, size_t len, enum lk_image_format *fmt,
                      int *width, int *height);

/* Decode data into out->rgb (allocated in arena). why (may be NULL, else
 * LK_IMAGE_ERRMAX bytes) receives a one-line reason on failure:
 * LK_ERR_IMAGE (corrupt/truncated/empty), LK_ERR_UNSUPPORTED (GIF, TIFF,
 * ...), LK_ERR_TOO_LARGE (over max_pixels or LK_IMAGE_MAX_BYTES),
 * LK_ERR_NOMEM. */
lk_err lk_image_decode(const void *data, size_t len,
                       const struct lk_image_opts *opts,
                       struct lk_arena *arena, struct lk_image *out,
                       char *why);

/* Read a whole file (up to LK_IMAGE_MAX_BYTES) into lk_malloc'd memory. */
lk_err lk_file_read(const char *path, size_t max, unsigned char **data,
                    size_t *len, char *why);

/* lk_file_read + lk_image_decode. */
lk_err lk_image_load(const char *path, const struct lk_image_opts *opts,
                     struct lk_arena *arena, struct lk_image *out, char *why);

/* Encode RGB as JPEG (TurboJPEG) into lk_malloc'd memory; caller lk_frees. */
lk_err lk_image_encode_jpeg(const struct lk_image *img, int quality,
                            unsigned char **out, size_t *out_len);

/* Binary PPM (P6) of the RGB, for tools that need our exact pixels. */
lk_err lk_image_write_ppm(const struct lk_image *img, const char *path);

/* Draw an axis-aligned rectangle outline, clipped to the image. (x0,y0) and
 * (x1,y1) are opposite corners, both drawn; the lines grow inwards. */
void lk_image_draw_rect(struct lk_image *img, int x0, int y0, int x1, int y1,
                        int thickness, unsigned char r, unsigned char g,
                        unsigned char b);

/* Fill the rectangle with corners (x0,y0) and (x1,y1), both included,
 * clipped to the image. */
void lk_image_fill_rect(struct lk_image *img, int x0, int y0, int x1, int y1,
                        unsigned char r, unsigned char g, unsigned char b);

/* Text in the built-in 5x8 bitmap font (src/image/font.c), each font pixel
 * a scale x scale square (scale 1..LK_IMAGE_FONT_SCALE_MAX; others are
 * clamped). (x, y) is the top left of the first glyph; glyphs advance
 * LK_IMAGE_FONT_ADVANCE * scale; only lit pixels are drawn (put a
 * lk_image_fill_rect behind for a background); clipped to the image. No
 * line breaks. Printable ASCII is drawn as itself; every other character,
 * a UTF-8 sequence counting as one, is a hollow box of the same size.
 * Returns lk_image_text_width(text, scale). */
#define LK_IMAGE_FONT_W 5
#define LK_IMAGE_FONT_H 8
#define LK_IMAGE_FONT_ADVANCE 6      /* a glyph and one column of space */
#define LK_IMAGE_FONT_SCALE_MAX 64
int lk_image_draw_text(struct lk_image *img, int x, int y, const char *text,
                       int scale, unsigned char r, unsigned char g,
                       unsigned char b);

/* The width in pixels lk_image_draw_text covers: glyphs * ADVANCE * scale
 * less the space after the last glyph; 0 for "". The height is
 * LK_IMAGE_FONT_H * scale. */
int lk_image_text_width(const char *text, int scale);

#endif
