/* prep.c - network inputs exactly as face-api.js builds them.
 *
 * face-api.js pads the image (or a face crop) with zeros to a square, then
 * calls tf.image.resizeBilinear(align_corners=false, half_pixel_centers=
 * false). The arithmetic below is tfjs-backend-wasm's ResizeBilinear kernel,
 * in float, sampling the padded square virtually instead of building it. */
#include <math.h>
#include <string.h>

#include "face_int.h"

const struct lk_norm lk_norm_ssd = { { 1.0f, 1.0f, 1.0f }, 127.5f, 1 };
const struct lk_norm lk_norm_tiny = { { 117.001f, 114.697f, 97.404f },
                                      255.0f, 0 };
const struct lk_norm lk_norm_face = { { 122.782f, 117.001f, 104.298f },
                                      255.0f, 0 };

/* padToSquare(isCenterImage = true): the appended side gets
 * round(diff * 0.5) (Math.round: halves up), the prepended side the rest. */
struct lk_window lk_window_centered(int x, int y, int w, int h)
{
  struct lk_window win;
  int diff = w > h ? w - h : h - w;
  int append = (diff + 1) / 2;
  win.x0 = x;
  win.y0 = y;
  win.w = w;
  win.h = h;
  win.side = w > h ? w : h;
  win.pad_l = w < h ? diff - append : 0;
  win.pad_t = h < w ? diff - append : 0;
  return win;
}

/* Source pixel of the virtual padded square, NULL where it is padding. */
static const unsigned char *lk_src_px(const struct lk_image *img,
                                      const struct lk_window *win, int r,
                                      int c)
{
  int y = r - win->pad_t, x = c - win->pad_l;
  if(y < 0 || x < 0 || y >= win->h || x >= win->w)
    return NULL;
  y += win->y0;
  x += win->x0;
  if(y < 0 || x < 0 || y >= img->height || x >= img->width)
    return NULL;
  return img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
}

static float lk_norm_px(const struct lk_norm *n, float v, int ch)
{
  if(n->div_first)
    return v / n->div - n->sub[ch];
  return (v - n->sub[ch]) / n->div;
}

/* Per output column: the two source columns and the weight. */
struct lk_axis {
  int lo, hi;
  float frac;
};

static void lk_axis_map(int in, int out, struct lk_axis *ax)
{
  const float ratio = (float)in / (float)out;
  const float in_m1 = (float)(in - 1);
  int i;
  for(i = 0; i < out; i++) {
    const float src = ratio * (float)i;
    const float lo = floorf(src);
    ax[i].lo = (int)lo;
    ax[i].frac = src - lo;
    ax[i].hi = (int)fminf(in_m1, ceilf(src));
  }
}

static void lk_fetch(const unsigned char *p, float v[3])
{
  if(p) {
    v[0] = p[0];
    v[1] = p[1];
    v[2] = p[2];
  } else {
    v[0] = v[1] = v[2] = 0.0f;
  }
}

void lk_prep_resize(const struct lk_image *img, const struct lk_window *win,
                    int out, const struct lk_norm *norm, float *dst)
{
  struct lk_axis ax[LK_SSD_SIZE > 640 ? LK_SSD_SIZE : 640];
  int r, c, ch;

  if(out > (int)(sizeof ax / sizeof ax[0]))
    return;
  lk_axis_map(win->side, out, ax);
  for(r = 0; r < out; r++) {
    const struct lk_axis *ry = &ax[r];
    for(c = 0; c < out; c++) {
      const struct lk_axis *cx = &ax[c];
      float tl[3], tr[3], bl[3], br[3];
      lk_fetch(lk_src_px(img, win, ry->lo, cx->lo), tl);
      lk_fetch(lk_src_px(img, win, ry->lo, cx->hi), tr);
      lk_fetch(lk_src_px(img, win, ry->hi, cx->lo), bl);
      lk_fetch(lk_src_px(img, win, ry->hi, cx->hi), br);
      for(ch = 0; ch < 3; ch++) {
        const float top = tl[ch] + (tr[ch] - tl[ch]) * cx->frac;
        const float bottom = bl[ch] + (br[ch] - bl[ch]) * cx->frac;
        const float v = top + (bottom - top) * ry->frac;
        *dst++ = lk_norm_px(norm, v, ch);
      }
    }
  }
}
