/* test_face.c - the engine's geometry and post-processing in isolation
 * (crop windows, box clipping, both NMS flavours, the similarity chip),
 * plus engine behaviour: bad arguments, concurrency, the refind pass. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "face/face_int.h"
#include "test.h"

static struct lk_face_models *models;

static void test_window_centered(void)
{
  struct lk_window w = lk_window_centered(5, 6, 10, 7);
  /* diff 3: round(1.5) = 2 appended (bottom), 1 prepended (top) */
  CHECK(w.side == 10 && w.pad_t == 1 && w.pad_l == 0);
  w = lk_window_centered(0, 0, 4, 8);
  CHECK(w.side == 8 && w.pad_l == 2 && w.pad_t == 0);
  w = lk_window_centered(0, 0, 9, 9);
  CHECK(w.side == 9 && w.pad_l == 0 && w.pad_t == 0);
}

static void test_box_clip(void)
{
  int x, y, w, h;
  CHECK(lk_box_clip(-10.5, 5.7, 50.2, 20.9, 100, 100, &x, &y, &w, &h));
  CHECK(x == 0 && y == 5 && w == 39 && h == 20);
  CHECK(lk_box_clip(90.2, 90.2, 30, 30, 100, 100, &x, &y, &w, &h));
  CHECK(x == 90 && y == 90 && w == 9 && h == 9);
  CHECK(!lk_box_clip(120, 5, 10, 10, 100, 100, &x, &y, &w, &h));
}

/* Fake SSD outputs: anchors are boxes themselves (zero encodings), and
 * chosen anchors get a logit. */
static void test_ssd_nms(void)
{
  static float anchors[LK_SSD_ANCHORS * 4];
  static float box[6][3072 * 4], cls[6][3072 * 3];
  float *bp[6], *cp[6];
  struct lk_ssd_w w;
  struct lk_det d[LK_FACE_MAX_FACES];
  int i, n;
  memset(&w, 0, sizeof w);
  for(i = 0; i < LK_SSD_ANCHORS; i++) {   /* all tiny, far apart */
    anchors[i * 4 + 0] = 0.0f; anchors[i * 4 + 1] = 0.0f;
    anchors[i * 4 + 2] = 0.01f; anchors[i * 4 + 3] = 0.01f;
  }
  /* anchor 0 and 1 overlap heavily, anchor 3100 is elsewhere */
  anchors[0] = 0.1f; anchors[1] = 0.1f; anchors[2] = 0.5f; anchors[3] = 0.5f;
  anchors[4] = 0.12f; anchors[5] = 0.1f; anchors[6] = 0.5f; anchors[7] = 0.5f;
  anchors[3100 * 4 + 0] = 0.6f; anchors[3100 * 4 + 1] = 0.6f;
  anchors[3100 * 4 + 2] = 1.2f; anchors[3100 * 4 + 3] = 0.8f;
  w.anchors = anchors;
  for(i = 0; i < 6; i++) {
    bp[i] = box[i];
    cp[i] = cls[i];
    memset(cls[i], 0, sizeof cls[i]);
    memset(box[i], 0, sizeof box[i]);
  }
  for(i = 0; i < 3072; i++)
    cls[0][i * 3 + 1] = -10.0f;
  for(i = 0; i < 1536; i++)
    cls[1][i * 3 + 1] = -10.0f;
  for(i = 2; i < 6; i++)
    memset(cls[i], 0xc1, sizeof cls[i]);  /* large negative floats */
  cls[0][0 * 3 + 1] = 2.0f;        /* score 0.88 */
  cls[0][1 * 3 + 1] = 3.0f;        /* score 0.95, overlaps anchor 0 */
  cls[1][(3100 - 3072) * 3 + 1] = 1.0f;  /* score 0.73 */
  n = lk_ssd_decode(&w, bp, cp, 0.5f, 100, 1000, 500, d);
  CHECK(n == 2);
  if(n != 2)
    return;
  CHECK_NEAR(d[0].score, 1 / (1 + exp(-3.0)), 1e-6);
  /* 1000x500 image: padded to 1000 square, y scaled by 512/256 = 2 */
  CHECK_NEAR(d[0].x, 0.1 * 1000, 1e-3);
  CHECK_NEAR(d[0].y, 0.12 * 2 * 500, 1e-3);
  CHECK_NEAR(d[1].x, 0.6 * 1000, 1e-3);
  CHECK_NEAR(d[1].h, (1.0 - 0.6) * 2 * 500, 1e-3);   /* clipped at 1.0 */
  CHECK(lk_ssd_decode(&w, bp, cp, 0.5f, 1, 1000, 500, d) == 1);
  CHECK(lk_ssd_decode(&w, bp, cp, 0.9f, 100, 1000, 500, d) == 1);
}

