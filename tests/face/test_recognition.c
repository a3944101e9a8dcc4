/* test_recognition.c - leave-one-out identification on the folder-per-
 * person sets in testdata: each image's largest face is matched to the
 * nearest other image (euclidean, threshold 0.6, as likeness recognize
 * does). Right means the nearest is the same person within 0.6, or
 * "unknown" for a person with no other usable image; an image without a
 * face counts as wrong. Each set has a floor a few points under what was
 * measured when the test was written (numbers beside each floor).
 *
 * Two threads share one engine (n_threads = 1), as likeness encode does. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "face/face.h"
#include "test.h"

#ifndef LK_MODEL_DIR
#define LK_MODEL_DIR ""
#endif

#define REC_MAX_IMAGES 256
#define REC_THREADS 2
#define REC_THRESHOLD 0.6f
#define REC_ARENA ((size_t)1 << 30)   /* some photos are 10+ MP */

struct rec_image {
  char path[512];
  int person;                         /* index into names */
  int found;
  float desc[LK_FACE_DESCRIPTOR_DIM];
};

struct rec_set {
  struct rec_image images[REC_MAX_IMAGES];
  int n_images;
  char names[REC_MAX_IMAGES][128];
  int n_names;
  atomic_int next;
  atomic_int errors;
};

static struct lk_face_engine *rec_eng;
static struct rec_set rec;

static int rec_is_image(const char *name)
{
  static const char *const exts[] = { "jpg", "jpeg", "png", "webp", "bmp" };
  const char *dot = strrchr(name, '.');
  size_t i;
  for(i = 0; dot && i < sizeof exts / sizeof exts[0]; i++) {
    if(!strcasecmp(dot + 1, exts[i]))
      return 1;
  }
  return 0;
}

static int rec_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir accepted by keep, sorted; lk_free each and the array. */
static int rec_list(const char *dir, int (*keep)(const char *path,
                                                 const char *name),
                    char ***out)
{
  char path[1024];
  char **names = lk_calloc(REC_MAX_IMAGES, sizeof *names);
  struct dirent *e;
  DIR *d = opendir(dir);
  int n = 0;

  while(d && names && n < REC_MAX_IMAGES && (e = readdir(d))) {
    int len = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if(len < 0 || (size_t)len >= sizeof path)
      continue;
    if(e->d_name[0] != '.' && keep(path, e->d_name))
      names[n++] = lk_strdup(e->d_name);
  }
  if(d)
    closedir(d);
  if(names)
    qsort(names, (size_t)n, sizeof *names, rec_cmp);
  *out = names;
  return n;
}

static void rec_list_free(char **names, int n)
{
  while(n > 0)
    lk_free(names[--n]);
  lk_free(names);
}

