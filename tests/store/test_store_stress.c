/* test_store_stress.c - the store under pressure: a writer killed with
 * SIGKILL mid-stream loses nothing it acknowledged; four threads writing
 * at once lose nothing and leave the index equal to the database; every
 * allocation of open, add, update, rename, delete and the reads failing in
 * turn gives LK_ERR_NOMEM, changes nothing and leaks nothing. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "base/log.h"
#include "store_test.h"

/* ---- crash ------------------------------------------------------------- */

static void crash_child(int fd)
{
  struct lk_store *st = NULL;
  int i;
  if(lk_store_open(&st, st_path, NULL, NULL))
    _exit(3);
  for(i = 0; i < 100000; i++) {
    struct lk_store_face_new f;
    float d[LK_STORE_DIM];
    int64_t id;
    memset(&f, 0, sizeof f);
    st_desc2(d, i % 7, i, 0.05f);
    f.person = i % 2 ? "Ada" : "Bob";
    f.descriptor = d;
    f.meta = "{\"n\":1}";
    if(lk_store_face_add(st, &f, &id))
      _exit(4);
    /* acknowledged only once the call has returned */
    if(write(fd, &id, sizeof id) != (ssize_t)sizeof id)
      _exit(5);
  }
  _exit(0);
}

static int read_ids(int fd, int64_t *ids, int max, int stop_at, pid_t child)
{
  int n = 0;
  for(;;) {
    int64_t id;
    ssize_t r = read(fd, &id, sizeof id);
    if(r == 0)
      break;
    if(r != (ssize_t)sizeof id)
      continue;   /* EINTR; 8-byte pipe writes are atomic */
    if(n < max)
      ids[n++] = id;
    if(n == stop_at)
      kill(child, SIGKILL);
  }
  return n;
}

static void test_crash(void)
{
  static int64_t acked[100000];
  struct lk_store_counts c;
  struct lk_store_face f;
  struct lk_store_match *m;
  struct lk_store *st;
  float q[LK_STORE_DIM];
  int fds[2], n, i, status, nm;
  pid_t pid;
  st_begin();
  CHECK(pipe(fds) == 0);
  pid = fork();
  if(!pid) {
    close(fds[0]);
    crash_child(fds[1]);
  }
  close(fds[1]);
  n = read_ids(fds[0], acked, 100000, 150, pid);
  close(fds[0]);
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  CHECK_MSG(n >= 150, "only %d acknowledged", n);
  st = st_open();
  for(i = 0; i < n; i++)
    CHECK_MSG(lk_store_face_get(st, acked[i], 0, arena, &f) == LK_OK,
              "acknowledged face %lld lost", (long long)acked[i]);
  /* at most one more: committed, killed before it was acknowledged */
  CHECK_OK(lk_store_counts(st, &c));
  CHECK_MSG(c.faces == n || c.faces == n + 1, "%lld faces, %d acked",
            (long long)c.faces, n);
  st_desc(q, 0, 0);
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &nm));
  CHECK(nm == c.faces);
  lk_store_close(st);
  st_end();
}

/* ---- threads ----------------------------------------------------------- */

#define WRITERS 4
#define ROUNDS 150

struct writer {
  struct lk_store *st;
  int t;
  int64_t live[ROUNDS];
  int n_live;
  int64_t added[ROUNDS];
  int errors;
};

static void *writer_main(void *arg)
{
  struct writer *w = arg;
  int i, first = 0;
  char name[16];
  snprintf(name, sizeof name, "T%d", w->t);
  for(i = 0; i < ROUNDS; i++) {
    struct lk_store_face_new f;
    float d[LK_STORE_DIM];
    memset(&f, 0, sizeof f);
    st_desc2(d, w->t, i, 0.05f);
    f.person = i % 2 ? name : "shared";
    f.descriptor = d;
    if(lk_store_face_add(w->st, &f, &w->added[i])) {
      w->errors++;
      continue;
    }
    w->live[w->n_live++] = w->added[i];
    if(i % 3 == 2) {
      w->errors += lk_store_face_delete(w->st, w->live[first]) != LK_OK;
      w->live[first++] = 0;
    }
  }
  return NULL;
}

struct reader {
  struct lk_store *st;
  atomic_int *stop;
  int errors;
  long queries;
};

