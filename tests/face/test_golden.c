/* test_golden.c - our engine against face-api.js 1.7.15 on tfjs-wasm.
 *
 * tests/data/golden/{ssd,tiny}.jsonl hold face-api.js's boxes, landmarks
 * and descriptors for images decoded by our decoder (tools/gen-golden.sh).
 * In faceapi align mode every reference face must be found with IoU >= 0.98,
 * mean landmark error <= 1 px and descriptor cosine >= 0.999, and we must not
 * find faces it does not (unless within 0.01 of the score threshold). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "face/face.h"
#include "image/image.h"
#include "test.h"

#define GOLDEN_DIR LK_TESTS_DIR "/data/golden"

struct stats {
  int images, ref_faces, matched;
  double min_iou, max_lmk, min_cos;
};

static struct lk_face_models *models;
static struct lk_face_engine *engine;

static double box_iou(const struct lk_box *a, const double b[4])
{
  double ix = fmax(0, fmin(a->x_max, b[2]) - fmax(a->x_min, b[0]));
  double iy = fmax(0, fmin(a->y_max, b[3]) - fmax(a->y_min, b[1]));
  double inter = ix * iy;
  double ua = (a->x_max - a->x_min) * (a->y_max - a->y_min) +
              (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua > 0 ? inter / ua : 0;
}

static double num(const cJSON *o, const char *k)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void image_path(const char *label, char *out, size_t n)
{
  if(!strncmp(label, "demo/", 5))
    snprintf(out, n, "%s/%s", LK_MODEL_DIR, label);
  else
    snprintf(out, n, "%s/%s", LK_TESTDATA, label);
}

/* Compare one reference face with the best-overlapping face of ours. */
static void check_face(const cJSON *rf, const struct lk_face *faces, int n,
                       const char *label, struct stats *st)
{
  const cJSON *box = cJSON_GetObjectItemCaseSensitive(rf, "box");
  const cJSON *lm = cJSON_GetObjectItemCaseSensitive(rf, "landmarks");
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(rf, "descriptor");
  double b[4], best = -1, err = 0, dot = 0, na = 0, nb = 0, cosv;
  const struct lk_face *f = NULL;
  int i;

  b[0] = num(box, "x_min"); b[1] = num(box, "y_min");
  b[2] = num(box, "x_max"); b[3] = num(box, "y_max");
  for(i = 0; i < n; i++)
    if(box_iou(&faces[i].box, b) > best) {
      best = box_iou(&faces[i].box, b);
      f = &faces[i];
    }
  st->ref_faces++;
  CHECK_MSG(f && best >= 0.98, "%s: reference face at %.0f,%.0f not found "
            "(best IoU %.4f)", label, b[0], b[1], best);
  if(!f || best < 0.98)
    return;
  st->matched++;
  CHECK(cJSON_GetArraySize(lm) == LK_FACE_LANDMARKS &&
        cJSON_GetArraySize(desc) == LK_FACE_DESCRIPTOR_DIM);
  for(i = 0; i < LK_FACE_LANDMARKS; i++) {
    const cJSON *p = cJSON_GetArrayItem(lm, i);
    err += hypot(f->landmarks[i][0] - cJSON_GetArrayItem(p, 0)->valuedouble,
                 f->landmarks[i][1] - cJSON_GetArrayItem(p, 1)->valuedouble);
  }
  err /= LK_FACE_LANDMARKS;
  for(i = 0; i < LK_FACE_DESCRIPTOR_DIM; i++) {
    double r = cJSON_GetArrayItem(desc, i)->valuedouble;
    dot += r * f->descriptor[i];
    na += r * r;
    nb += (double)f->descriptor[i] * f->descriptor[i];
  }
  cosv = dot / sqrt(na * nb);
  CHECK_MSG(err <= 1.0, "%s: landmark error %.3f px", label, err);
  CHECK_MSG(cosv >= 0.999, "%s: descriptor cosine %.6f", label, cosv);
  st->min_iou = fmin(st->min_iou, best);
  st->max_lmk = fmax(st->max_lmk, err);
  st->min_cos = fmin(st->min_cos, cosv);
}