/* Person folders: not "_group" and the like, not files. */
static int rec_keep_person(const char *path, const char *name)
{
  struct stat st;
  return name[0] != '_' && !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int rec_keep_image(const char *path, const char *name)
{
  (void)path;
  return rec_is_image(name);
}

static void rec_load_set(const char *dir)
{
  char pdir[1024], **people, **files;
  int i, k, np, nf;

  memset(&rec, 0, sizeof rec);
  np = rec_list(dir, rec_keep_person, &people);
  for(i = 0; i < np && rec.n_names < REC_MAX_IMAGES; i++) {
    snprintf(rec.names[rec.n_names], sizeof rec.names[0], "%s", people[i]);
    snprintf(pdir, sizeof pdir, "%s/%s", dir, people[i]);
    nf = rec_list(pdir, rec_keep_image, &files);
    for(k = 0; k < nf && rec.n_images < REC_MAX_IMAGES; k++) {
      struct rec_image *im = &rec.images[rec.n_images];
      int len = snprintf(im->path, sizeof im->path, "%s/%s", pdir, files[k]);
      CHECK_MSG(len > 0 && (size_t)len < sizeof im->path, "path too long");
      im->person = rec.n_names;
      rec.n_images++;
    }
    rec_list_free(files, nf);
    rec.n_names++;
  }
  rec_list_free(people, np);
}

static void rec_describe_one(struct rec_image *im, struct lk_arena *arena)
{
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_face_opts fo = lk_face_default_opts();
  struct lk_image img;
  struct lk_face *f;
  char why[LK_IMAGE_ERRMAX];
  float area, best = -1;
  int i, n = 0;

  if(lk_image_load(im->path, &io, arena, &img, why) ||
     lk_face_describe(rec_eng, &img, &fo, arena, &f, &n)) {
    fprintf(stderr, "%s: cannot describe\n", im->path);
    atomic_fetch_add(&rec.errors, 1);
    return;
  }
  for(i = 0; i < n; i++) {
    area = (f[i].box.x_max - f[i].box.x_min) * (f[i].box.y_max - f[i].box.y_min);
    if(area > best) {
      best = area;
      memcpy(im->desc, f[i].descriptor, sizeof im->desc);
      im->found = 1;
    }
  }
}

static void *rec_worker(void *arg)
{
  struct lk_arena *arena = lk_arena_create(REC_ARENA);
  int i;

  (void)arg;
  while((i = atomic_fetch_add(&rec.next, 1)) < rec.n_images) {
    rec_describe_one(&rec.images[i], arena);
    lk_arena_reset(arena);
  }
  lk_arena_destroy(arena);
  return NULL;
}

static void rec_describe_all(void)
{
  pthread_t tid[REC_THREADS];
  int i;
  for(i = 0; i < REC_THREADS; i++)
    CHECK(pthread_create(&tid[i], NULL, rec_worker, NULL) == 0);
  for(i = 0; i < REC_THREADS; i++)
    pthread_join(tid[i], NULL);
}

/* Leave-one-out answer for image i: right or wrong. */
static int rec_right(int i)
{
  const struct rec_image *q = &rec.images[i];
  float d, best = 1e9f;
  int k, at = -1, others = 0;

  if(!q->found)
    return 0;
  for(k = 0; k < rec.n_images; k++) {
    const struct rec_image *c = &rec.images[k];
    if(k == i || !c->found)
      continue;
    others += c->person == q->person;
    d = lk_face_distance(q->desc, c->desc);
    if(d < best) {
      best = d;
      at = k;
    }
  }
  if(at < 0 || best > REC_THRESHOLD)
    return !others;      /* "unknown" is right only for a lone person */
  return rec.images[at].person == q->person;
}

/* Accuracy in % on one set, printed; -1 when the set is missing. */
static double rec_run_set(const char *name)
{
  char dir[512];
  int i, right = 0, missing = 0;
  double acc;

  snprintf(dir, sizeof dir, "%s/%s", LK_TESTDATA, name);
  rec_load_set(dir);
  CHECK_MSG(rec.n_images > 0, "no images under %s", dir);
  if(!rec.n_images)
    return -1;
  rec_describe_all();
  CHECK_MSG(atomic_load(&rec.errors) == 0, "%s: describe failed", name);
  for(i = 0; i < rec.n_images; i++) {
    missing += !rec.images[i].found;
    right += rec_right(i);
  }
  acc = 100.0 * right / rec.n_images;
  printf("%-16s: %3d images, %2d people, %d without a face, %3d right: "
         "%.1f %% at %.1f\n", name, rec.n_images, rec.n_names, missing,
         right, acc, REC_THRESHOLD);
  return acc;
}

static void test_dlib_johns(void)
{
  /* 5 x 11 aligned chips; measured 100 % (55 of 55) */
  double acc = rec_run_set("dlib_johns");
  CHECK_MSG(acc >= 96.0, "accuracy %.1f %%", acc);
}

static void test_face_recognition(void)
{
  /* obama at 4 resolutions, RGBA PNG, partial faces; measured 100 % */
  double acc = rec_run_set("face_recognition");
  CHECK_MSG(acc >= 91.0, "accuracy %.1f %%", acc);
}

static void test_deepface(void)
{
  /* 13 celebrities, 62 photos; measured 100 % */
  double acc = rec_run_set("deepface_tests");
  CHECK_MSG(acc >= 95.0, "accuracy %.1f %%", acc);
}

static void test_faceapi_bbt(void)
{
  /* 150x150 grey crops, found by the refind pass; measured 100 % */
  double acc = rec_run_set("faceapi_bbt");
  CHECK_MSG(acc >= 95.0, "accuracy %.1f %%", acc);
}

int main(void)
{
  struct lk_face_models *m = NULL;
  char why[LK_FACE_ERRMAX] = "";

  if(lk_face_models_load(&m, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&rec_eng, m, 1)) {
    fprintf(stderr, "cannot load the models from %s: %s\n", LK_MODEL_DIR,
            why);
    return 1;
  }
  RUN(test_dlib_johns);
  RUN(test_face_recognition);
  RUN(test_deepface);
  RUN(test_faceapi_bbt);
  lk_face_engine_destroy(rec_eng);
  lk_face_models_free(m);
  return test_report();
}