static void test_tiny_nms(void)
{
  static float out[13 * 13 * 5 * 5];
  struct lk_det d[LK_FACE_MAX_FACES];
  int i, n;
  for(i = 0; i < 13 * 13 * 5; i++)
    out[i * 5 + 4] = -10.0f;
  /* two boxes in the same cell (anchors 2 and 3 of cell 6,6: IoU 0.46)
   * and one far away */
  out[((6 * 13 + 6) * 5 + 2) * 5 + 4] = 2.0f;
  out[((6 * 13 + 6) * 5 + 3) * 5 + 4] = 1.0f;
  out[((1 * 13 + 1) * 5 + 1) * 5 + 4] = 0.5f;
  n = lk_tiny_decode(out, 13, 0.5f, 416, 416, 416, d, 100);
  CHECK(n == 2);
  if(n == 2) {
    CHECK_NEAR(d[0].score, 1 / (1 + exp(-2.0)), 1e-6);
    /* centre of cell 6 + sigmoid(0) = 6.5/13 of 416 */
    CHECK_NEAR(d[0].x + d[0].w / 2, 6.5 / 13 * 416, 1e-6);
    CHECK_NEAR(d[0].w, 2.882459 / 13 * 416, 1e-6);
    CHECK(d[1].y < d[0].y);
  }
}

/* dlib's mean face, landmarks 17..67 (the ones the chip uses: 27..54,
 * 60..64), scaled as get_face_chip_details does for a 150 px chip. */
static void template_points(float pts[LK_FACE_LANDMARKS][2], double zoom,
                            double shift)
{
  int i;
  memset(pts, 0, sizeof(float) * LK_FACE_LANDMARKS * 2);
  for(i = 17; i < LK_FACE_LANDMARKS; i++) {
    pts[i][0] = (float)((0.25 + lk_chip_mean_x[i - 17]) / 1.5 * LK_REC_SIZE *
                        zoom + shift);
    pts[i][1] = (float)((0.25 + lk_chip_mean_y[i - 17]) / 1.5 * LK_REC_SIZE *
                        zoom + shift);
  }
}

/* With landmarks exactly on the template the chip is the image itself; on
 * an image twice as large (each pixel a 2x2 block) it is the same chip. */
static void test_align_chip(void)
{
  static unsigned char rgb[LK_REC_SIZE * LK_REC_SIZE * 3];
  static unsigned char big[4 * LK_REC_SIZE * LK_REC_SIZE * 3];
  static float chip[LK_REC_SIZE * LK_REC_SIZE * 3];
  static float scratch[LK_CHIP_GRID * LK_CHIP_GRID * 3];
  float pts[LK_FACE_LANDMARKS][2];
  struct lk_image img;
  struct lk_norm raw = { { 0, 0, 0 }, 1.0f, 0 };
  int i, x, y, bad = 0;

  for(i = 0; i < LK_REC_SIZE * LK_REC_SIZE * 3; i++)
    rgb[i] = (unsigned char)(i * 7 % 251);
  memset(&img, 0, sizeof img);
  img.width = img.height = LK_REC_SIZE;
  img.rgb = rgb;
  template_points(pts, 1.0, 0.0);
  lk_align_chip(&img, pts, &raw, scratch, chip);
  for(i = 0; i < LK_REC_SIZE * LK_REC_SIZE * 3; i++)
    bad += fabsf(chip[i] - rgb[i]) > 0.05f;
  CHECK_MSG(bad == 0, "%d chip values differ from the image", bad);

  for(y = 0; y < 2 * LK_REC_SIZE; y++)
    for(x = 0; x < 2 * LK_REC_SIZE; x++)
      memcpy(big + ((size_t)y * 2 * LK_REC_SIZE + x) * 3,
             rgb + ((size_t)(y / 2) * LK_REC_SIZE + x / 2) * 3, 3);
  img.width = img.height = 2 * LK_REC_SIZE;
  img.rgb = big;
  template_points(pts, 2.0, 0.5);   /* block centres */
  lk_align_chip(&img, pts, &raw, scratch, chip);
  bad = 0;
  for(i = 0; i < LK_REC_SIZE * LK_REC_SIZE * 3; i++)
    bad += fabsf(chip[i] - rgb[i]) > 0.05f;
  CHECK_MSG(bad == 0, "%d values differ on the 2x image", bad);
}