/* Faces of ours that match no reference face must sit at the threshold. */
static void check_extra(const cJSON *refs, const struct lk_face *faces,
                        int n, float min_score, const char *label)
{
  int i;
  for(i = 0; i < n; i++) {
    const cJSON *rf;
    int found = 0;
    cJSON_ArrayForEach(rf, refs) {
      const cJSON *box = cJSON_GetObjectItemCaseSensitive(rf, "box");
      double b[4] = { num(box, "x_min"), num(box, "y_min"),
                      num(box, "x_max"), num(box, "y_max") };
      found |= box_iou(&faces[i].box, b) >= 0.98;
    }
    CHECK_MSG(found || faces[i].score < min_score + 0.01f,
              "%s: extra face with score %.4f", label, faces[i].score);
  }
}

static void check_line(const char *line, struct stats *st)
{
  cJSON *j = cJSON_Parse(line);
  const cJSON *label = cJSON_GetObjectItemCaseSensitive(j, "image");
  const cJSON *refs = cJSON_GetObjectItemCaseSensitive(j, "faces");
  const cJSON *det = cJSON_GetObjectItemCaseSensitive(j, "detector");
  const cJSON *rf;
  struct lk_face_opts o = lk_face_default_opts();
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image img;
  struct lk_face *faces;
  char path[4096], why[LK_IMAGE_ERRMAX];
  int n = 0;

  CHECK(cJSON_IsString(label) && cJSON_IsArray(refs) && cJSON_IsString(det));
  if(!cJSON_IsString(label) || !cJSON_IsArray(refs) || !cJSON_IsString(det))
    goto out;
  o.detector = !strcmp(det->valuestring, "tiny") ? LK_DETECTOR_TINY
                                                 : LK_DETECTOR_SSD;
  o.min_score = (float)num(j, "min_score");
  if(!isnan(num(j, "input_size")))
    o.tiny_input_size = (int)num(j, "input_size");
  o.align = LK_ALIGN_FACEAPI;
  o.refind = 0;
  image_path(label->valuestring, path, sizeof path);
  CHECK_MSG(lk_image_load(path, &io, arena, &img, why) == LK_OK, "%s: %s",
            path, why);
  CHECK(lk_face_describe(engine, &img, &o, arena, &faces, &n) == LK_OK);
  st->images++;
  cJSON_ArrayForEach(rf, refs)
    check_face(rf, faces, n, label->valuestring, st);
  check_extra(refs, faces, n, o.min_score, label->valuestring);
out:
  lk_arena_destroy(arena);
  cJSON_Delete(j);
}

static void run_file(const char *name)
{
  char path[4096], line[1 << 20];
  struct stats st = { 0, 0, 0, 1.0, 0.0, 1.0 };
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
  f = fopen(path, "r");
  CHECK_MSG(f != NULL, "cannot open %s", path);
  if(!f)
    return;
  while(fgets(line, sizeof line, f))
    if(line[0] == '{')
      check_line(line, &st);
  fclose(f);
  CHECK(st.images >= 20 && st.ref_faces >= 40);
  printf("%s: %d images, %d/%d reference faces found, min IoU %.5f, "
         "max landmark error %.4f px, min descriptor cosine %.6f\n", name,
         st.images, st.matched, st.ref_faces, st.min_iou, st.max_lmk,
         st.min_cos);
}

static void test_golden_ssd(void)
{
  run_file("ssd.jsonl");
}

static void test_golden_tiny(void)
{
  run_file("tiny.jsonl");
}

int main(void)
{
  char why[LK_FACE_ERRMAX];
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 2)) {
    fprintf(stderr, "cannot load models: %s\n", why);
    return 1;
  }
  RUN(test_golden_ssd);
  RUN(test_golden_tiny);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  return test_report();
}
