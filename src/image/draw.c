/* draw.c - rectangle outlines on an RGB image, for the CLI's annotated
 * output and debugging. */
#include "image/image.h"

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