static void test_bad_arguments(void)
{
  struct lk_face_engine *eng = NULL;
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image img;
  struct lk_face *faces;
  struct lk_face_models *m = NULL;
  unsigned char px[3] = { 1, 2, 3 };
  char why[LK_FACE_ERRMAX] = "";
  int n;

  CHECK(lk_face_models_load(&m, "/nonexistent", why) == LK_ERR_MODEL);
  CHECK(m == NULL && strstr(why, "fetch-models") != NULL);
  CHECK(lk_face_engine_create(&eng, models, 0) == LK_ERR_INVAL);
  CHECK(lk_face_engine_create(&eng, models, 1) == LK_OK);
  memset(&img, 0, sizeof img);
  CHECK(lk_face_describe(eng, &img, &o, arena, &faces, &n) == LK_ERR_INVAL);
  img.width = img.height = 1;
  img.rgb = px;
  CHECK(lk_face_describe(eng, &img, &o, arena, &faces, &n) == LK_OK);
  CHECK(n == 0);
  o.min_score = 1.5f;
  CHECK(lk_face_detect(eng, &img, &o, arena, &faces, &n) == LK_ERR_INVAL);
  CHECK(lk_face_opts_check(&o, why) == LK_ERR_INVAL && strstr(why, "score"));
  o = lk_face_default_opts();
  o.tiny_input_size = 100;
  CHECK(lk_face_opts_check(&o, why) == LK_ERR_INVAL);
  lk_face_engine_destroy(eng);
  lk_arena_destroy(arena);
}

struct par {
  struct lk_face_engine *eng;
  const struct lk_image *img;
  float desc[LK_FACE_DESCRIPTOR_DIM];
  int n;
  lk_err err;
};

static void *describe_thread(void *arg)
{
  struct par *p = arg;
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_face *faces;
  int k;
  for(k = 0; k < 3; k++) {
    p->err = lk_face_describe(p->eng, p->img, &o, arena, &faces, &p->n);
    if(p->err || !p->n)
      break;
    memcpy(p->desc, faces[p->n - 1].descriptor, sizeof p->desc);
    lk_arena_reset(arena);
  }
  lk_arena_destroy(arena);
  return NULL;
}

/* One engine, four threads at once: every result identical. Prewarmed
 * for four, the run builds nothing more; with one shared worker (the
 * server's layout) the threads take turns for it and agree too. */
