/* test_dt_matches_threads.c - the matches store under threads at once:
 * writers saving, readers listing pages and reading images, a deleter
 * taking rows as they appear and a sweeper sweeping all the while. Every
 * save must succeed, every page be whole, and at the end the files on
 * disk must be exactly those the rows name; a sweep that did not wait for
 * saves between their file and their row would take files and fail
 * this. */
#include <pthread.h>

#include "matches_fixture.h"

static unsigned char *jpg;
static size_t jpg_len;

static struct lk_arena *arena(void)
{
  return lk_arena_create((size_t)64 << 20);
}

static int64_t rows_total(struct lk_dt_matches *m)
{
  struct lk_arena *a = arena();
  struct lk_dt_match_page p;
  CHECK(lk_dt_matches_list(m, NULL, 0, 1, 1, a, &p) == LK_OK);
  lk_arena_destroy(a);
  return p.total;
}

#define WRITERS 4
#define SAVES 25

struct race {
  struct lk_dt_matches *m;
  int done_writers;
  int errors;
  int reads;
  int deleted;
  long swept;
  pthread_mutex_t lock;
};

static void *writer(void *arg)
{
  struct race *r = arg;
  struct lk_dt_match_face f[2] = { mf_face("ada", 90, 1, 50, 50),
                                   mf_face("unknown", 20, 0, 50, 50) };
  char file[LK_DT_MATCHES_FILE_SIZE], why[LK_DT_MATCHES_ERRMAX];
  struct lk_dt_match_new row = mf_row("ev", "cam", "latest", f, 2, jpg,
                                      jpg_len);
  int64_t id;
  int i, bad = 0;
  for(i = 0; i < SAVES; i++) {
    row.n_faces = i % 3;
    bad += lk_dt_matches_save(r->m, &row, &id, file, why) != LK_OK;
  }
  pthread_mutex_lock(&r->lock);
  r->errors += bad;
  r->done_writers++;
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

static int writers_done(struct race *r)
{
  int d;
  pthread_mutex_lock(&r->lock);
  d = r->done_writers == WRITERS;
  pthread_mutex_unlock(&r->lock);
  return d;
}

/* Lists pages while the writers run: each page is whole (rows as many as
 * the snapshot's total allows, each with its faces and a readable file),
 * and the total of rows with "ada" (which the deleter leaves alone) never
 * goes down. */
static int read_once(struct lk_dt_matches *m, struct lk_arena *a,
                     int64_t *last_total)
{
  static const char *const ada[] = { "ada" };
  struct lk_dt_match_filter f;
  struct lk_dt_match_page p;
  const unsigned char *data;
  size_t len;
  int bad = 0, i;

  memset(&f, 0, sizeof f);
  f.names = ada;
  f.n_names = 1;
  lk_arena_reset(a);
  if(lk_dt_matches_list(m, NULL, 0, 1, 10, a, &p) ||
     p.n != (p.total < 10 ? (int)p.total : 10))
    return 1;
  if(lk_dt_matches_list(m, &f, 0, 1, 10, a, &p) || p.total < *last_total ||
     p.n != (p.total < 10 ? (int)p.total : 10))
    return 1;
  *last_total = p.total;
  for(i = 0; i < p.n; i++) {
    bad += p.rows[i].n_faces < 1 || strcmp(p.rows[i].faces[0].name, "ada");
    bad += lk_dt_matches_image(m, p.rows[i].filename, a, &data, &len) ||
           len != jpg_len;
  }
  return bad;
}

static void *reader(void *arg)
{
  struct race *r = arg;
  struct lk_arena *a = arena();
  int64_t last = 0;
  int bad = 0, n = 0;
  do {
    bad += read_once(r->m, a, &last);
    n++;
  } while(!writers_done(r));
  lk_arena_destroy(a);
  pthread_mutex_lock(&r->lock);
  r->errors += bad;
  r->reads += n;
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

/* Deletes the rows without faces as they appear. */
static void *deleter(void *arg)
{
  struct race *r = arg;
  struct lk_arena *a = arena();
  struct lk_dt_match_page p;
  int64_t ids[20];
  int bad = 0, gone = 0, n, i, k;
  do {
    lk_arena_reset(a);
    bad += lk_dt_matches_list(r->m, NULL, 0, 1, 20, a, &p) != LK_OK;
    for(i = k = 0; i < p.n; i++)
      if(!p.rows[i].n_faces)
        ids[k++] = p.rows[i].id;
    n = 0;
    bad += lk_dt_matches_delete(r->m, ids, k, &n) != LK_OK;
    gone += n;
  } while(!writers_done(r));
  lk_arena_destroy(a);
  pthread_mutex_lock(&r->lock);
  r->errors += bad;
  r->deleted += gone;
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

/* Sweeps while saves are between their file and their row: without the
 * files lock, a sweep would take files whose rows are about to commit.
 * It may take the file of a row the deleter removed a moment before the
 * deleter does: those are the only files it may take. */
static void *sweeper(void *arg)
{
  struct race *r = arg;
  long n, gone = 0;
  int bad = 0;
  do {
    n = 0;
    bad += lk_dt_matches_sweep(r->m, &n) != LK_OK;
    gone += n;
  } while(!writers_done(r));
  pthread_mutex_lock(&r->lock);
  r->errors += bad;
  r->swept += gone;
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

static void test_threads(void)
{
  struct race r;
  pthread_t w[WRITERS], rd[3], sw, del;
  int i;

  memset(&r, 0, sizeof r);
  pthread_mutex_init(&r.lock, NULL);
  r.m = mf_open();
  for(i = 0; i < WRITERS; i++)
    pthread_create(&w[i], NULL, writer, &r);
  for(i = 0; i < 3; i++)
    pthread_create(&rd[i], NULL, reader, &r);
  pthread_create(&sw, NULL, sweeper, &r);
  pthread_create(&del, NULL, deleter, &r);
  for(i = 0; i < WRITERS; i++)
    pthread_join(w[i], NULL);
  for(i = 0; i < 3; i++)
    pthread_join(rd[i], NULL);
  pthread_join(sw, NULL);
  pthread_join(del, NULL);
  printf("     %d saves, %d deletes, %d reads at once\n", WRITERS * SAVES,
         r.deleted, r.reads);
  CHECK(r.errors == 0);
  CHECK(r.deleted > 0 && r.deleted <= WRITERS * ((SAVES + 2) / 3));
  CHECK(r.swept <= r.deleted);
  CHECK(rows_total(r.m) == WRITERS * SAVES - r.deleted);
  CHECK(mf_disk_matches_rows(r.m));
  lk_dt_matches_close(r.m);
  pthread_mutex_destroy(&r.lock);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  mf_setup();
  jpg = mf_jpeg(64, 48, 128, 128, 128, &jpg_len);
  RUN(test_threads);
  lk_free(jpg);
  mf_teardown();
  CHECK_MSG(lk_mem_in_use() == start, "%zu bytes still allocated",
            lk_mem_in_use() - start);
  return test_report();
}
