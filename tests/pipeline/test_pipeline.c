/* test_pipeline.c - the recognize core on a real gallery: register,
 * recognize (largest first, calibrated confidence), compare, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/pipeline.h"
#include "test.h"

#define LFW LK_TESTDATA "/lfw_small/"

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static char dir[] = "/tmp/lk_pipe_XXXXXX";

static unsigned char *slurp(const char *path, size_t *len)
{
  unsigned char *data = NULL;
  char why[LK_IMAGE_ERRMAX];
  CHECK_MSG(lk_file_read(path, LK_IMAGE_MAX_BYTES, &data, len, why) == LK_OK,
            "%s: %s", path, why);
  return data;
}

static lk_err reg(const char *person, const char *path, int64_t *id)
{
  struct lk_arena *a = lk_arena_create(0);
  char why[LK_PIPELINE_ERRMAX] = "";
  size_t len;
  unsigned char *img = slurp(path, &len);
  lk_err err = lk_pipeline_register(pipe_, person, img, len, NULL, a, id, why);
  lk_free(img);
  lk_arena_destroy(a);
  return err;
}

static void test_calibration(void)
{
  float d, last = 2.0f;
  CHECK_NEAR(lk_pipeline_confidence(pipe_, 0.46f), 0.5, 1e-6);
  CHECK(lk_pipeline_confidence(pipe_, 0.44f) >= 0.67f);
  CHECK(lk_pipeline_confidence(pipe_, 0.45f) > 0.5f);
  CHECK(lk_pipeline_confidence(pipe_, 0.38f) > 0.95f);
  CHECK(lk_pipeline_confidence(pipe_, 0.60f) < 0.01f);
  for(d = 0.0f; d < 1.5f; d += 0.01f) {
    float c = lk_pipeline_confidence(pipe_, d);
    CHECK(c >= 0.0f && c <= 1.0f && c <= last);
    last = c;
  }
}

static void test_register_recognize(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_pipeline_result r;
  char why[LK_PIPELINE_ERRMAX] = "";
  int64_t id1 = 0, id2 = 0, id3 = 0;
  size_t len;
  unsigned char *img;

  CHECK(reg("Tony Blair", LFW "Tony_Blair/Tony_Blair_0001.jpg", &id1) ==
        LK_OK);
  CHECK(reg("Tony Blair", LFW "Tony_Blair/Tony_Blair_0002.jpg", &id2) ==
        LK_OK);
  CHECK(reg("Halle Berry", LFW "Halle_Berry/Halle_Berry_0001.jpg", &id3) ==
        LK_OK);
  CHECK(id1 > 0 && id2 > id1 && id3 > id2);

  img = slurp(LFW "Tony_Blair/Tony_Blair_0003.jpg", &len);
  CHECK(lk_pipeline_recognize(pipe_, img, len, 2, a, &r, why) == LK_OK);
  CHECK(r.n_faces >= 1 && r.width == 250 && r.height == 250);
  if(r.n_faces >= 1 && r.faces[0].n_matches == 2) {
    CHECK(!strcmp(r.faces[0].matches[0].person, "Tony Blair"));
    CHECK(r.faces[0].matches[0].face_id == id1 ||
          r.faces[0].matches[0].face_id == id2);
    CHECK(r.faces[0].matches[0].distance < r.faces[0].matches[1].distance);
    CHECK_MSG(r.faces[0].matches[1].confidence < 0.5f,
              "a stranger at confidence %.3f",
              r.faces[0].matches[1].confidence);
  } else {
    CHECK_MSG(0, "expected 2 candidates");
  }
  lk_free(img);
  lk_arena_destroy(a);
}

/* register_result hands back the detection it stored from: the group
 * photo's largest face, with the stored face's labels. */
