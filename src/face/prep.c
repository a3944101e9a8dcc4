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

static float lk_norm_px(const struct lk_norm *n, float v, int ch)
{
  if(n->div_first)
    return v / n->div - n->sub[ch];
  return (v - n->sub[ch]) / n->div;
}

/* Per output row or column: the two source indices of the padded square,
 * each mapped to an image row/column (-1 where it falls in the padding),
 * and the interpolation weight. */
struct lk_axis {
  int lo, hi;
  float frac;
};

/* Square index i to image index, or -1 in the padding. */
static int lk_src_index(int i, int pad, int len, int origin, int limit)
{
  int v = i - pad;
  if(v < 0 || v >= len)
    return -1;
  v += origin;
  return v >= 0 && v < limit ? v : -1;
}

static void lk_axis_map(int in, int out, int pad, int len, int origin,
                        int limit, struct lk_axis *ax)
{
  const float ratio = (float)in / (float)out;
  const float in_m1 = (float)(in - 1);
  int i;
  for(i = 0; i < out; i++) {
    const float src = ratio * (float)i;
    const float lo = floorf(src);
    ax[i].frac = src - lo;
    ax[i].lo = lk_src_index((int)lo, pad, len, origin, limit);
    ax[i].hi = lk_src_index((int)fminf(in_m1, ceilf(src)), pad, len, origin,
                            limit);
  }
}

static void lk_fetch(const unsigned char *row, int x, float v[3])
{
  if(row && x >= 0) {
    const unsigned char *p = row + (size_t)x * 3;
    v[0] = p[0];
    v[1] = p[1];
    v[2] = p[2];
  } else {
    v[0] = v[1] = v[2] = 0.0f;
  }
}

static const unsigned char *lk_row(const struct lk_image *img, int y)
{
  return y < 0 ? NULL : img->rgb + (size_t)y * (size_t)img->width * 3;
}

#define LK_PREP_MAX 640   /* largest net input side */

int lk_prep_live_rows(int side, int out, int h)
{
  const float ratio = (float)side / (float)out;
  int r;
  for(r = 0; r < out; r++)
    if((int)floorf(ratio * (float)r) >= h)
      return r;
  return out;
}

/* Output pixel (r, c) goes to dst[(r * out + c) * 3], or with transposed
 * to dst[(c * out + r) * 3]: the same values either way. */
static void lk_resize(const struct lk_image *img, const struct lk_window *win,
                      int out, const struct lk_norm *norm, float *dst,
                      int transposed)
{
  struct lk_axis ry[LK_PREP_MAX], cx[LK_PREP_MAX];
  const size_t step = transposed ? (size_t)out * 3 : 3;
  int r, c, ch;

  if(out > LK_PREP_MAX)
    return;
  lk_axis_map(win->side, out, win->pad_t, win->h, win->y0, img->height, ry);
  lk_axis_map(win->side, out, win->pad_l, win->w, win->x0, img->width, cx);
  for(r = 0; r < out; r++) {
    const unsigned char *top_row = lk_row(img, ry[r].lo);
    const unsigned char *bot_row = lk_row(img, ry[r].hi);
    float *px = dst + (transposed ? (size_t)r * 3 : (size_t)r * out * 3);
    for(c = 0; c < out; c++, px += step) {
      float tl[3], tr[3], bl[3], br[3];
      lk_fetch(top_row, cx[c].lo, tl);
      lk_fetch(top_row, cx[c].hi, tr);
      lk_fetch(bot_row, cx[c].lo, bl);
      lk_fetch(bot_row, cx[c].hi, br);
      for(ch = 0; ch < 3; ch++) {
        const float top = tl[ch] + (tr[ch] - tl[ch]) * cx[c].frac;
        const float bottom = bl[ch] + (br[ch] - bl[ch]) * cx[c].frac;
        const float v = top + (bottom - top) * ry[r].frac;
        px[ch] = lk_norm_px(norm, v, ch);
      }
    }
  }
}

void lk_prep_resize(const struct lk_image *img, const struct lk_window *win,
                    int out, const struct lk_norm *norm, float *dst)
{
  lk_resize(img, win, out, norm, dst, 0);
}

void lk_prep_resize_transposed(const struct lk_image *img,
                               const struct lk_window *win, int out,
                               const struct lk_norm *norm, float *dst)
{
  lk_resize(img, win, out, norm, dst, 1);
}
