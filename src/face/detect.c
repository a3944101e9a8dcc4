/* detect.c - turn raw detector outputs into face boxes, as face-api.js's
 * SsdMobilenetv1.locateFaces and TinyYolov2Base.detect do, including their
 * own non-maximum suppression (they differ: SSD keeps a box whose score
 * survives against every kept box, tiny YOLO drops boxes by IoU > 0.4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "face_int.h"

#define LK_SSD_IOU 0.5
#define LK_TINY_IOU 0.4

static const double lk_tiny_anchors[LK_TINY_ANCHORS][2] = {
  { 1.603231, 2.094468 }, { 6.041143, 7.080126 }, { 2.882459, 3.518061 },
  { 4.266906, 5.178857 }, { 9.041765, 10.66308 },
};

struct lk_cand {
  float score;
  int index;
};

/* Descending score, ties in index order (JS sort is stable). */
static int lk_cand_desc(const void *a, const void *b)
{
  const struct lk_cand *x = a, *y = b;
  if(x->score != y->score)
    return x->score < y->score ? 1 : -1;
  return x->index - y->index;
}

/* SSD box i as [ymin, xmin, ymax, xmax], decoded in float like tfjs. */
static void lk_ssd_box(const float *anchor, const float *enc, float out[4])
{
  const float h = anchor[2] - anchor[0];
  const float w = anchor[3] - anchor[1];
  const float cy = anchor[0] + h / 2.0f;
  const float cx = anchor[1] + w / 2.0f;
  const float half_h = expf(enc[2] / 5.0f) * h / 2.0f;
  const float mid_y = enc[0] / 10.0f * h + cy;
  const float half_w = expf(enc[3] / 5.0f) * w / 2.0f;
  const float mid_x = enc[1] / 10.0f * w + cx;
  out[0] = mid_y - half_h;
  out[1] = mid_x - half_w;
  out[2] = mid_y + half_h;
  out[3] = mid_x + half_w;
}

static double lk_ssd_iou(const float *a, const float *b)
{
  double ay0 = fmin(a[0], a[2]), ax0 = fmin(a[1], a[3]);
  double ay1 = fmax(a[0], a[2]), ax1 = fmax(a[1], a[3]);
  double by0 = fmin(b[0], b[2]), bx0 = fmin(b[1], b[3]);
  double by1 = fmax(b[0], b[2]), bx1 = fmax(b[1], b[3]);
  double area_a = (ay1 - ay0) * (ax1 - ax0);
  double area_b = (by1 - by0) * (bx1 - bx0);
  double inter;
  if(area_a <= 0 || area_b <= 0)
    return 0.0;
  inter = fmax(fmin(ay1, by1) - fmax(ay0, by0), 0.0) *
          fmax(fmin(ax1, bx1) - fmax(ax0, bx0), 0.0);
  return inter / (area_a + area_b - inter);
}

/* Concatenated predictor outputs: box i's encoding and class logit. */
static void lk_ssd_raw(float *const *box_out, float *const *cls_out, int i,
                       const float **enc, float *logit)
{
  int p = 0;
  while(p < 5 && i >= lk_ssd_pred_boxes[p])
    i -= lk_ssd_pred_boxes[p++];
  *enc = box_out[p] + (size_t)i * 4;
  *logit = cls_out[p][(size_t)i * 3 + 1];
}

int lk_ssd_decode(const struct lk_ssd_w *w, float *const *box_out,
                  float *const *cls_out, float min_score, int max,
                  int img_w, int img_h, struct lk_det *dets)
{
  static __thread struct lk_cand cand[LK_SSD_ANCHORS];
  static __thread float boxes[LK_SSD_ANCHORS][4];
  int sel[LK_FACE_MAX_FACES];
  int i, j, n = 0, kept = 0;
  double side = img_w > img_h ? img_w : img_h;
  double pad_x = LK_SSD_SIZE / round(img_w * (LK_SSD_SIZE / side));
  double pad_y = LK_SSD_SIZE / round(img_h * (LK_SSD_SIZE / side));

  if(max > LK_FACE_MAX_FACES)
    max = LK_FACE_MAX_FACES;
  for(i = 0; i < LK_SSD_ANCHORS; i++) {
    const float *enc;
    float logit, score;
    lk_ssd_raw(box_out, cls_out, i, &enc, &logit);
    score = 1.0f / (1.0f + expf(-logit));
    if(score > min_score) {
      lk_ssd_box(w->anchors + (size_t)i * 4, enc, boxes[n]);
      cand[n].score = score;
      cand[n].index = n;
      n++;
    }
  }
  qsort(cand, (size_t)n, sizeof *cand, lk_cand_desc);
  for(i = 0; i < n && kept < max; i++) {
    int suppressed = 0;
    for(j = kept - 1; j >= 0; j--) {
      double iou = lk_ssd_iou(boxes[cand[i].index], boxes[sel[j]]);
      if(iou > LK_SSD_IOU) {
        suppressed = 1;
        break;
      }
    }
    if(!suppressed)
      sel[kept++] = cand[i].index;
  }
  for(i = 0; i < kept; i++) {
    const float *b = boxes[sel[i]];
    double top = fmax(0.0, b[0]) * pad_y, bottom = fmin(1.0, b[2]) * pad_y;
    double left = fmax(0.0, b[1]) * pad_x, right = fmin(1.0, b[3]) * pad_x;
    dets[i].x = left * img_w;
    dets[i].y = top * img_h;
    dets[i].w = (right - left) * img_w;
    dets[i].h = (bottom - top) * img_h;
    for(j = 0; j < n; j++)
      if(cand[j].index == sel[i])
        dets[i].score = cand[j].score;
  }
  return kept;
}