static void test_register_result(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_pipeline_result r;
  struct lk_store_face f;
  char why[LK_PIPELINE_ERRMAX] = "";
  const struct lk_box *b;
  int64_t id = 0;
  size_t len;
  unsigned char *img = slurp(LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg", &len);

  CHECK(lk_pipeline_register_result(pipe_, "Group", img, len, NULL, a, &r,
                                    &id, why) == LK_OK);
  CHECK(id > 0 && r.n_faces >= 5 && r.width == 710 && r.height == 473);
  b = &r.faces[0].face.box;
  CHECK(r.n_faces < 2 || (b->x_max - b->x_min) * (b->y_max - b->y_min) >=
        (r.faces[1].face.box.x_max - r.faces[1].face.box.x_min) *
        (r.faces[1].face.box.y_max - r.faces[1].face.box.y_min));
  CHECK(r.faces[0].face.score >= 0.5f && r.faces[0].face.score <= 1.0f);
  CHECK(lk_store_face_get(store, id, 0, a, &f) == LK_OK);
  CHECK(lk_store_distance(f.descriptor, r.faces[0].face.descriptor) == 0);
  CHECK(!strcmp(f.detector, lk_pipeline_detector_label(pipe_)) &&
        !strcmp(f.detector, "ssd"));
  CHECK(!strcmp(f.align, lk_pipeline_align_label(pipe_)) &&
        !strcmp(f.align, "similarity"));
  CHECK(lk_pipeline_person_delete(pipe_, "Group", 0, NULL) == LK_OK);
  lk_free(img);
  lk_arena_destroy(a);
}

/* Several faces come back largest first; a photo without faces is fine
 * for recognize and an error for register. */
static void test_order_and_no_face(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_pipeline_result r;
  char why[LK_PIPELINE_ERRMAX] = "";
  size_t len;
  int i;
  int64_t id;
  unsigned char *img = slurp(LK_TESTDATA "/faceapi_bbt/_group/bbt4.jpg", &len);

  CHECK(lk_pipeline_recognize(pipe_, img, len, 1, a, &r, why) == LK_OK);
  CHECK(r.n_faces >= 5);
  for(i = 1; i < r.n_faces; i++) {
    const struct lk_box *p = &r.faces[i - 1].face.box, *q = &r.faces[i].face.box;
    CHECK((p->x_max - p->x_min) * (p->y_max - p->y_min) >=
          (q->x_max - q->x_min) * (q->y_max - q->y_min));
  }
  lk_free(img);
  img = slurp(LK_TESTDATA "/compreface_samples/_detection/017_0.jpg", &len);
  CHECK(lk_pipeline_recognize(pipe_, img, len, 1, a, &r, why) == LK_OK);
  CHECK(r.n_faces == 0);
  CHECK(lk_pipeline_register(pipe_, "Nobody", img, len, NULL, a, &id, why) ==
        LK_ERR_NO_FACE);
  CHECK(strstr(why, "no face") != NULL);
  lk_free(img);
  lk_arena_destroy(a);
}

static void test_compare_and_errors(void)
{
  struct lk_arena *a = lk_arena_create(0);
  char why[LK_PIPELINE_ERRMAX] = "";
  struct lk_pipeline_result r;
  size_t la, lb, lc;
  unsigned char *x = slurp(LFW "Halle_Berry/Halle_Berry_0002.jpg", &la);
  unsigned char *y = slurp(LFW "Halle_Berry/Halle_Berry_0003.jpg", &lb);
  unsigned char *z = slurp(LK_TESTDATA "/compreface_samples/_formats/"
                           "truncated.jpg", &lc);
  float d = -1;
  int64_t id;

  CHECK(lk_pipeline_compare(pipe_, x, la, y, lb, a, &d, why) == LK_OK);
  CHECK_MSG(d > 0 && d < 0.6f, "same person at %.3f", d);
  CHECK(lk_pipeline_compare(pipe_, x, la, z, lc, a, &d, why) == LK_ERR_IMAGE);
  CHECK(why[0] != '\0');
  CHECK(lk_pipeline_recognize(pipe_, "garbage", 7, 1, a, &r, why) ==
        LK_ERR_IMAGE);
  CHECK(lk_pipeline_register(pipe_, "", x, la, NULL, a, &id, why) ==
        LK_ERR_INVAL);
  CHECK(lk_pipeline_register(pipe_, "x", x, la, "[1,2]", a, &id, why) ==
        LK_ERR_INVAL);
  lk_free(x);
  lk_free(y);
  lk_free(z);
  lk_arena_destroy(a);
}

static int file_exists(const char *path)
{
  return access(path, F_OK) == 0;
}

/* sha256sum's answer for a file, to check the stored hash independently. */
static void sha256sum(const char *path, char out[65])
{
  char cmd[512];
  FILE *f;
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
  f = popen(cmd, "r");
  out[0] = 0;
  CHECK(f && fscanf(f, "%64s", out) == 1);
  if(f)
    pclose(f);
}

/* Register keeps the source image by face id; the pipeline's deletes take
 * it away; the sweep removes files no live face records. */
static void test_kept_images(void)
{
  struct lk_pipeline_config cfg = lk_pipeline_default_config();
  struct lk_pipeline *kp = NULL, *saved = pipe_;
  struct lk_arena *a = lk_arena_create(0);
  struct lk_store_face f;
  const char *png = LK_TESTDATA "/faceapi_bbt/raj/raj1.png";
  const char *jpg = LFW "Tony_Blair/Tony_Blair_0001.jpg";
  const unsigned char *data;
  unsigned char *want;
  const char *type;
  char images[300], path[400], hash[65];
  int64_t id1 = 0, id2 = 0, id3 = 0, n = 0;
  size_t len, want_len;
  FILE *junk;

  snprintf(images, sizeof images, "%s/images", dir);
  CHECK(mkdir(images, 0700) == 0);
  cfg.image_dir = images;
  CHECK(lk_pipeline_create(&kp, engine, store, &cfg) == LK_OK);
  pipe_ = kp;
  CHECK(reg("Keep Raj", png, &id1) == LK_OK);
  CHECK(reg("Keep Tony", jpg, &id2) == LK_OK);
  CHECK(reg("Keep Tony", jpg, &id3) == LK_OK);
  pipe_ = saved;

  /* the bytes as given, with their type and hash */
  CHECK(lk_pipeline_face_image(kp, id1, a, &data, &len, &type) == LK_OK);
  want = slurp(png, &want_len);
  CHECK(len == want_len && !memcmp(data, want, len));
  CHECK(type && !strcmp(type, "image/png"));
  lk_free(want);
  CHECK(lk_pipeline_face_image(kp, id2, a, &data, &len, &type) == LK_OK);
  CHECK(type && !strcmp(type, "image/jpeg"));
  CHECK(lk_store_face_get(store, id1, 0, a, &f) == LK_OK);
  sha256sum(png, hash);
  CHECK_MSG(!strcmp(f.sha256, hash), "%s vs %s", f.sha256, hash);
  CHECK(f.image_path && f.image_path[0]);

  /* a pipeline without image_dir keeps nothing and serves nothing */
  CHECK(lk_pipeline_face_image(saved, id1, a, &data, &len, &type) ==
        LK_ERR_NOT_FOUND);
  CHECK(lk_pipeline_face_image(kp, 987654, a, &data, &len, &type) ==
        LK_ERR_NOT_FOUND);

  /* deletes */
  snprintf(path, sizeof path, "%s/%lld.png", images, (long long)id1);
  CHECK(file_exists(path));
  CHECK(lk_pipeline_face_delete(kp, id1) == LK_OK);
  CHECK(!file_exists(path));
  CHECK(lk_pipeline_face_delete(kp, id1) == LK_ERR_NOT_FOUND);
  CHECK(lk_pipeline_face_image(kp, id1, a, &data, &len, &type) ==
        LK_ERR_NOT_FOUND);
  snprintf(path, sizeof path, "%s/%lld.jpg", images, (long long)id3);
  CHECK(file_exists(path));
  CHECK(lk_pipeline_person_delete(kp, "Keep Tony", 1, &n) == LK_OK);
  CHECK(n == 2 && !file_exists(path));
  CHECK(lk_pipeline_person_delete(kp, "Keep Tony", 0, &n) == LK_OK);
  CHECK(n == 0);
  CHECK(lk_pipeline_person_delete(kp, "Keep Tony", 0, &n) ==
        LK_ERR_NOT_FOUND);

  /* the sweep: orphans and leftovers go, a live face's image stays */
  pipe_ = kp;
  CHECK(reg("Keep Raj", png, &id1) == LK_OK);
  pipe_ = saved;
  snprintf(path, sizeof path, "%s/424242.jpg", images);
  CHECK((junk = fopen(path, "w")) != NULL);
  if(junk)
    fclose(junk);
  /* a temporary file lk_file_write_durable left behind in a crash */
  snprintf(path, sizeof path, "%s/%lld.png.tmp.Ab12Cd", images,
           (long long)id1);
  CHECK((junk = fopen(path, "w")) != NULL);
  if(junk)
    fclose(junk);
  CHECK(lk_pipeline_image_sweep(kp) == 2);
  CHECK(lk_pipeline_face_image(kp, id1, a, &data, &len, &type) == LK_OK);
  CHECK(lk_pipeline_image_sweep(kp) == 0);
  CHECK(lk_pipeline_person_delete(kp, "Keep Raj", 0, NULL) == LK_OK);
  CHECK(lk_pipeline_image_sweep(kp) == 0);
  lk_pipeline_destroy(kp);
  lk_arena_destroy(a);
}

int main(void)
{
  struct lk_pipeline_config cfg = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  char why[512] = "", path[256], cmd[300];
  int rc;

  if(!mkdtemp(dir))
    return 1;
  snprintf(path, sizeof path, "%s/likeness.db", dir);
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &cfg)) {
    fprintf(stderr, "set-up failed: %s\n", why);
    return 1;
  }
  RUN(test_calibration);
  RUN(test_register_recognize);
  RUN(test_register_result);
  RUN(test_order_and_no_face);
  RUN(test_compare_and_errors);
  RUN(test_kept_images);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  rc = test_report();
  return system(cmd) == 0 ? rc : 1;
}
