/* test_lfw.c - LFW-style verification on lfw_small/pairs_small.txt (250
 * same + 250 different pairs over 125 images): accuracy at the usual 0.6
 * threshold and with a threshold chosen by 10-fold cross-validation, for
 * both descriptor crops. face-api.js reports 99.38 % on full LFW for this
 * descriptor net, but on this subset face-api.js itself (tools/faceapi-ref,
 * whose output the faceapi crop matches to 1e-5) scores 96.4 % at 0.6: its
 * SSD finds only a bystander in Joseph_Biden_0002 (4 pairs; our refind
 * pass adds Biden), and the different-person pairs among four East Asian
 * politicians fall at 0.48-0.61, 5 of 7 below 0.6, whatever the crop. The
 * floors sit under the measured figures so that a broken crop or descriptor
 * (which costs far more than a few pairs) fails, and so does each mode
 * without Biden (96.6 / 96.2, 97.2 / 96.8 and 96.4 / 97.0 %).
 *
 * Every image is described once per crop by two threads sharing one
 * engine (n_threads = 1), as a server would. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "face/face.h"
#include "test.h"

#ifndef LK_MODEL_DIR
#define LK_MODEL_DIR ""
#endif

#define LFW_DIR LK_TESTDATA "/lfw_small"
#define LFW_MAX_IMAGES 256
#define LFW_MAX_PAIRS 1000
#define LFW_FOLDS 10
#define LFW_THREADS 2
#define LFW_ARENA ((size_t)256 << 20)   /* 250x250 images: ample */

struct lfw_image {
  char path[512];
  int found;                          /* a face was detected */
  float desc[LK_FACE_DESCRIPTOR_DIM]; /* of the largest face */
};

struct lfw_pair {
  int a, b;    /* indices into images */
  int same;
};

struct lfw {
  struct lfw_image images[LFW_MAX_IMAGES];
  int n_images;
  struct lfw_pair pairs[LFW_MAX_PAIRS];
  int n_pairs;
  /* the describe pass */
  struct lk_face_engine *eng;
  struct lk_face_opts opts;
  atomic_int next;
  atomic_int errors;
};

static struct lfw lfw;

/* Index of name's image number num, added on first sight. */
static int lfw_image_index(const char *name, int num)
{
  char path[512];
  int i;

  snprintf(path, sizeof path, "%s/%s/%s_%04d.jpg", LFW_DIR, name, name, num);
  for(i = 0; i < lfw.n_images; i++) {
    if(!strcmp(lfw.images[i].path, path))
      return i;
  }
  if(lfw.n_images == LFW_MAX_IMAGES)
    return -1;
  snprintf(lfw.images[i].path, sizeof lfw.images[i].path, "%s", path);
  return lfw.n_images++;
}

/* "name<TAB>i<TAB>j" (same) or "name1<TAB>i<TAB>name2<TAB>j" (different). */
static int lfw_read_pairs(void)
{
  char line[512], n1[128], n2[128];
  int i, j, header;
  FILE *f = fopen(LFW_DIR "/pairs_small.txt", "r");

  if(!f)
    return -1;
  header = 1;
  while(fgets(line, sizeof line, f) && lfw.n_pairs < LFW_MAX_PAIRS) {
    struct lfw_pair *p = &lfw.pairs[lfw.n_pairs];
    if(header) {        /* "1<TAB>250": folds and pairs per class */
      header = 0;
      continue;
    }
    if(sscanf(line, "%127s %d %d", n1, &i, &j) == 3) {
      p->a = lfw_image_index(n1, i);
      p->b = lfw_image_index(n1, j);
      p->same = 1;
    }
    else if(sscanf(line, "%127s %d %127s %d", n1, &i, n2, &j) == 4) {
      p->a = lfw_image_index(n1, i);
      p->b = lfw_image_index(n2, j);
      p->same = 0;
    }
    else
      continue;
    if(p->a < 0 || p->b < 0)
      break;
    lfw.n_pairs++;
  }
  fclose(f);
  return 0;
}

/* Largest box: LFW centres the named person, and a bystander in the
 * background is smaller. */