static void concurrent_callers(int max_workers, float *desc0)
{
  struct lk_face_engine *eng;
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_face_opts bad = lk_face_default_opts(), o = bad;
  struct lk_image img;
  struct par p[4];
  pthread_t th[4];
  char why[LK_IMAGE_ERRMAX];
  size_t warm;
  int i;

  CHECK(lk_image_load(LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg", &io, arena,
                      &img, why) == LK_OK);
  CHECK(lk_face_engine_create(&eng, models, 2) == LK_OK);
  lk_face_engine_max_workers(eng, max_workers);
  bad.min_score = 2.0f;
  CHECK(lk_face_engine_prewarm(eng, 4, &bad, NULL) == LK_ERR_INVAL);
  CHECK(lk_face_engine_prewarm(eng, 4, &o, NULL) == LK_OK);
  warm = lk_mem_in_use();
  for(i = 0; i < 4; i++) {
    memset(&p[i], 0, sizeof p[i]);
    p[i].eng = eng;
    p[i].img = &img;
    pthread_create(&th[i], NULL, describe_thread, &p[i]);
  }
  for(i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  for(i = 0; i < 4; i++) {
    CHECK(p[i].err == LK_OK && p[i].n >= 5);
    CHECK(p[i].n == p[0].n);
    CHECK(memcmp(p[i].desc, p[0].desc, sizeof p[0].desc) == 0);
  }
  if(desc0[0] == 0.0f)
    memcpy(desc0, p[0].desc, sizeof p[0].desc);
  CHECK(memcmp(desc0, p[0].desc, sizeof p[0].desc) == 0);
  CHECK_MSG(lk_mem_in_use() == warm, "%zu bytes more after the run",
            lk_mem_in_use() - warm);
  lk_face_engine_destroy(eng);
  lk_arena_destroy(arena);
}

static void test_concurrent_callers(void)
{
  static float desc0[sizeof ((struct par *)0)->desc / sizeof(float)];
  concurrent_callers(0, desc0);
  concurrent_callers(1, desc0);
}

static int describe_file(struct lk_face_engine *eng, const char *path,
                         const struct lk_face_opts *o, struct lk_arena *arena,
                         struct lk_image *img, struct lk_face **faces)
{
  struct lk_image_opts io = lk_image_default_opts();
  char why[LK_IMAGE_ERRMAX];
  int n = -1;
  CHECK_MSG(lk_image_load(path, &io, arena, img, why) == LK_OK, "%s", why);
  CHECK(lk_face_describe(eng, img, o, arena, faces, &n) == LK_OK);
  return n;
}

/* Tight 150x150 face crops: the plain SSD pass finds nothing, the padded
 * second pass finds the face, its box lies in the image, and descriptors
 * of two crops of the same person agree. */
static void test_refind(void)
{
  struct lk_face_engine *eng;
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_image a, b;
  struct lk_face *fa, *fb;
  float d0[LK_FACE_DESCRIPTOR_DIM];
  int n;

  CHECK(lk_face_engine_create(&eng, models, 2) == LK_OK);
  o.refind = 0;
  n = describe_file(eng, LK_TESTDATA "/faceapi_bbt/sheldon/sheldon1.png", &o,
                    arena, &a, &fa);
  CHECK_MSG(n == 0, "the plain pass found %d faces", n);
  o.refind = 1;
  n = describe_file(eng, LK_TESTDATA "/faceapi_bbt/sheldon/sheldon1.png", &o,
                    arena, &a, &fa);
  CHECK(n == 1);
  if(n != 1)
    goto out;
  memcpy(d0, fa[0].descriptor, sizeof d0);
  CHECK(fa[0].refound == 1);
  CHECK(fa[0].box.x_min >= 0 && fa[0].box.y_min >= 0);
  CHECK(fa[0].box.x_max <= a.width && fa[0].box.y_max <= a.height);
  CHECK(fa[0].landmarks[36][0] > 0 && fa[0].landmarks[45][0] < a.width);
  n = describe_file(eng, LK_TESTDATA "/faceapi_bbt/sheldon/sheldon2.png", &o,
                    arena, &b, &fb);
  CHECK(n == 1);
  if(n == 1)
    CHECK_MSG(lk_face_distance(d0, fb[0].descriptor) < 0.6f,
              "same person at distance %.3f",
              lk_face_distance(d0, fb[0].descriptor));
out:
  lk_face_engine_destroy(eng);
  lk_arena_destroy(arena);
}

/* LFW's Joseph_Biden_0002, a 250 px crop: the plain pass finds only a
 * bystander cut by the left edge. With refind the padded pass adds Biden,
 * first (he scores higher), the same person as in Joseph_Biden_0001; the
 * bystander keeps the box and descriptor of the plain pass, and boxes-only
 * detection finds the same two. */
#define LFW_BIDEN LK_TESTDATA "/lfw_small/Joseph_Biden/Joseph_Biden_000"
static void test_refind_edge(void)
{
  struct lk_face_engine *eng;
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_image img, other;
  struct lk_face *plain, *f, *ref, *boxes;
  float cx;
  int n0, n, nr, nb = 0;

  CHECK(lk_face_engine_create(&eng, models, 2) == LK_OK);
  o.refind = 0;
  n0 = describe_file(eng, LFW_BIDEN "2.jpg", &o, arena, &img, &plain);
  CHECK_MSG(n0 == 1, "the plain pass found %d faces", n0);
  o.refind = 1;
  n = describe_file(eng, LFW_BIDEN "2.jpg", &o, arena, &img, &f);
  nr = describe_file(eng, LFW_BIDEN "1.jpg", &o, arena, &other, &ref);
  CHECK(lk_face_detect(eng, &img, &o, arena, &boxes, &nb) == LK_OK);
  CHECK_MSG(n == 2 && nb == 2, "refind found %d faces, %d boxes", n, nb);
  if(n0 != 1 || n != 2 || nr != 1 || nb != 2)
    goto out;
  cx = (f[0].box.x_min + f[0].box.x_max) / 2;
  CHECK(f[0].refound == 1 && f[0].score > 0.9f && f[1].refound == 0);
  CHECK(cx > img.width / 3.0f && cx < img.width * 2 / 3.0f);
  CHECK(lk_face_distance(f[0].descriptor, ref[0].descriptor) < 0.6f);
  CHECK(memcmp(&f[1].box, &plain[0].box, sizeof f[1].box) == 0);
  CHECK(memcmp(f[1].descriptor, plain[0].descriptor,
               sizeof f[1].descriptor) == 0);
  CHECK(memcmp(&boxes[0].box, &f[0].box, sizeof f[0].box) == 0);
  CHECK(memcmp(&boxes[1].box, &f[1].box, sizeof f[1].box) == 0);
out:
  lk_face_engine_destroy(eng);
  lk_arena_destroy(arena);
}

/* A JPEG decoded at half size in the DCT domain gives boxes in the file's
 * pixels, close to the full-size result. */
static void test_dct_scaled_boxes(void)
{
  struct lk_face_engine *eng;
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_image full, half;
  struct lk_face *ff, *fh;
  char why[LK_IMAGE_ERRMAX];
  const char *path = LK_TESTDATA "/compreface_samples/personA/004_A.jpg";
  int nf = 0, nh = 0;

  CHECK(lk_face_engine_create(&eng, models, 2) == LK_OK);
  CHECK(lk_image_load(path, &io, arena, &full, why) == LK_OK);
  io.min_side = 1024;
  CHECK(lk_image_load(path, &io, arena, &half, why) == LK_OK);
  CHECK(half.scale_denom == 2 && half.width * 2 >= full.width - 1);
  CHECK(lk_face_detect(eng, &full, &o, arena, &ff, &nf) == LK_OK);
  CHECK(lk_face_detect(eng, &half, &o, arena, &fh, &nh) == LK_OK);
  CHECK(nf == 1 && nh == 1);
  if(nf == 1 && nh == 1) {
    float tol = 0.05f * (ff[0].box.x_max - ff[0].box.x_min);
    CHECK_NEAR(fh[0].box.x_min, ff[0].box.x_min, tol);
    CHECK_NEAR(fh[0].box.y_max, ff[0].box.y_max, tol);
  }
  lk_face_engine_destroy(eng);
  lk_arena_destroy(arena);
}

/* The SSD skips rows of padding (ssd.c): a landscape image must score
 * exactly as the same pixels on a square canvas (what face-api.js builds,
 * with nothing to skip), whatever ran before. */
static void test_ssd_padding_rows(void)
{
  struct lk_face_engine *eng;
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_image wide, square;
  struct lk_face *a, *b, *c;
  char why[LK_IMAGE_ERRMAX];
  int na = 0, nb = 0, nc = 0, i, y;

  CHECK(lk_face_engine_create(&eng, models, 2) == LK_OK);
  CHECK(lk_image_load(LK_TESTDATA "/faceapi_bbt/_group/bbt3.jpg", &io, arena,
                      &wide, why) == LK_OK);
  square = wide;
  square.height = wide.width;
  square.rgb = lk_arena_calloc(arena, (size_t)wide.width * wide.width * 3);
  for(y = 0; y < wide.height; y++)
    memcpy(square.rgb + (size_t)y * wide.width * 3,
           wide.rgb + (size_t)y * wide.width * 3, (size_t)wide.width * 3);
  o.refind = 0;
  CHECK(lk_face_detect(eng, &wide, &o, arena, &a, &na) == LK_OK);
  CHECK(lk_face_detect(eng, &square, &o, arena, &b, &nb) == LK_OK);
  CHECK(lk_face_detect(eng, &wide, &o, arena, &c, &nc) == LK_OK);
  CHECK(na >= 4 && na == nb && na == nc);
  for(i = 0; i < na && na == nb && na == nc; i++) {
    CHECK(a[i].score == b[i].score && a[i].score == c[i].score);
    CHECK(memcmp(&a[i].box, &c[i].box, sizeof a[i].box) == 0);
    CHECK_NEAR(a[i].box.y_max, b[i].box.y_max, 1.0);
    CHECK_NEAR(a[i].box.x_min, b[i].box.x_min, 1.0);
  }
  lk_face_engine_destroy(eng);
  lk_arena_destroy(arena);
}

/* Raw SSD outputs, all 5118 anchors, with padding rows skipped and with
 * the whole input computed: bit for bit the same, also after another image
 * (a transposed portrait) left its values in the buffers. A portrait run
 * transposed matches the plain whole graph to float rounding. */
enum ssd_way { SSD_WHOLE, SSD_SKIP, SSD_TRANSPOSED };

static int ssd_raw(struct lk_ssd_exec *e, const struct lk_image *img,
                   enum ssd_way way, float *out)
{
  struct lk_window win = { 0, 0, img->width, img->height, 0, 0, 0 };
  int i, n = 0, err;
  win.side = img->width > img->height ? img->width : img->height;
  if(way == SSD_TRANSPOSED) {
    lk_prep_resize_transposed(img, &win, LK_SSD_SIZE, &lk_norm_ssd,
                              lk_ssd_exec_input(e));
    err = lk_ssd_exec_run(e, lk_prep_live_rows(win.side, LK_SSD_SIZE,
                                               img->width), 1);
  } else {
    lk_prep_resize(img, &win, LK_SSD_SIZE, &lk_norm_ssd,
                   lk_ssd_exec_input(e));
    err = lk_ssd_exec_run(e, way == SSD_SKIP
                          ? lk_prep_live_rows(win.side, LK_SSD_SIZE,
                                              img->height)
                          : LK_SSD_SIZE, 0);
  }
  if(err)
    return -1;
  for(i = 0; i < 6; i++) {
    memcpy(out + n, lk_ssd_exec_boxes(e)[i],
           (size_t)lk_ssd_pred_boxes[i] * 4 * sizeof(float));
    n += lk_ssd_pred_boxes[i] * 4;
    memcpy(out + n, lk_ssd_exec_classes(e)[i],
           (size_t)lk_ssd_pred_boxes[i] * 3 * sizeof(float));
    n += lk_ssd_pred_boxes[i] * 3;
  }
  return n;
}

static void test_ssd_raw_outputs(void)
{
  static float full[LK_SSD_ANCHORS * 7], skipped[LK_SSD_ANCHORS * 7];
  const char *const wide_images[] = {
    LK_TESTDATA "/faceapi_bbt/_group/bbt5.jpg",             /* 940x464 */
    LK_TESTDATA "/compreface_samples/_detection/000_5.jpg", /* 819x546 */
  };
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_image img, other;
  struct lk_ssd_exec *e = NULL;
  char why[LK_IMAGE_ERRMAX] = "";
  double worst = 0;
  size_t k;
  int n, i;

  CHECK(lk_ssd_exec_create(&models->ssd, NULL, &e, why) == LK_OK);
  CHECK(lk_image_load(LK_TESTDATA "/face_recognition/obama/obama2.jpg", &io,
                      arena, &other, why) == LK_OK);        /* 626x1200 */
  if(!e)
    goto out;
  for(k = 0; k < sizeof wide_images / sizeof wide_images[0]; k++) {
    CHECK(lk_image_load(wide_images[k], &io, arena, &img, why) == LK_OK);
    n = ssd_raw(e, &img, SSD_WHOLE, full);
    CHECK(ssd_raw(e, &other, SSD_TRANSPOSED, skipped) == n);
    CHECK(ssd_raw(e, &img, SSD_SKIP, skipped) == n);
    for(i = 0; i < n; i++)
      if(memcmp(&full[i], &skipped[i], sizeof(float)))
        break;
    CHECK_MSG(n > 0 && i == n, "%s: output %d of %d differs", wide_images[k],
              i, n);
  }
  /* the portrait, transposed vs whole */
  n = ssd_raw(e, &other, SSD_WHOLE, full);
  CHECK(ssd_raw(e, &other, SSD_TRANSPOSED, skipped) == n);
  for(i = 0; i < n; i++) {
    double d = fabs((double)full[i] - skipped[i]);
    if(d > worst)
      worst = d;
  }
  CHECK_MSG(n > 0 && worst < 1e-4, "transposed differs by %g", worst);
out:
  lk_ssd_exec_destroy(e);
  lk_arena_destroy(arena);
}

int main(void)
{
  char why[LK_FACE_ERRMAX];
  size_t start;
  if(lk_face_models_load(&models, LK_MODEL_DIR, why)) {
    fprintf(stderr, "cannot load models: %s\n", why);
    return 1;
  }
  start = lk_mem_in_use();
  RUN(test_window_centered);
  RUN(test_box_clip);
  RUN(test_ssd_nms);
  RUN(test_tiny_nms);
  RUN(test_align_chip);
  RUN(test_bad_arguments);
  RUN(test_concurrent_callers);
  RUN(test_refind);
  RUN(test_refind_edge);
  RUN(test_dct_scaled_boxes);
  RUN(test_ssd_padding_rows);
  RUN(test_ssd_raw_outputs);
  CHECK_MSG(lk_mem_in_use() == start, "leaked %zu bytes",
            lk_mem_in_use() - start);
  lk_face_models_free(models);
  return test_report();
}
