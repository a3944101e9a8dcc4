/* store_test.h - what the store tests share: a temporary folder holding a
 * real SQLite file, deterministic descriptors, and a few checks. */
#ifndef LK_STORE_TEST_H
#define LK_STORE_TEST_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"
#include "store/store.h"
#include "test.h"

#define CHECK_OK(expr) do { \
    lk_err e_ = (expr); \
    CHECK_MSG(e_ == LK_OK, "%s", lk_strerror(e_)); \
  } while(0)

#define CHECK_ERR(expr, want) do { \
    lk_err e_ = (expr); \
    CHECK_MSG(e_ == (want), "got %s, want %s", lk_strerror(e_), \
              lk_strerror(want)); \
  } while(0)

static char st_dir[256];
static char st_path[300];

/* A fresh folder and the database path inside it. */
static inline void st_setup(void)
{
  const char *tmp = getenv("TMPDIR");
  snprintf(st_dir, sizeof st_dir, "%s/lk_store_XXXXXX", tmp ? tmp : "/tmp");
  if(!mkdtemp(st_dir)) {
    perror("mkdtemp");
    exit(2);
  }
  snprintf(st_path, sizeof st_path, "%s/gallery.db", st_dir);
}

/* Names of the files left in the folder, for checks that a name never
 * became a path. */
static inline int st_dir_entries(void)
{
  DIR *d = opendir(st_dir);
  struct dirent *e;
  int n = 0;
  if(!d)
    return -1;
  while((e = readdir(d)))
    if(strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(d);
  return n;
}

static inline void st_teardown(void)
{
  DIR *d = opendir(st_dir);
  struct dirent *e;
  char p[600];
  if(!d)
    return;
  while((e = readdir(d))) {
    if(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(p, sizeof p, "%s/%s", st_dir, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(st_dir);
}

/* Deterministic descriptors: a person's base vector plus small noise, so
 * faces of one person are near each other and far from everyone else. The
 * same (person, sample) always gives the same floats. */
static _Thread_local uint64_t st_rng;   /* one per writer thread */

static inline float st_rand(void)
{
  st_rng ^= st_rng << 13;
  st_rng ^= st_rng >> 7;
  st_rng ^= st_rng << 17;
  return (float)((st_rng >> 11) * (1.0 / 9007199254740992.0)) - 0.5f;
}

static inline void st_desc2(float *d, int person, int sample, float noise)
{
  int i;
  st_rng = 0x9e3779b97f4a7c15u * (uint64_t)(person + 1);
  for(i = 0; i < LK_STORE_DIM; i++)
    d[i] = st_rand() * 0.2f;
  st_rng = 0xbf58476d1ce4e5b9u * (uint64_t)(sample + 1) + (uint64_t)person;
  for(i = 0; i < LK_STORE_DIM; i++)
    d[i] += st_rand() * noise;
}

static inline void st_desc(float *d, int seed, float noise)
{
  st_desc2(d, seed, 0, noise);
}

static inline double st_ref_dist(const float *a, const float *b)
{
  double s = 0;
  int i;
  for(i = 0; i < LK_STORE_DIM; i++)
    s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  return sqrt(s);
}

/* Each test starts with a fresh folder and arena and must end with the
 * allocator back where it started. */
static struct lk_arena *arena;
static size_t st_mem;

static inline void st_begin(void)
{
  st_mem = lk_mem_in_use();
  arena = lk_arena_create(256 << 20);
  st_setup();
}

static inline void st_end(void)
{
  st_teardown();
  lk_arena_destroy(arena);
  arena = NULL;
  CHECK_MSG(lk_mem_in_use() == st_mem, "%zu bytes leaked",
            lk_mem_in_use() - st_mem);
}

static struct lk_store *st_open(void)
{
  struct lk_store *st = NULL;
  char why[LK_STORE_ERRMAX];
  lk_err err = lk_store_open(&st, st_path, NULL, why);
  CHECK_MSG(err == LK_OK, "open: %s (%s)", lk_strerror(err), why);
  return st;
}

static inline int64_t st_add(struct lk_store *st, const char *person, int seed,
                      float noise)
{
  struct lk_store_face_new f;
  float d[LK_STORE_DIM];
  int64_t id = 0;
  memset(&f, 0, sizeof f);
  st_desc(d, seed, noise);
  f.person = person;
  f.descriptor = d;
  CHECK_OK(lk_store_face_add(st, &f, &id));
  return id;
}

#endif
