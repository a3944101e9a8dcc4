/* draw.c - rectangles and bitmap text on an RGB image, for the CLI's
 * annotated output and Double Take's annotated "latest" images. */
#include <limits.h>

#include "image_int.h"

/* Fills the inclusive box (x0,y0)-(x1,y1), clipped; corners are in long
 * long so a thickness added to a side cannot overflow. */
static void lk_img_fill(struct lk_image *img, long long x0, long long y0,
                        long long x1, long long y1, const unsigned char c[3])
{
  long long x, y;
  if(x0 < 0)
    x0 = 0;
  if(y0 < 0)
    y0 = 0;
  if(x1 > img->width - 1)
    x1 = img->width - 1;
  if(y1 > img->height - 1)
    y1 = img->height - 1;
  if(x0 > x1 || y0 > y1)
    return;
  for(y = y0; y <= y1; y++) {
    unsigned char *p = img->rgb + ((size_t)y * (size_t)img->width +
                                   (size_t)x0) * 3;
    for(x = x0; x <= x1; x++, p += 3) {
      p[0] = c[0];
      p[1] = c[1];
      p[2] = c[2];
    }
  }
}

void lk_image_draw_rect(struct lk_image *img, int x0, int y0, int x1, int y1,
                        int thickness, unsigned char r, unsigned char g,
                        unsigned char b)
{
  const unsigned char c[3] = { r, g, b };
  long long t = thickness < 1 ? 1 : thickness;
  long long l = x0 < x1 ? x0 : x1, rt = x0 < x1 ? x1 : x0;
  long long top = y0 < y1 ? y0 : y1, bot = y0 < y1 ? y1 : y0;
  if(!img || !img->rgb || img->width <= 0 || img->height <= 0)
    return;
  lk_img_fill(img, l, top, rt, top + t - 1, c);
  lk_img_fill(img, l, bot - t + 1, rt, bot, c);
  lk_img_fill(img, l, top, l + t - 1, bot, c);
  lk_img_fill(img, rt - t + 1, top, rt, bot, c);
}

void lk_image_fill_rect(struct lk_image *img, int x0, int y0, int x1, int y1,
                        unsigned char r, unsigned char g, unsigned char b)
{
  const unsigned char c[3] = { r, g, b };
  if(!img || !img->rgb || img->width <= 0 || img->height <= 0)
    return;
  lk_img_fill(img, x0 < x1 ? x0 : x1, y0 < y1 ? y0 : y1, x0 < x1 ? x1 : x0,
              y0 < y1 ? y1 : y0, c);
}

static int lk_img_font_scale(int scale)
{
  if(scale < 1)
    return 1;
  return scale > LK_IMAGE_FONT_SCALE_MAX ? LK_IMAGE_FONT_SCALE_MAX : scale;
}

/* The glyph of the character starting at *s, moving *s past it: UTF-8
 * continuation bytes belong to the character before them, so "é" is one
 * box, not two. */
static int lk_img_next_glyph(const unsigned char **s)
{
  unsigned char ch = *(*s)++;
  while((**s & 0xC0) == 0x80)
    (*s)++;
  return ch >= 32 && ch < 127 ? ch - 32 : LK_IMG_FONT_BOX;
}

int lk_image_text_width(const char *text, int scale)
{
  const unsigned char *s = (const unsigned char *)text;
  long long n = 0, w;
  if(!text)
    return 0;
  while(*s) {
    lk_img_next_glyph(&s);
    n++;
  }
  scale = lk_img_font_scale(scale);
  w = n ? (n * LK_IMAGE_FONT_ADVANCE - 1) * scale : 0;
  return w > INT_MAX ? INT_MAX : (int)w;
}

static void lk_img_glyph(struct lk_image *img, long long x, long long y,
                         int glyph, int scale, const unsigned char c[3])
{
  int row, col;
  for(row = 0; row < LK_IMAGE_FONT_H; row++)
    for(col = 0; col < LK_IMAGE_FONT_W; col++)
      if(lk_img_font[glyph][row][col] == '#')
        lk_img_fill(img, x + col * scale, y + row * scale,
                    x + (col + 1) * scale - 1, y + (row + 1) * scale - 1, c);
}

int lk_image_draw_text(struct lk_image *img, int x, int y, const char *text,
                       int scale, unsigned char r, unsigned char g,
                       unsigned char b)
{
  const unsigned char c[3] = { r, g, b };
  const unsigned char *s = (const unsigned char *)text;
  long long at = x;
  int k = lk_img_font_scale(scale);
  if(!text)
    return 0;
  while(*s && img && img->rgb && at < img->width) {
    int glyph = lk_img_next_glyph(&s);
    if(at + LK_IMAGE_FONT_W * k > 0)    /* else wholly left of the image */
      lk_img_glyph(img, at, y, glyph, k, c);
    at += LK_IMAGE_FONT_ADVANCE * k;
  }
  return lk_image_text_width(text, scale);
}