/* Matches, lists and the change feed while the writers run. */
static void *reader_main(void *arg)
{
  struct reader *r = arg;
  struct lk_arena *a = lk_arena_create(64 << 20);
  float q[LK_STORE_DIM];
  while(!atomic_load(r->stop)) {
    struct lk_store_match *m;
    struct lk_store_face *f;
    struct lk_store_person *p;
    int n;
    st_desc2(q, (int)(r->queries % WRITERS), 5, 0.05f);
    r->errors += lk_store_match(r->st, q, 3, 0, a, &m, &n) != LK_OK;
    r->errors += lk_store_face_changes(r->st, 0, 50, a, &f, &n) != LK_OK;
    r->errors += lk_store_person_list(r->st, a, &p, &n) != LK_OK;
    r->queries++;
    lk_arena_reset(a);
  }
  lk_arena_destroy(a);
  return NULL;
}

static int contains(const int64_t *v, int n, int64_t x)
{
  int i;
  for(i = 0; i < n; i++)
    if(v[i] == x)
      return 1;
  return 0;
}

static void check_threads_result(struct lk_store *st, struct writer *w)
{
  static int64_t want[WRITERS * ROUNDS];
  struct lk_store_match *m;
  struct lk_store_face *f;
  struct lk_store_counts c;
  float q[LK_STORE_DIM];
  int nw = 0, t, i, n, nm;
  for(t = 0; t < WRITERS; t++)
    for(i = 0; i < w[t].n_live; i++)
      if(w[t].live[i])
        want[nw++] = w[t].live[i];
  CHECK_OK(lk_store_counts(st, &c));
  CHECK_MSG(c.faces == nw, "%lld faces, want %d", (long long)c.faces, nw);
  CHECK(c.deleted_faces == WRITERS * ROUNDS - nw);
  CHECK_OK(lk_store_face_list(st, NULL, 0, LK_STORE_PAGE_MAX, arena, &f, &n));
  CHECK(n == nw);
  for(i = 0; i < n; i++)
    CHECK(contains(want, nw, f[i].id));
  st_desc(q, 0, 0);
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &nm));
  CHECK(nm == nw);
  for(i = 0; i < nm; i++)
    CHECK(contains(want, nw, m[i].face_id));
}

static void test_threads(void)
{
  static struct writer w[WRITERS];
  struct reader r;
  pthread_t th[WRITERS], rt;
  atomic_int stop = 0;
  struct lk_store *st;
  int t, i, j;
  st_begin();
  st = st_open();
  r.st = st;
  r.stop = &stop;
  r.errors = 0;
  r.queries = 0;
  pthread_create(&rt, NULL, reader_main, &r);
  for(t = 0; t < WRITERS; t++) {
    memset(&w[t], 0, sizeof w[t]);
    w[t].st = st;
    w[t].t = t;
    pthread_create(&th[t], NULL, writer_main, &w[t]);
  }
  for(t = 0; t < WRITERS; t++)
    pthread_join(th[t], NULL);
  atomic_store(&stop, 1);
  pthread_join(rt, NULL);
  for(t = 0; t < WRITERS; t++)
    CHECK_MSG(!w[t].errors, "writer %d: %d errors", t, w[t].errors);
  CHECK(!r.errors && r.queries > 0);
  /* every id handed out once */
  for(t = 0; t < WRITERS; t++)
    for(i = 0; i < ROUNDS; i++)
      for(j = 0; j < t; j++)
        CHECK(!contains(w[j].added, ROUNDS, w[t].added[i]));
  check_threads_result(st, w);
  lk_store_close(st);
  st = st_open();
  check_threads_result(st, w);
  lk_store_close(st);
  st_end();
}

/* ---- allocation failures ----------------------------------------------- */

static void test_fail_open(void)
{
  struct lk_store *st;
  size_t mark;
  long n;
  lk_err err = LK_ERR_NOMEM;
  st_begin();
  st = st_open();
  st_add(st, "Ada", 1, 0);
  st_add(st, "Bob", 2, 0);
  st_add(st, "Bob", 3, 0);
  lk_store_close(st);
  mark = lk_mem_in_use();
  for(n = 1; n < 1000 && err; n++) {
    st = NULL;
    lk_mem_fail_after(n);
    err = lk_store_open(&st, st_path, NULL, NULL);
    lk_mem_fail_after(0);
    if(!err) {
      lk_store_close(st);
      break;
    }
    CHECK_MSG(err == LK_ERR_NOMEM, "allocation %ld: %s", n, lk_strerror(err));
    CHECK(st == NULL);
    CHECK_MSG(lk_mem_in_use() == mark, "allocation %ld: %zu bytes leaked", n,
              lk_mem_in_use() - mark);
  }
  CHECK_MSG(!err && n > 3, "open never succeeded (%ld)", n);
  if(getenv("LK_TEST_VERBOSE"))
    printf("     open: %ld allocations failed in turn\n", n - 1);
  st_end();
}

