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

/* dlib's mean face (get_face_chip_details): average positions of the 68
 * landmarks 17..67 in a unit square. Its 68-point chip uses the nose, eyes
 * and upper mouth (27..54, 60..64), skipping brows and the lower lip. */
const double lk_chip_mean_x[51] = {
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483,
  0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127,
  0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122,
  0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132,
  0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127,
  0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532,
  0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364,
  0.490127, 0.42689,
};
const double lk_chip_mean_y[51] = {
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
  0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625,
  0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758,
  0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758,
  0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578,
  0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192,
  0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182,
  0.831803, 0.824182,
};
#define LK_CHIP_PADDING 0.25   /* dlib's face recognition example */
#define LK_CHIP_MAX_POINTS 51

static int lk_chip_uses(int i)
{
  return i >= 27 && !(i >= 55 && i <= 59) && !(i >= 65 && i <= 67);
}

/* Least-squares similarity (scale, rotation, shift) mapping chip points to
 * image points: img = [a -b; b a] chip + t. */
static void lk_similarity(const double (*src)[2], const double (*dst)[2],
                          int n, double *a, double *b, double *tx, double *ty)
{
  double ms[2] = { 0, 0 }, md[2] = { 0, 0 }, num_a = 0, num_b = 0, den = 0;
  int i;
  for(i = 0; i < n; i++) {
    ms[0] += src[i][0] / n; ms[1] += src[i][1] / n;
    md[0] += dst[i][0] / n; md[1] += dst[i][1] / n;
  }
  for(i = 0; i < n; i++) {
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

/* The image area a chip covers, averaged down by k x k pixels, so a large
 * face is filtered before it is sampled (as dlib's pyramid does) rather
 * than aliased down to 150 px. */
struct lk_grid {
  float *px;         /* w * h * 3, zeros outside the image */
  int w, h, k;
  int ox, oy;        /* image pixel of grid cell (0,0)'s first pixel */
};

static void lk_grid_fill(const struct lk_image *img, struct lk_grid *g)
{
  const float inv = 1.0f / (float)(g->k * g->k);
  int gx, gy, x, y, ch;
  for(gy = 0; gy < g->h; gy++)
    for(gx = 0; gx < g->w; gx++) {
      float sum[3] = { 0, 0, 0 };
      for(y = g->oy + gy * g->k; y < g->oy + (gy + 1) * g->k; y++) {
        const unsigned char *row;
        if(y < 0 || y >= img->height)
          continue;
        row = img->rgb + (size_t)y * (size_t)img->width * 3;
        for(x = g->ox + gx * g->k; x < g->ox + (gx + 1) * g->k; x++)
          if(x >= 0 && x < img->width)
            for(ch = 0; ch < 3; ch++)
              sum[ch] += row[(size_t)x * 3 + (size_t)ch];
      }
      for(ch = 0; ch < 3; ch++)
        g->px[((size_t)gy * g->w + gx) * 3 + (size_t)ch] = sum[ch] * inv;
    }
}

/* Grid covering the image points that chip corners map to, plus a margin
 * for the bilinear neighbours. 0 if it would not fit the scratch. */
static int lk_grid_place(struct lk_grid *g, double a, double b, double tx,
                         double ty, double side, int k)
{
  double xs[4], ys[4], x0, x1, y0, y1;
  int i;
  xs[0] = tx;                 ys[0] = ty;
  xs[1] = a * side + tx;      ys[1] = b * side + ty;
  xs[2] = -b * side + tx;     ys[2] = a * side + ty;
  xs[3] = xs[1] + xs[2] - tx; ys[3] = ys[1] + ys[2] - ty;
  x0 = x1 = xs[0];
  y0 = y1 = ys[0];
  for(i = 1; i < 4; i++) {
    x0 = fmin(x0, xs[i]); x1 = fmax(x1, xs[i]);
    y0 = fmin(y0, ys[i]); y1 = fmax(y1, ys[i]);
  }
  g->k = k;
  g->ox = (int)floor(x0) - 2 * k;
  g->oy = (int)floor(y0) - 2 * k;
  g->w = (int)ceil((x1 - g->ox) / k) + 3;
  g->h = (int)ceil((y1 - g->oy) / k) + 3;
  return g->w <= LK_CHIP_GRID && g->h <= LK_CHIP_GRID;
}

/* Offset of grid cell (x, y), or -1 outside the grid (reads as zero). */
static long lk_grid_at(const struct lk_grid *g, int x, int y)
{
  if(x < 0 || y < 0 || x >= g->w || y >= g->h)
    return -1;
  return ((long)y * g->w + x) * 3;
}

static void lk_grid_sample(const struct lk_grid *g, double gx, double gy,
                           float out[3])
{
  static const float zero[3] = { 0, 0, 0 };
  int x0 = (int)floor(gx), y0 = (int)floor(gy), ch;
  float fx = (float)(gx - x0), fy = (float)(gy - y0);
  long o00 = lk_grid_at(g, x0, y0), o10 = lk_grid_at(g, x0 + 1, y0);
  long o01 = lk_grid_at(g, x0, y0 + 1), o11 = lk_grid_at(g, x0 + 1, y0 + 1);
  const float *p00 = o00 < 0 ? zero : g->px + o00;
  const float *p10 = o10 < 0 ? zero : g->px + o10;
  const float *p01 = o01 < 0 ? zero : g->px + o01;
  const float *p11 = o11 < 0 ? zero : g->px + o11;
  for(ch = 0; ch < 3; ch++) {
    float top = p00[ch] + (p10[ch] - p00[ch]) * fx;
    float bot = p01[ch] + (p11[ch] - p01[ch]) * fx;
    out[ch] = top + (bot - top) * fy;
  }
}

void lk_align_chip(const struct lk_image *img,
                   const float pts[LK_FACE_LANDMARKS][2],
                   const struct lk_norm *norm, float *scratch, float *dst)
{
  double chip[LK_CHIP_MAX_POINTS][2], src[LK_CHIP_MAX_POINTS][2];
  double a, b, tx, ty, half;
  const double s = LK_REC_SIZE, pad = LK_CHIP_PADDING;
  struct lk_grid g;
  int i, n = 0, r, c, ch, k;

  for(i = 17; i < LK_FACE_LANDMARKS; i++) {
    if(!lk_chip_uses(i))
      continue;
    chip[n][0] = (pad + lk_chip_mean_x[i - 17]) / (2 * pad + 1) * s;
    chip[n][1] = (pad + lk_chip_mean_y[i - 17]) / (2 * pad + 1) * s;
    src[n][0] = pts[i][0];
    src[n][1] = pts[i][1];
    n++;
  }
  lk_similarity(chip, src, n, &a, &b, &tx, &ty);
  k = (int)fmax(1.0, floor(hypot(a, b)));
  while(!lk_grid_place(&g, a, b, tx, ty, s, k))
    k++;    /* a degenerate, huge transform: coarser grid */
  g.px = scratch;
  lk_grid_fill(img, &g);
  half = (k - 1) / 2.0;
  for(r = 0; r < LK_REC_SIZE; r++)
    for(c = 0; c < LK_REC_SIZE; c++) {
      float v[3];
      lk_grid_sample(&g, (a * c - b * r + tx - g.ox - half) / k,
                     (b * c + a * r + ty - g.oy - half) / k, v);
      for(ch = 0; ch < 3; ch++)
        *dst++ = (v[ch] - norm->sub[ch]) / norm->div;
    }
}