static int lfw_largest(const struct lk_face *f, int n)
{
  float best = -1;
  int i, at = -1;
  for(i = 0; i < n; i++) {
    float area = (f[i].box.x_max - f[i].box.x_min) *
                 (f[i].box.y_max - f[i].box.y_min);
    if(area > best) {
      best = area;
      at = i;
    }
  }
  return at;
}

static void lfw_describe_one(struct lfw_image *im, struct lk_arena *arena)
{
  struct lk_image img;
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_face *faces;
  char why[LK_IMAGE_ERRMAX];
  int n = 0, at;

  im->found = 0;
  if(lk_image_load(im->path, &io, arena, &img, why) ||
     lk_face_describe(lfw.eng, &img, &lfw.opts, arena, &faces, &n)) {
    fprintf(stderr, "%s: cannot describe\n", im->path);
    atomic_fetch_add(&lfw.errors, 1);
    return;
  }
  at = lfw_largest(faces, n);
  if(at < 0)
    return;
  im->found = 1;
  memcpy(im->desc, faces[at].descriptor, sizeof im->desc);
}

static void *lfw_worker(void *arg)
{
  struct lk_arena *arena = lk_arena_create(LFW_ARENA);
  int i;

  (void)arg;
  while((i = atomic_fetch_add(&lfw.next, 1)) < lfw.n_images) {
    lfw_describe_one(&lfw.images[i], arena);
    lk_arena_reset(arena);
  }
  lk_arena_destroy(arena);
  return NULL;
}

static void lfw_describe_all(enum lk_align align, int flip)
{
  pthread_t tid[LFW_THREADS];
  int i;

  lfw.opts = lk_face_default_opts();
  lfw.opts.align = align;
  lfw.opts.flip = flip;
  atomic_store(&lfw.next, 0);
  atomic_store(&lfw.errors, 0);
  for(i = 0; i < LFW_THREADS; i++)
    CHECK(pthread_create(&tid[i], NULL, lfw_worker, NULL) == 0);
  for(i = 0; i < LFW_THREADS; i++)
    pthread_join(tid[i], NULL);
}

/* Correct answers among the pairs of fold (or not of fold when !in_fold;
 * fold -1 takes all pairs) at threshold t; *n gets the number judged. A
 * pair with an image without a face counts as wrong. */
static int lfw_correct(const float *dist, float t, int fold, int in_fold,
                       int *n)
{
  int i, right = 0;
  *n = 0;
  for(i = 0; i < lfw.n_pairs; i++) {
    if(fold >= 0 && (i % LFW_FOLDS == fold) != in_fold)
      continue;
    (*n)++;
    if(dist[i] >= 0 && (dist[i] <= t) == lfw.pairs[i].same)
      right++;
  }
  return right;
}

/* The threshold scoring best on the other folds (0.2..1.0, 0.001 steps);
 * ties keep the lowest. */
static float lfw_train(const float *dist, int fold)
{
  float t, best_t = 0.6f;
  int k, right, best = -1, n;

  for(k = 200; k <= 1000; k++) {
    t = (float)k / 1000.0f;
    right = lfw_correct(dist, t, fold, 0, &n);
    if(right > best) {
      best = right;
      best_t = t;
    }
  }
  return best_t;
}

struct lfw_result {
  int misses;            /* images without a face */
  double acc06;          /* % at threshold 0.6 */
  double acc_cv;         /* % over the folds, each at its trained threshold */
  double t_cv;           /* mean trained threshold */
};

static struct lfw_result lfw_evaluate(enum lk_align align, int flip)
{
  struct lfw_result r = { 0, 0, 0, 0 };
  float dist[LFW_MAX_PAIRS];
  int i, n, right = 0, judged = 0;