/* Nothing visible changed: counts, and the index's face count. */
static void state(struct lk_store *st, int64_t out[3])
{
  struct lk_store_counts c;
  struct lk_store_match *m;
  float q[LK_STORE_DIM];
  int n = 0;
  st_desc(q, 0, 0);
  CHECK_OK(lk_store_counts(st, &c));
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &n));
  out[0] = c.people;
  out[1] = c.faces;
  out[2] = n;
}

typedef lk_err (*op_fn)(struct lk_store *st);

/* Run op with allocation 1, 2, ... failing until it succeeds. */
static void fail_each(struct lk_store *st, op_fn op, const char *what)
{
  int64_t before[3], after[3];
  size_t mark;
  long n;
  lk_err err = LK_ERR_NOMEM;
  state(st, before);
  for(n = 1; n < 1000 && err; n++) {
    mark = lk_mem_in_use();
    lk_mem_fail_after(n);
    err = op(st);
    lk_mem_fail_after(0);
    if(!err)
      break;
    CHECK_MSG(err == LK_ERR_NOMEM, "%s, allocation %ld: %s", what, n,
              lk_strerror(err));
    CHECK_MSG(lk_mem_in_use() == mark, "%s, allocation %ld: leak", what, n);
    state(st, after);
    CHECK_MSG(!memcmp(before, after, sizeof before),
              "%s, allocation %ld: state changed", what, n);
  }
  CHECK_MSG(!err && n > 1, "%s never succeeded or never allocated", what);
  if(getenv("LK_TEST_VERBOSE"))
    printf("     %s: %ld allocations failed in turn\n", what, n - 1);
}

static lk_err op_add(struct lk_store *st)
{
  struct lk_store_face_new f;
  float d[LK_STORE_DIM];
  memset(&f, 0, sizeof f);
  st_desc(d, 9, 0);
  f.person = "New person";
  f.descriptor = d;
  f.meta = "{\"user\": {\"id\": 7, \"tags\": [\"a\", \"b\"]}}";
  return lk_store_face_add(st, &f, NULL);
}

static lk_err op_update(struct lk_store *st)
{
  struct lk_store_face_update u;
  float d[LK_STORE_DIM];
  memset(&u, 0, sizeof u);
  st_desc(d, 10, 0);
  u.person = "Another";
  u.descriptor = d;
  u.meta = "{\"x\": [1, 2, 3]}";
  return lk_store_face_update(st, 1, &u);
}

static lk_err op_rename(struct lk_store *st)
{
  return lk_store_person_rename(st, "Bob", "Robert", 0);
}

static lk_err op_merge(struct lk_store *st)
{
  return lk_store_person_rename(st, "Robert", "Ada", LK_STORE_MERGE);
}

static lk_err op_delete(struct lk_store *st)
{
  return lk_store_person_delete(st, "Ada", NULL);
}

/* Reads allocate only from the caller's arena; a fresh arena per try. */
static lk_err op_reads(struct lk_store *st)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_store_match *m;
  struct lk_store_face *f;
  struct lk_store_person *p;
  float q[LK_STORE_DIM];
  int n;
  lk_err err = a ? LK_OK : LK_ERR_NOMEM;
  st_desc(q, 1, 0);
  if(!err)
    err = lk_store_match(st, q, 2, 0, a, &m, &n);
  if(!err)
    err = lk_store_face_changes(st, 0, 100, a, &f, &n);
  if(!err)
    err = lk_store_person_list(st, a, &p, &n);
  lk_arena_destroy(a);
  return err;
}

static void test_fail_writes(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  struct lk_store *st;
  st_begin();
  /* as the server does: cJSON's allocations count and can fail too */
  cJSON_InitHooks(&hooks);
  st = st_open();
  st_add(st, "Ada", 1, 0);
  st_add(st, "Bob", 2, 0);
  st_add(st, "Bob", 3, 0);
  fail_each(st, op_add, "add");
  fail_each(st, op_update, "update");
  fail_each(st, op_rename, "rename");
  fail_each(st, op_merge, "merge");
  fail_each(st, op_delete, "delete person");
  fail_each(st, op_reads, "reads");
  lk_store_close(st);
  cJSON_InitHooks(NULL);
  st_end();   /* checks that nothing leaked */
}

int main(void)
{
  lk_log_set_level(LK_LOG_ERROR);
  RUN(test_crash);
  RUN(test_threads);
  RUN(test_fail_open);
  RUN(test_fail_writes);
  return test_report();
}
