/* matches_fixture.h - what the matches store's tests share: a data folder
 * under /tmp removed afterwards, a clock the test moves, JPEGs made in
 * memory, rows to save, and the check that the files on disk are exactly
 * the files the rows name. Header-only, for tests. */
#ifndef LK_TEST_MATCHES_FIXTURE_H
#define LK_TEST_MATCHES_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dt/dt_matches.h"
#include "image/image.h"
#include "test.h"

#define MF_T0 1700000000.0          /* the fake clock's start, Unix s */

static char mf_dir[] = "/tmp/lk_dtm_XXXXXX";
static double mf_clock = MF_T0;

static inline double mf_now(void *ctx)
{
  (void)ctx;
  return mf_clock;
}

static inline struct lk_dt_matches_opts mf_opts(void)
{
  struct lk_dt_matches_opts o = lk_dt_matches_default_opts();
  o.now = mf_now;
  o.readers = 3;
  return o;
}

static inline struct lk_dt_matches *mf_open(void)
{
  struct lk_dt_matches_opts o = mf_opts();
  struct lk_dt_matches *m = NULL;
  char why[LK_DT_MATCHES_ERRMAX] = "";
  CHECK_MSG(lk_dt_matches_open(&m, mf_dir, &o, why) == LK_OK, "%s", why);
  return m;
}

static inline void mf_path(char *buf, size_t size, const char *sub,
                           const char *name)
{
  snprintf(buf, size, "%s/%s/%s", mf_dir, sub, name);
}

static inline int mf_exists(const char *sub, const char *name)
{
  char p[512];
  mf_path(p, sizeof p, sub, name);
  return access(p, F_OK) == 0;
}

/* Write bytes to DATA/sub/name, as a crash could have left them. */
static inline void mf_put(const char *sub, const char *name, const char *s)
{
  char p[512];
  FILE *f;
  mf_path(p, sizeof p, sub, name);
  f = fopen(p, "w");
  CHECK(f != NULL);
  if(f) {
    fputs(s, f);
    fclose(f);
  }
}

/* A w x h JPEG of one colour, lk_malloc'd. */
static inline unsigned char *mf_jpeg(int w, int h, unsigned char r,
                                     unsigned char g, unsigned char b,
                                     size_t *len)
{
  struct lk_image img;
  unsigned char *px = lk_malloc((size_t)w * (size_t)h * 3), *out = NULL;
  size_t i;
  memset(&img, 0, sizeof img);
  img.width = w;
  img.height = h;
  img.rgb = px;
  for(i = 0; px && i < (size_t)w * (size_t)h; i++) {
    px[i * 3] = r;
    px[i * 3 + 1] = g;
    px[i * 3 + 2] = b;
  }
  *len = 0;
  CHECK(px && lk_image_encode_jpeg(&img, 90, &out, len) == LK_OK);
  lk_free(px);
  return out;
}

/* A row as an event worker would save it; faces and zones point at the
 * caller's arrays. */
static inline struct lk_dt_match_new mf_row(const char *event,
                                            const char *camera,
                                            const char *type,
                                            const struct lk_dt_match_face *f,
                                            int n, const unsigned char *jpg,
                                            size_t len)
{
  struct lk_dt_match_new r;
  memset(&r, 0, sizeof r);
  r.event_id = event;
  r.camera = camera;
  r.type = type;
  r.faces = f;
  r.n_faces = n;
  r.duration = 0.25;
  r.attempt = 1;
  r.result = "{\"id\":\"x\",\"matches\":[]}";
  r.image = jpg;
  r.image_len = len;
  return r;
}

static inline struct lk_dt_match_face mf_face(const char *name, double conf,
                                              int match, int w, int h)
{
  struct lk_dt_match_face f;
  memset(&f, 0, sizeof f);
  f.detector = "compreface";
  f.name = name;
  f.confidence = conf;
  f.match = match;
  f.left = 10;
  f.top = 20;
  f.width = w;
  f.height = h;
  return f;
}

static inline int mf_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every file in DATA/matches is named by exactly one row and every row's
 * file is there: the store's central promise. */
static inline int mf_disk_matches_rows(struct lk_dt_matches *m)
{
  struct lk_arena *a = lk_arena_create((size_t)256 << 20);
  struct lk_dt_match_page p;
  const char **rows = NULL, **files = NULL;
  int n_rows = 0, n_files = 0, page = 1, ok = 1, i;
  char path[512];
  struct dirent *e;
  DIR *d;

  do {
    if(lk_dt_matches_list(m, NULL, 0, page++, 1000, a, &p))
      return 0;
    rows = realloc(rows, (size_t)(n_rows + p.n + 1) * sizeof *rows);
    for(i = 0; i < p.n; i++)
      rows[n_rows++] = p.rows[i].filename;
  } while(p.n == 1000);
  snprintf(path, sizeof path, "%s/matches", mf_dir);
  d = opendir(path);
  while(d && (e = readdir(d))) {
    if(e->d_name[0] == '.')
      continue;
    files = realloc(files, (size_t)(n_files + 1) * sizeof *files);
    files[n_files++] = strdup(e->d_name);
  }
  if(d)
    closedir(d);
  if(n_rows)
    qsort(rows, (size_t)n_rows, sizeof *rows, mf_cmp);
  if(n_files)
    qsort(files, (size_t)n_files, sizeof *files, mf_cmp);
  ok = n_rows == n_files;
  for(i = 0; ok && i < n_rows; i++)
    ok = !strcmp(rows[i], files[i]);
  for(i = 0; i < n_files; i++)
    free((void *)files[i]);
  free(files);
  free(rows);
  lk_arena_destroy(a);
  return ok;
}

static inline void mf_setup(void)
{
  CHECK(mkdtemp(mf_dir) != NULL);
}

static inline void mf_teardown(void)
{
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", mf_dir);
  CHECK(system(cmd) == 0);
}

/* Start over in a new, empty data folder. */
static inline void mf_fresh(void)
{
  mf_teardown();
  memcpy(mf_dir + strlen(mf_dir) - 6, "XXXXXX", 6);
  mf_setup();
}

#endif