  lfw_describe_all(align, flip);
  for(i = 0; i < lfw.n_images; i++)
    r.misses += !lfw.images[i].found;
  for(i = 0; i < lfw.n_pairs; i++) {
    const struct lfw_image *a = &lfw.images[lfw.pairs[i].a];
    const struct lfw_image *b = &lfw.images[lfw.pairs[i].b];
    dist[i] = a->found && b->found ? lk_face_distance(a->desc, b->desc) : -1;
  }
  r.acc06 = 100.0 * lfw_correct(dist, 0.6f, -1, 1, &n) / n;
  for(i = 0; i < LFW_FOLDS; i++) {
    float t = lfw_train(dist, i);
    right += lfw_correct(dist, t, i, 1, &n);
    judged += n;
    r.t_cv += t / LFW_FOLDS;
  }
  r.acc_cv = 100.0 * right / judged;
  return r;
}

static void lfw_report(const char *mode, const struct lfw_result *r)
{
  printf("lfw_small %-10s: %d pairs, %d/%d images without a face, "
         "accuracy %.1f %% at 0.6, %.1f %% at the 10-fold threshold "
         "(mean %.3f)\n", mode, lfw.n_pairs, r->misses, lfw.n_images,
         r->acc06, r->acc_cv, r->t_cv);
}

static void test_lfw_pairs(void)
{
  CHECK(lfw_read_pairs() == 0);
  CHECK_MSG(lfw.n_pairs == 500, "%d pairs", lfw.n_pairs);
  CHECK_MSG(lfw.n_images == 125, "%d images", lfw.n_images);
}

/* The default crop: every image has a face (refind is on); measured 97.4 %
 * at 0.6 and 97.4 % at the 10-fold threshold. */
static void test_lfw_similarity(void)
{
  struct lfw_result r = lfw_evaluate(LK_ALIGN_SIMILARITY, 0);
  lfw_report("similarity", &r);
  CHECK(atomic_load(&lfw.errors) == 0);
  CHECK_MSG(r.misses == 0, "%d images without a face", r.misses);
  CHECK_MSG(r.acc06 >= 96.8, "accuracy %.1f %% at 0.6", r.acc06);
  CHECK_MSG(r.acc_cv >= 96.8, "10-fold accuracy %.1f %%", r.acc_cv);
}

/* The similarity chip averaged with its mirror image: measured 98.0 % at
 * 0.6 and 97.6 % at the 10-fold threshold. */
static void test_lfw_similarity_flip(void)
{
  struct lfw_result r = lfw_evaluate(LK_ALIGN_SIMILARITY, 1);
  lfw_report("sim+flip", &r);
  CHECK(atomic_load(&lfw.errors) == 0);
  CHECK_MSG(r.misses == 0, "%d images without a face", r.misses);
  CHECK_MSG(r.acc06 >= 97.4, "accuracy %.1f %% at 0.6", r.acc06);
  CHECK_MSG(r.acc_cv >= 97.0, "10-fold accuracy %.1f %%", r.acc_cv);
}

/* face-api.js's own crop (with our refind pass): measured 97.2 % at 0.6,
 * 97.8 % 10-fold. */
static void test_lfw_faceapi(void)
{
  struct lfw_result r = lfw_evaluate(LK_ALIGN_FACEAPI, 0);
  lfw_report("faceapi", &r);
  CHECK(atomic_load(&lfw.errors) == 0);
  CHECK_MSG(r.misses == 0, "%d images without a face", r.misses);
  CHECK_MSG(r.acc06 >= 96.6, "accuracy %.1f %% at 0.6", r.acc06);
  CHECK_MSG(r.acc_cv >= 97.2, "10-fold accuracy %.1f %%", r.acc_cv);
}

int main(void)
{
  struct lk_face_models *m = NULL;
  char why[LK_FACE_ERRMAX] = "";

  if(lk_face_models_load(&m, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&lfw.eng, m, 1)) {
    fprintf(stderr, "cannot load the models from %s: %s\n", LK_MODEL_DIR,
            why);
    return 1;
  }
  RUN(test_lfw_pairs);
  if(lfw.n_pairs) {
    RUN(test_lfw_similarity);
    RUN(test_lfw_similarity_flip);
    RUN(test_lfw_faceapi);
  }
  lk_face_engine_destroy(lfw.eng);
  lk_face_models_free(m);
  return test_report();
}