static double lk_sigmoid(double x)
{
  return 1.0 / (1.0 + exp(-x));
}

struct lk_rbox {
  double x0, y0, x1, y1;
  double score;
};

static double lk_box_iou(const struct lk_rbox *a, const struct lk_rbox *b)
{
  double w = fmax(0.0, fmin(a->x1, b->x1) - fmax(a->x0, b->x0));
  double h = fmax(0.0, fmin(a->y1, b->y1) - fmax(a->y0, b->y0));
  double inter = w * h;
  double area_a = (a->x1 - a->x0) * (a->y1 - a->y0);
  double area_b = (b->x1 - b->x0) * (b->y1 - b->y0);
  return inter / (area_a + area_b - inter);
}

/* ops/nonMaxSuppression: repeatedly take the best, drop IoU > threshold.
 * Boxes are compared at input scale (relative * size) as face-api does. */
static int lk_tiny_nms(struct lk_rbox *b, int n, int size, int *pick, int max)
{
  int alive[13 * 13 * LK_TINY_ANCHORS * 4];
  int i, kept = 0, left = n;
  for(i = 0; i < n; i++)
    alive[i] = 1;
  while(left > 0 && kept < max) {
    int best = -1;
    struct lk_rbox sb, sc;
    for(i = 0; i < n; i++)   /* ties: the later box wins, like pop() */
      if(alive[i] && (best < 0 || b[i].score >= b[best].score))
        best = i;
    pick[kept++] = best;
    alive[best] = 0;
    left--;
    sb.x0 = b[best].x0 * size; sb.y0 = b[best].y0 * size;
    sb.x1 = b[best].x1 * size; sb.y1 = b[best].y1 * size;
    for(i = 0; i < n; i++) {
      if(!alive[i])
        continue;
      sc.x0 = b[i].x0 * size; sc.y0 = b[i].y0 * size;
      sc.x1 = b[i].x1 * size; sc.y1 = b[i].y1 * size;
      if(lk_box_iou(&sb, &sc) > LK_TINY_IOU) {
        alive[i] = 0;
        left--;
      }
    }
  }
  return kept;
}

int lk_tiny_decode(const float *out, int cells, float min_score, int img_w,
                   int img_h, int size, struct lk_det *dets, int max)
{
  static __thread struct lk_rbox boxes[19 * 19 * LK_TINY_ANCHORS];
  int pick[LK_FACE_MAX_FACES];
  double side = img_w > img_h ? img_w : img_h;
  double rw = round(img_w * (size / side)), rh = round(img_h * (size / side));
  double cfx = fmax(rw, rh) / rw, cfy = fmax(rw, rh) / rh;
  int row, col, a, n = 0, kept, i;

  if(max > LK_FACE_MAX_FACES)
    max = LK_FACE_MAX_FACES;
  for(row = 0; row < cells; row++)
    for(col = 0; col < cells; col++)
      for(a = 0; a < LK_TINY_ANCHORS; a++) {
        const float *v = out + (((size_t)row * cells + col) *
                                LK_TINY_ANCHORS + a) * 5;
        double score = lk_sigmoid(v[4]), cx, cy, bw, bh;
        if(score <= min_score)
          continue;
        cx = (col + lk_sigmoid(v[0])) / cells * cfx;
        cy = (row + lk_sigmoid(v[1])) / cells * cfy;
        bw = exp(v[2]) * lk_tiny_anchors[a][0] / cells * cfx;
        bh = exp(v[3]) * lk_tiny_anchors[a][1] / cells * cfy;
        boxes[n].x0 = cx - bw / 2;
        boxes[n].y0 = cy - bh / 2;
        boxes[n].x1 = boxes[n].x0 + bw;
        boxes[n].y1 = boxes[n].y0 + bh;
        boxes[n].score = score;
        n++;
      }
  kept = lk_tiny_nms(boxes, n, size, pick, max);
  for(i = 0; i < kept; i++) {
    const struct lk_rbox *b = &boxes[pick[i]];
    dets[i].x = b->x0 * img_w;
    dets[i].y = b->y0 * img_h;
    dets[i].w = (b->x1 - b->x0) * img_w;
    dets[i].h = (b->y1 - b->y0) * img_h;
    dets[i].score = (float)b->score;
  }
  return kept;
}
