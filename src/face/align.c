/* align.c - from a detection to the net inputs: the crops face-api.js
 * takes, its landmark post-processing, and our dlib-style aligned chip. */
#include <math.h>
#include <string.h>

#include "face_int.h"

/* Box.clipAtImageBorders followed by floor(). 0 when nothing is left. */
int lk_box_clip(double x, double y, double w, double h, int img_w, int img_h,
                int *cx, int *cy, int *cw, int *ch)
{
  double x0 = fmax(x, 0.0), y0 = fmax(y, 0.0);
  double nw = fmin(x + w - x0, img_w - x0);
  double nh = fmin(y + h - y0, img_h - y0);
  *cx = (int)floor(x0);
  *cy = (int)floor(y0);
  *cw = (int)floor(nw);
  *ch = (int)floor(nh);
  return *cw > 0 && *ch > 0;
}

/* FaceLandmark68NetBase.postProcess (float tensors), then the relative
 * points times the crop size plus the detection's (unfloored) corner. */
void lk_lmk_postprocess(const float *out, int crop_w, int crop_h,
                        double shift_x, double shift_y,
                        float pts[LK_FACE_LANDMARKS][2])
{
  const double scale = (double)LK_LMK_SIZE / (crop_w > crop_h ? crop_w
                                                                : crop_h);
  const float w = (float)(crop_w * scale), h = (float)(crop_h * scale);
  const float pad_x = w < h ? fabsf(w - h) / 2.0f : 0.0f;
  const float pad_y = h < w ? fabsf(w - h) / 2.0f : 0.0f;
  int i;
  for(i = 0; i < LK_FACE_LANDMARKS; i++) {
    float rx = (out[2 * i] * (float)LK_LMK_SIZE - pad_x) / w;
    float ry = (out[2 * i + 1] * (float)LK_LMK_SIZE - pad_y) / h;
    pts[i][0] = (float)((double)rx * crop_w + shift_x);
    pts[i][1] = (float)((double)ry * crop_h + shift_y);
  }
}

static void lk_center(const float pts[][2], int from, int to, double c[2])
{
  int i;
  c[0] = c[1] = 0.0;
  for(i = from; i < to; i++) {
    c[0] += pts[i][0];
    c[1] += pts[i][1];
  }
  c[0] /= to - from;
  c[1] /= to - from;
}

/* FaceLandmarks.alignDlib: eyes and mouth centres give the size and the
 * reference point; relX 0.5, relY 0.43, relScale 0.45. */
void lk_align_faceapi_rect(const float pts[LK_FACE_LANDMARKS][2],
                           int crop_w, int crop_h, double *x, double *y,
                           double *w, double *h)
{
  double le[2], re[2], mo[2], ref[2], dist, size;
  lk_center(pts, 36, 42, le);
  lk_center(pts, 42, 48, re);
  lk_center(pts, 48, 68, mo);
  dist = (hypot(mo[0] - le[0], mo[1] - le[1]) +
          hypot(mo[0] - re[0], mo[1] - re[1])) / 2;
  size = floor(dist / 0.45);
  ref[0] = (le[0] + re[0] + mo[0]) / 3;
  ref[1] = (le[1] + re[1] + mo[1]) / 3;
  *x = floor(fmax(0.0, ref[0] - 0.5 * size));
  *y = floor(fmax(0.0, ref[1] - 0.43 * size));
  *w = fmin(size, crop_w + *x);
  *h = fmin(size, crop_h + *y);
}

/* dlib's 5-point chip template (get_face_chip_details): outer/inner corner
 * of the image-right eye, outer/inner of the image-left eye, nose base,
 * mapped from 68-point indices 45, 42, 36, 39, 33. */
static const double lk_chip_tpl[5][2] = {
  { 0.8595674595992, 0.2134981538014 }, { 0.6460604764104, 0.2289674387677 },
  { 0.1205750620789, 0.2137274526848 }, { 0.3340850613712, 0.2290642403242 },
  { 0.4901123135679, 0.6277975316475 },
};
static const int lk_chip_idx[5] = { 45, 42, 36, 39, 33 };
#define LK_CHIP_PADDING 0.25

/* Least-squares similarity (scale, rotation, shift) mapping chip points to
 * image points: img = [a -b; b a] chip + t. */
static void lk_similarity(const double src[5][2], const double dst[5][2],
                          double *a, double *b, double *tx, double *ty)
{
  double ms[2] = { 0, 0 }, md[2] = { 0, 0 }, num_a = 0, num_b = 0, den = 0;
  int i;
  for(i = 0; i < 5; i++) {
    ms[0] += src[i][0] / 5; ms[1] += src[i][1] / 5;
    md[0] += dst[i][0] / 5; md[1] += dst[i][1] / 5;
  }
  for(i = 0; i < 5; i++) {
    double sx = src[i][0] - ms[0], sy = src[i][1] - ms[1];
    double dx = dst[i][0] - md[0], dy = dst[i][1] - md[1];
    num_a += sx * dx + sy * dy;
    num_b += sx * dy - sy * dx;
    den += sx * sx + sy * sy;
  }
  *a = den > 0 ? num_a / den : 1;
  *b = den > 0 ? num_b / den : 0;
  *tx = md[0] - (*a * ms[0] - *b * ms[1]);
  *ty = md[1] - (*b * ms[0] + *a * ms[1]);
}

static float lk_px(const struct lk_image *img, int x, int y, int ch)
{
  if(x < 0 || y < 0 || x >= img->width || y >= img->height)
    return 0.0f;
  return img->rgb[((size_t)y * (size_t)img->width + (size_t)x) * 3 +
                  (size_t)ch];
}

void lk_align_chip(const struct lk_image *img,
                   const float pts[LK_FACE_LANDMARKS][2],
                   const struct lk_norm *norm, float *dst)
{
  double chip[5][2], src[5][2], a, b, tx, ty;
  const double s = LK_REC_SIZE, pad = LK_CHIP_PADDING;
  int i, r, c, ch;

  for(i = 0; i < 5; i++) {
    chip[i][0] = (pad + lk_chip_tpl[i][0]) / (2 * pad + 1) * s;
    chip[i][1] = (pad + lk_chip_tpl[i][1]) / (2 * pad + 1) * s;
    src[i][0] = pts[lk_chip_idx[i]][0];
    src[i][1] = pts[lk_chip_idx[i]][1];
  }
  lk_similarity(chip, src, &a, &b, &tx, &ty);
  for(r = 0; r < LK_REC_SIZE; r++)
    for(c = 0; c < LK_REC_SIZE; c++) {
      double x = a * c - b * r + tx, y = b * c + a * r + ty;
      int x0 = (int)floor(x), y0 = (int)floor(y);
      float fx = (float)(x - x0), fy = (float)(y - y0);
      for(ch = 0; ch < 3; ch++) {
        float top = lk_px(img, x0, y0, ch) * (1 - fx) +
                    lk_px(img, x0 + 1, y0, ch) * fx;
        float bot = lk_px(img, x0, y0 + 1, ch) * (1 - fx) +
                    lk_px(img, x0 + 1, y0 + 1, ch) * fx;
        float v = top * (1 - fy) + bot * fy;
        *dst++ = (v - norm->sub[ch]) / norm->div;
      }
    }
}
