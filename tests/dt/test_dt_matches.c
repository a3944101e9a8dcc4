/* test_dt_matches.c - Double Take's matches store on real SQLite files and
 * real folders: saving (file before row, clean failures), reading back,
 * /api/match's filters and paging, deletes, the age purge on a moved
 * clock, the sweep after a crash, names that must never reach the file
 * system, the schema's owner and version. Threads at once are in
 * test_dt_matches_threads.c, latest images in test_dt_latest.c. */
#include <sqlite3.h>

#include "base/log.h"
#include "matches_fixture.h"

static unsigned char *jpg;        /* 64 x 48 grey, for every row */
static size_t jpg_len;

static struct lk_arena *arena(void)
{
  return lk_arena_create((size_t)64 << 20);
}

static int64_t save(struct lk_dt_matches *m, const char *camera,
                    const char *type, const struct lk_dt_match_face *f,
                    int n, char *file)
{
  struct lk_dt_match_new r = mf_row("ev", camera, type, f, n, jpg, jpg_len);
  char why[LK_DT_MATCHES_ERRMAX] = "", name[LK_DT_MATCHES_FILE_SIZE];
  int64_t id = 0;
  CHECK_MSG(lk_dt_matches_save(m, &r, &id, file ? file : name, why) ==
            LK_OK, "%s", why);
  return id;
}

static void test_open_layout(void)
{
  struct lk_dt_matches_opts o = mf_opts();
  struct lk_dt_matches *m = mf_open(), *m2 = NULL;
  char why[LK_DT_MATCHES_ERRMAX], path[512];
  struct stat sb;

  CHECK(m != NULL);
  snprintf(path, sizeof path, "%s/matches.db", mf_dir);
  CHECK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode));
  mf_path(path, sizeof path, "matches", "");
  CHECK(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
        (sb.st_mode & 0777) == 0700);
  mf_path(path, sizeof path, "latest", "");
  CHECK(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
  lk_dt_matches_close(m);
  m = mf_open();                         /* reopens an existing store */
  CHECK(m != NULL);
  lk_dt_matches_close(m);
  lk_dt_matches_close(NULL);

  o.readers = 0;
  CHECK(lk_dt_matches_open(&m2, mf_dir, &o, why) == LK_ERR_INVAL &&
        strstr(why, "readers"));
  o = mf_opts();
  CHECK(lk_dt_matches_open(&m2, "", &o, why) == LK_ERR_INVAL && !m2);
  CHECK(lk_dt_matches_open(&m2, "/proc/lk_no/such", &o, why) ==
        LK_ERR_IO && strstr(why, "/proc/lk_no"));
}

/* A database that is someone else's, or from a newer likeness, is refused
 * and left untouched. */
static void test_schema_owner(void)
{
  char dir[256], path[512], why[LK_DT_MATCHES_ERRMAX] = "";
  struct lk_dt_matches_opts o = mf_opts();
  struct lk_dt_matches *m = NULL;
  sqlite3 *db;

  snprintf(dir, sizeof dir, "%s/other", mf_dir);
  CHECK(mkdir(dir, 0700) == 0);
  snprintf(path, sizeof path, "%s/matches.db", dir);
  CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "CREATE TABLE people(id)", NULL, NULL, NULL) == 0);
  sqlite3_close(db);
  CHECK(lk_dt_matches_open(&m, dir, &o, why) == LK_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(why, "not a likeness matches database"), "%s", why);

  /* ours, but from a future schema */
  m = mf_open();
  lk_dt_matches_close(m);
  m = NULL;
  snprintf(path, sizeof path, "%s/matches.db", mf_dir);
  CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == 0);
  sqlite3_close(db);
  CHECK(lk_dt_matches_open(&m, mf_dir, &o, why) == LK_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(why, "newer"), "%s", why);
  CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL) == 0);
  sqlite3_close(db);
  m = mf_open();
  CHECK(m != NULL);
  lk_dt_matches_close(m);
}

static void test_save_and_get(void)
{
  struct lk_dt_matches *m = mf_open();
  struct lk_arena *a = arena();
  struct lk_dt_match_face f[3] = {
    mf_face("ada", 91.5, 1, 120, 130), mf_face("unknown", 30, 0, 40, 40),
    mf_face("ada", 70, 0, 50, 60)
  };
  const char *zones[] = { "yard", "driveway" };
  struct lk_dt_match_new r = mf_row("1607123955.475377-mxklsc", "front_door",
                                    "snapshot", f, 3, jpg, jpg_len);
  char file[LK_DT_MATCHES_FILE_SIZE], why[LK_DT_MATCHES_ERRMAX];
  struct lk_dt_match g;
  const unsigned char *data;
  size_t len;
  int64_t id = 0;

  r.zones = zones;
  r.n_zones = 2;
  r.attempt = 3;
  r.duration = 0.42;
  r.result = "{\"matches\":[{\"name\":\"ada\"}], \"k\": [1, 2.5]}";
  mf_clock = MF_T0 + 12.5;
  CHECK(lk_dt_matches_save(m, &r, &id, file, why) == LK_OK && id > 0);
  CHECK(lk_dt_matches_filename_ok(file) && mf_exists("matches", file));
  CHECK(file[14] == '4');                      /* a version 4 UUID */
  CHECK(lk_dt_matches_image(m, file, a, &data, &len) == LK_OK);
  CHECK(len == jpg_len && !memcmp(data, jpg, len));   /* bytes as given */

  CHECK(lk_dt_matches_get(m, id, a, &g) == LK_OK);
  CHECK(g.id == id && !strcmp(g.filename, file));
  CHECK(!strcmp(g.event_id, "1607123955.475377-mxklsc"));
  CHECK(!strcmp(g.camera, "front_door") && !strcmp(g.type, "snapshot"));
  CHECK(g.n_zones == 2 && !strcmp(g.zones[0], "yard") &&
        !strcmp(g.zones[1], "driveway"));
  CHECK(g.n_faces == 3 && !strcmp(g.faces[1].name, "unknown"));
  CHECK(g.faces[0].match && !g.faces[2].match);
  CHECK(g.faces[0].width == 120 && g.faces[0].height == 130 &&
        g.faces[0].left == 10 && g.faces[0].top == 20);
  CHECK(!strcmp(g.faces[0].detector, "compreface"));
  CHECK(g.n_names == 2 && !strcmp(g.names[0], "ada") &&
        !strcmp(g.names[1], "unknown"));
  CHECK(g.has_match && g.best_confidence == 91.5);
  CHECK(g.width == 64 && g.height == 48);       /* read from the JPEG */
  CHECK(g.attempt == 3 && g.duration == 0.42);
  CHECK(!strcmp(g.result, r.result));           /* verbatim */
  CHECK(g.created_at == MF_T0 + 12.5);

  memset(&g, 0, sizeof g);
  CHECK(lk_dt_matches_get_file(m, file, a, &g) == LK_OK && g.id == id &&
        g.n_faces == 3);
  CHECK(lk_dt_matches_get(m, id + 100, a, &g) == LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_get_file(m, "00000000-0000-4000-8000-000000000000.jpg",
                               a, &g) == LK_ERR_NOT_FOUND);

  /* no faces, no zones: a row all the same */
  r = mf_row("e2", "back", "latest", NULL, 0, jpg, jpg_len);
  CHECK(lk_dt_matches_save(m, &r, &id, file, why) == LK_OK);
  CHECK(lk_dt_matches_get(m, id, a, &g) == LK_OK && g.n_faces == 0 &&
        g.n_names == 0 && g.n_zones == 0 && !g.has_match &&
        g.best_confidence == 0);
  CHECK(mf_disk_matches_rows(m));
  lk_arena_destroy(a);
  lk_dt_matches_close(m);
}

static int64_t rows_total(struct lk_dt_matches *m)
{
  struct lk_arena *a = arena();
  struct lk_dt_match_page p;
  CHECK(lk_dt_matches_list(m, NULL, 0, 1, 1, a, &p) == LK_OK);
  lk_arena_destroy(a);
  return p.total;
}

static int files_in(const char *sub)
{
  char path[512];
  struct dirent *e;
  DIR *d;
  int n = 0;
  snprintf(path, sizeof path, "%s/%s", mf_dir, sub);
  d = opendir(path);
  while(d && (e = readdir(d)))
    n += e->d_name[0] != '.';
  if(d)
    closedir(d);
  return n;
}

static void expect_refused(struct lk_dt_matches *m,
                           const struct lk_dt_match_new *r, lk_err want,
                           const char *needle)
{
  char file[LK_DT_MATCHES_FILE_SIZE], why[LK_DT_MATCHES_ERRMAX] = "";
  int64_t id = 0;
  int64_t before = rows_total(m);
  int files = files_in("matches");
  lk_err err = lk_dt_matches_save(m, r, &id, file, why);
  CHECK_MSG(err == want && strstr(why, needle), "%s: '%s'",
            lk_strerror(err), why);
  CHECK(rows_total(m) == before && files_in("matches") == files);
}

static void test_save_refused(void)
{
  struct lk_dt_matches *m = mf_open();
  struct lk_dt_match_face f[2] = { mf_face("ada", 90, 1, 10, 10),
                                   mf_face("bob", 50, 0, 10, 10) };
  struct lk_dt_match_new r = mf_row("e", "cam", "latest", f, 2, jpg,
                                    jpg_len);
  const char *zones[] = { "yard", "" };
  char big[LK_DT_MATCHES_TEXT_MAX + 2];

  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  r.camera = NULL;
  expect_refused(m, &r, LK_ERR_INVAL, "camera");
  r.camera = big;
  expect_refused(m, &r, LK_ERR_INVAL, "camera");
  r.camera = "cam";
  r.type = "";
  expect_refused(m, &r, LK_ERR_INVAL, "type");
  r.type = "latest";
  r.zones = zones;
  r.n_zones = 2;
  expect_refused(m, &r, LK_ERR_INVAL, "zone");
  r.n_zones = LK_DT_MATCHES_ZONES_MAX + 1;
  expect_refused(m, &r, LK_ERR_INVAL, "zones");
  r.n_zones = 1;
  r.result = "{\"a\": ";
  expect_refused(m, &r, LK_ERR_INVAL, "not JSON");
  r.result = "{} trailing";
  expect_refused(m, &r, LK_ERR_INVAL, "not JSON");
  r.result = NULL;
  expect_refused(m, &r, LK_ERR_INVAL, "result");
  r.result = "[]";
  f[1].confidence = 100.5;
  expect_refused(m, &r, LK_ERR_INVAL, "confidence");
  f[1].confidence = 0.0 / 0.0;
  expect_refused(m, &r, LK_ERR_INVAL, "confidence");
  f[1].confidence = 50;
  f[1].height = -1;
  expect_refused(m, &r, LK_ERR_INVAL, "negative");
  f[1].height = 10;
  f[1].name = NULL;
  expect_refused(m, &r, LK_ERR_INVAL, "name");
  f[1].name = "bob";
  r.n_faces = LK_DT_MATCHES_FACES_MAX + 1;
  expect_refused(m, &r, LK_ERR_INVAL, "faces");
  r.n_faces = 2;
  r.image = "\x89PNG\r\n\x1a\n not a jpeg";
  r.image_len = 20;
  expect_refused(m, &r, LK_ERR_IMAGE, "JPEG");
  r.image_len = 0;
  expect_refused(m, &r, LK_ERR_IMAGE, "JPEG");
  r.image = jpg;
  r.image_len = jpg_len;
  CHECK(save(m, "cam", "latest", f, 2, NULL) > 0);   /* now it is fine */
  lk_dt_matches_close(m);
}

/* A row that cannot commit (another process holds the write lock) leaves
 * no file behind. */
static void test_save_rolls_back(void)
{
  struct lk_dt_matches_opts o = mf_opts();
  struct lk_dt_matches *m = NULL;
  struct lk_dt_match_new r = mf_row("e", "cam", "latest", NULL, 0, jpg,
                                    jpg_len);
  char file[LK_DT_MATCHES_FILE_SIZE], why[LK_DT_MATCHES_ERRMAX], path[512];
  int64_t id, before;
  int files;
  sqlite3 *db;

  o.busy_timeout_ms = 50;
  CHECK(lk_dt_matches_open(&m, mf_dir, &o, why) == LK_OK);
  before = rows_total(m);
  files = files_in("matches");
  snprintf(path, sizeof path, "%s/matches.db", mf_dir);
  CHECK(sqlite3_open(path, &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
  lk_log_set_level(LK_LOG_ERROR + 1);
  CHECK(lk_dt_matches_save(m, &r, &id, file, why) == LK_ERR_BUSY);
  lk_log_set_level(LK_LOG_INFO);
  CHECK_MSG(strstr(why, "cannot record"), "%s", why);
  CHECK(files_in("matches") == files);
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
  CHECK(rows_total(m) == before);
  CHECK(lk_dt_matches_save(m, &r, &id, file, why) == LK_OK);
  CHECK(mf_disk_matches_rows(m));
  lk_dt_matches_close(m);
}

/* ---- list, filters, paging --------------------------------------------- */

struct seeded {
  int64_t ada_match, bob_miss, unknown, mixed, nofaces, deep, ada_small;
};

/* Seven rows, one a second, in a fresh store. */
static struct lk_dt_matches *seed(struct seeded *s)
{
  struct lk_dt_matches *m;
  struct lk_dt_match_face ada = mf_face("ada", 91.5, 1, 120, 130);
  struct lk_dt_match_face bob = mf_face("bob", 55, 0, 100, 100);
  struct lk_dt_match_face unk = mf_face("unknown", 20, 0, 60, 60);
  struct lk_dt_match_face mixed[2] = { mf_face("ada", 50, 0, 200, 200),
                                       mf_face("bob", 95, 1, 30, 30) };
  struct lk_dt_match_face deep = mf_face("cy", 80, 1, 100, 100);
  struct lk_dt_match_face small = mf_face("ada", 99, 1, 20, 25);

  mf_fresh();
  m = mf_open();
  deep.detector = "deepstack";
  mf_clock = MF_T0;
  s->ada_match = save(m, "front", "snapshot", &ada, 1, NULL);
  mf_clock += 1;
  s->bob_miss = save(m, "front", "latest", &bob, 1, NULL);
  mf_clock += 1;
  s->unknown = save(m, "back", "mqtt", &unk, 1, NULL);
  mf_clock += 1;
  s->mixed = save(m, "back", "snapshot", mixed, 2, NULL);
  mf_clock += 1;
  s->nofaces = save(m, "garage", "manual", NULL, 0, NULL);
  mf_clock += 1;
  s->deep = save(m, "garage", "camera-event", &deep, 1, NULL);
  mf_clock += 1;
  s->ada_small = save(m, "front", "snapshot", &small, 1, NULL);
  return m;
}

/* The ids listed by one call, newest first, as a string "7 6 5". */
static const char *ids(struct lk_dt_matches *m,
                       const struct lk_dt_match_filter *f, int64_t since,
                       int page, int limit, int64_t *total)
{
  static char buf[256];
  struct lk_arena *a = arena();
  struct lk_dt_match_page p;
  size_t o = 0;
  int i;
  buf[0] = '\0';
  CHECK(lk_dt_matches_list(m, f, since, page, limit, a, &p) == LK_OK);
  for(i = 0; i < p.n; i++)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%lld", i ? " " : "",
                          (long long)p.rows[i].id);
  if(total)
    *total = p.total;
  lk_arena_destroy(a);
  return buf;
}

#define LIST(f, want) do { \
    const char *got_ = ids(m, f, 0, 1, 50, NULL); \
    CHECK_MSG(!strcmp(got_, want), "got '%s', want '%s'", got_, want); \
  } while(0)

static void test_list_and_paging(void)
{
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);
  struct lk_arena *a = arena();
  struct lk_dt_match_page p;
  int64_t total = 0;
  const char *got;

  CHECK(s.ada_small == s.ada_match + 6);
  LIST(NULL, "7 6 5 4 3 2 1");
  got = ids(m, NULL, 0, 1, 3, &total);
  CHECK_MSG(!strcmp(got, "7 6 5") && total == 7, "%s", got);
  CHECK(!strcmp(ids(m, NULL, 0, 2, 3, &total), "4 3 2") && total == 7);
  CHECK(!strcmp(ids(m, NULL, 0, 3, 3, &total), "1") && total == 7);
  CHECK(!strcmp(ids(m, NULL, 0, 4, 3, &total), "") && total == 7);
  /* sinceId: only newer rows, and total counts only those */
  CHECK(!strcmp(ids(m, NULL, 4, 1, 50, &total), "7 6 5") && total == 3);

  /* newest first is by time, not id: a row saved with an older clock */
  mf_clock = MF_T0 - 100;
  CHECK(save(m, "front", "latest", NULL, 0, NULL) == 8);
  LIST(NULL, "7 6 5 4 3 2 1 8");

  /* page 0, limit 0, limit over the maximum */
  CHECK(lk_dt_matches_list(m, NULL, 0, 0, 10, a, &p) == LK_ERR_INVAL);
  CHECK(lk_dt_matches_list(m, NULL, 0, 1, 0, a, &p) == LK_ERR_INVAL);
  CHECK(lk_dt_matches_list(m, NULL, 0, 1, LK_DT_MATCHES_PAGE_MAX + 1, a,
                           &p) == LK_ERR_INVAL);
  /* a page too big for the caller's arena: NOMEM, and the store goes on */
  {
    struct lk_arena *tiny = lk_arena_create(512);
    CHECK(lk_dt_matches_list(m, NULL, 0, 1, 50, tiny, &p) == LK_ERR_NOMEM);
    CHECK(p.n == 0 && p.rows == NULL);
    lk_arena_destroy(tiny);
  }
  CHECK(lk_dt_matches_list(m, NULL, 0, 1, 2, a, &p) == LK_OK && p.n == 2 &&
        p.rows[0].n_faces == 1 && !strcmp(p.rows[0].faces[0].name, "ada") &&
        !strcmp(p.rows[1].faces[0].detector, "deepstack"));
  lk_arena_destroy(a);
  CHECK(mf_disk_matches_rows(m));
  lk_dt_matches_close(m);
}

static void test_filters(void)
{
  static const char *const ada[] = { "ada" }, *const bob[] = { "bob" };
  static const char *const match[] = { "match" }, *const miss[] = { "miss" };
  static const char *const front[] = { "front" }, *const deep[] = {
    "deepstack"
  };
  static const char *const snap[] = { "snapshot", "mqtt" };
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);
  struct lk_dt_match_filter f;

  memset(&f, 0, sizeof f);
  LIST(&f, "7 6 5 4 3 2 1");                  /* an empty filter: all */
  f.names = ada;
  f.n_names = 1;
  LIST(&f, "7 4 1");
  f.matches = match;
  f.n_matches = 1;
  LIST(&f, "7 1");            /* row 4's ada is a miss: one face, all rules */
  f.matches = miss;
  LIST(&f, "4");
  f.names = bob;
  f.matches = match;
  LIST(&f, "4");
  f.min_confidence = 96;
  LIST(&f, "");
  f.min_confidence = 95;
  LIST(&f, "4");

  memset(&f, 0, sizeof f);
  f.min_width = 100;
  f.min_height = 100;
  LIST(&f, "6 4 2 1");
  f.min_height = 131;
  LIST(&f, "4");
  memset(&f, 0, sizeof f);
  f.min_confidence = 90;
  LIST(&f, "7 4 1");
  f.names = ada;
  f.n_names = 1;
  LIST(&f, "7 1");            /* ada at 50 and bob at 95 do not add up */

  memset(&f, 0, sizeof f);
  f.cameras = front;
  f.n_cameras = 1;
  LIST(&f, "7 2 1");
  f.types = snap;
  f.n_types = 2;
  LIST(&f, "7 1");
  memset(&f, 0, sizeof f);
  f.types = snap;
  f.n_types = 2;
  LIST(&f, "7 4 3 1");
  memset(&f, 0, sizeof f);
  f.detectors = deep;
  f.n_detectors = 1;
  LIST(&f, "6");

  /* camera and type are row filters: the faceless row passes them... */
  memset(&f, 0, sizeof f);
  f.cameras = (const char *const[]){ "garage" };
  f.n_cameras = 1;
  LIST(&f, "6 5");
  /* ...but no face filter, as no face passes */
  f.min_confidence = 0.01;
  LIST(&f, "6");
  /* an empty list allows nothing, as Double Take's IN () */
  memset(&f, 0, sizeof f);
  f.names = ada;
  f.n_names = 0;
  LIST(&f, "");
  memset(&f, 0, sizeof f);
  f.cameras = front;
  f.n_cameras = 0;
  LIST(&f, "");
  /* names are compared as they are, even when they look like SQL */
  memset(&f, 0, sizeof f);
  f.names = (const char *const[]){ "ada' OR '1'='1", "\"]" };
  f.n_names = 2;
  LIST(&f, "");
  lk_dt_matches_close(m);
}

static int has(const char **list, int n, const char *s)
{
  int i;
  for(i = 0; i < n; i++)
    if(!strcmp(list[i], s))
      return 1;
  return 0;
}

static void test_filter_choices(void)
{
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);
  struct lk_arena *a = arena();
  struct lk_dt_match_filters f;

  CHECK(lk_dt_matches_filters(m, a, &f) == LK_OK);
  CHECK(f.total == 7);
  CHECK(f.n_names == 4 && !strcmp(f.names[0], "ada") &&
        !strcmp(f.names[1], "bob") && !strcmp(f.names[2], "cy") &&
        !strcmp(f.names[3], "unknown"));
  CHECK(f.n_matches == 2 && !strcmp(f.matches[0], "match") &&
        !strcmp(f.matches[1], "miss"));
  CHECK(f.n_detectors == 2 && !strcmp(f.detectors[0], "compreface") &&
        !strcmp(f.detectors[1], "deepstack"));
  CHECK(f.n_cameras == 3 && !strcmp(f.cameras[0], "back") &&
        !strcmp(f.cameras[2], "garage"));
  CHECK(f.n_types == 5 && has(f.types, 5, "camera-event") &&
        has(f.types, 5, "manual") && !strcmp(f.types[4], "snapshot"));
  lk_dt_matches_close(m);

  /* an empty store */
  mf_fresh();
  m = mf_open();
  CHECK(lk_dt_matches_filters(m, a, &f) == LK_OK && f.total == 0 &&
        f.n_names == 0 && f.n_types == 0);
  lk_dt_matches_close(m);
  lk_arena_destroy(a);
}

/* ---- delete, purge, sweep ---------------------------------------------- */

static void test_delete(void)
{
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);
  struct lk_arena *a = arena();
  struct lk_dt_match g;
  struct lk_dt_match_filters f;
  int64_t del[] = { s.deep, s.bob_miss, 9999, s.deep };
  char file[LK_DT_MATCHES_FILE_SIZE];
  int n = -1;

  CHECK(lk_dt_matches_get(m, s.deep, a, &g) == LK_OK);
  memcpy(file, g.filename, sizeof file);
  CHECK(mf_exists("matches", file));
  CHECK(lk_dt_matches_delete(m, del, 4, &n) == LK_OK && n == 2);
  CHECK(!mf_exists("matches", file));
  CHECK(lk_dt_matches_get(m, s.deep, a, &g) == LK_ERR_NOT_FOUND);
  LIST(NULL, "7 5 4 3 1");
  /* their faces went with them: "cy" and deepstack are no longer choices */
  CHECK(lk_dt_matches_filters(m, a, &f) == LK_OK && f.total == 5 &&
        !has(f.names, f.n_names, "cy") && f.n_detectors == 1);
  CHECK(lk_dt_matches_delete(m, NULL, 0, &n) == LK_OK && n == 0);
  CHECK(lk_dt_matches_delete(m, NULL, 1, &n) == LK_ERR_INVAL);
  CHECK(lk_dt_matches_delete(m, del, -1, &n) == LK_ERR_INVAL);
  CHECK(lk_dt_matches_delete(m, del, LK_DT_MATCHES_DELETE_MAX + 1, &n) ==
        LK_ERR_INVAL);
  CHECK(mf_disk_matches_rows(m));
  /* ids are never handed out again, not even the newest one's */
  del[0] = s.ada_small;
  CHECK(lk_dt_matches_delete(m, del, 1, NULL) == LK_OK);
  CHECK(save(m, "front", "latest", NULL, 0, NULL) == s.ada_small + 1);
  lk_arena_destroy(a);
  lk_dt_matches_close(m);
}

/* Reprocessing: new faces and result replace the old, filters follow. */
static void test_update(void)
{
  static const char *const cy[] = { "cy" };
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);
  struct lk_arena *a = arena();
  struct lk_dt_match_face f[2] = { mf_face("cy", 88, 1, 90, 90),
                                   mf_face("unknown", 10, 0, 40, 40) };
  struct lk_dt_match_filter flt;
  struct lk_dt_match g;
  char why[LK_DT_MATCHES_ERRMAX];

  memset(&flt, 0, sizeof flt);
  flt.names = cy;
  flt.n_names = 1;
  LIST(&flt, "6");
  CHECK(lk_dt_matches_get(m, s.unknown, a, &g) == LK_OK &&
        g.updated_at == 0 && !g.has_match);
  mf_clock = MF_T0 + 500;
  CHECK(lk_dt_matches_update(m, s.unknown, f, 2, "{\"again\":true}", why) ==
        LK_OK);
  CHECK(lk_dt_matches_get(m, s.unknown, a, &g) == LK_OK);
  CHECK(g.updated_at == MF_T0 + 500 && g.created_at == MF_T0 + 2);
  CHECK(g.has_match && g.best_confidence == 88 && g.n_faces == 2 &&
        !strcmp(g.faces[0].name, "cy") && !strcmp(g.result,
                                                   "{\"again\":true}"));
  LIST(&flt, "6 3");
  /* to no faces at all; then refusals, which change nothing */
  CHECK(lk_dt_matches_update(m, s.unknown, NULL, 0, "[]", why) == LK_OK);
  LIST(&flt, "6");
  CHECK(lk_dt_matches_update(m, 9999, f, 2, "[]", why) == LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_update(m, s.unknown, f, 2, "{", why) == LK_ERR_INVAL);
  f[1].confidence = -1;
  CHECK(lk_dt_matches_update(m, s.unknown, f, 2, "[]", why) ==
        LK_ERR_INVAL && strstr(why, "confidence"));
  CHECK(lk_dt_matches_get(m, s.unknown, a, &g) == LK_OK && g.n_faces == 0 &&
        !strcmp(g.result, "[]"));
  lk_arena_destroy(a);
  lk_dt_matches_close(m);
}

static void test_purge(void)
{
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);    /* rows at T0 .. T0 + 6 */
  struct lk_dt_match_face unk = mf_face("unknown", 10, 0, 10, 10);
  long n = -1;
  int i;

  /* 8 h after the first rows: nothing yet (the newest is 6 s younger) */
  mf_clock = MF_T0 + 8 * 3600 - 1;
  CHECK(lk_dt_matches_purge(m, 168, 8, &n) == LK_OK && n == 0);
  /* unknown_hours reached for rows at T0..T0+3: no face matched in 2, 3 */
  mf_clock = MF_T0 + 8 * 3600 + 3;
  CHECK(lk_dt_matches_purge(m, 168, 8, &n) == LK_OK && n == 2);
  LIST(NULL, "7 6 5 4 1");
  /* negative hours keep rows forever */
  mf_clock = MF_T0 + 1000 * 3600;
  CHECK(lk_dt_matches_purge(m, -1, -1, &n) == LK_OK && n == 0);
  CHECK(lk_dt_matches_purge(m, -1, 8, &n) == LK_OK && n == 1);   /* 5 */
  LIST(NULL, "7 6 4 1");
  CHECK(lk_dt_matches_purge(m, 168, -1, &n) == LK_OK && n == 4);
  LIST(NULL, "");
  CHECK(mf_disk_matches_rows(m));

  /* more rows than one batch */
  mf_clock = MF_T0;
  for(i = 0; i < 300; i++)
    save(m, "cam", "latest", &unk, 1, NULL);
  CHECK(rows_total(m) == 300);
  mf_clock = MF_T0 + 8 * 3600;             /* exactly the age: purged */
  CHECK(lk_dt_matches_purge(m, 168, 8, &n) == LK_OK && n == 300);
  CHECK(rows_total(m) == 0 && files_in("matches") == 0);
  lk_dt_matches_close(m);
}

/* What a crash leaves: an image whose row never committed, temporary
 * files of interrupted writes. The sweep after a restart removes them and
 * nothing else. */
static void test_sweep(void)
{
  struct seeded s;
  struct lk_dt_matches *m = seed(&s);
  const char *orphan = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.jpg";
  long n = -1;

  lk_dt_matches_close(m);
  mf_put("matches", orphan, "\xff\xd8 half an image");
  mf_put("matches", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f8.jpg.tmp.a1B2c3",
         "x");
  mf_put("latest", "ada.jpg.tmp.Zz9Yy8", "x");
  mf_put("latest", "ada.jpg", "kept");
  mf_put("latest", "x.tmp.abcdef.jpg", "a key with .tmp. in it: kept");
  mf_put("matches", "notes.txt", "not ours: kept");
  m = mf_open();
  CHECK(!mf_disk_matches_rows(m));
  CHECK(lk_dt_matches_sweep(m, &n) == LK_OK && n == 3);
  CHECK(!mf_exists("matches", orphan));
  CHECK(mf_exists("matches", "notes.txt") && mf_exists("latest", "ada.jpg"));
  CHECK(mf_exists("latest", "x.tmp.abcdef.jpg"));
  CHECK(files_in("matches") == 7 + 1);
  CHECK(lk_dt_matches_sweep(m, &n) == LK_OK && n == 0);
  CHECK(lk_dt_matches_sweep(m, NULL) == LK_OK);
  {
    char path[512];
    mf_path(path, sizeof path, "matches", "notes.txt");
    unlink(path);
  }
  CHECK(mf_disk_matches_rows(m));
  lk_dt_matches_close(m);
}

/* ---- names that must never reach the file system ----------------------- */

static void test_names_refused(void)
{
  static const char *const bad[] = {
    "../matches.db", "..", ".", "", "/etc/passwd", "a/b.jpg",
    "0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9.jpg",      /* upper case */
    "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",          /* no .jpg */
    "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.jpg/",
    "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.jpgx",
    "0f1e2d3c_4b5a-4978-8695-a4b3c2d1e0f9.jpg",
    "../../../../../../etc/passwd.jpg0123456789",
    "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0g9.jpg",      /* g is not hex */
  };
  struct lk_dt_matches *m = mf_open();
  struct lk_arena *a = arena();
  struct lk_dt_match g;
  const unsigned char *data = (const unsigned char *)"x";
  size_t len = 1, i;
  char file[LK_DT_MATCHES_FILE_SIZE];

  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_MSG(!lk_dt_matches_filename_ok(bad[i]), "%s", bad[i]);
    CHECK(lk_dt_matches_image(m, bad[i], a, &data, &len) == LK_ERR_DENIED);
    CHECK(data == NULL && len == 0);
    CHECK(lk_dt_matches_get_file(m, bad[i], a, &g) == LK_ERR_NOT_FOUND);
  }
  CHECK(!lk_dt_matches_filename_ok(NULL));
  CHECK(lk_dt_matches_image(m, NULL, a, &data, &len) == LK_ERR_DENIED);
  CHECK(lk_dt_matches_filename_ok("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.jpg"));
  CHECK(lk_dt_matches_image(m, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.jpg", a,
                            &data, &len) == LK_ERR_NOT_FOUND);
  save(m, "cam", "latest", NULL, 0, file);
  CHECK(lk_dt_matches_image(m, file, a, &data, &len) == LK_OK &&
        len == jpg_len);
  lk_arena_destroy(a);
  lk_dt_matches_close(m);
}

/* Allocation n fails, for every n through open, save, list, get,
 * filters, delete and purge: each call answers LK_OK or LK_ERR_NOMEM,
 * nothing leaks, and the files still match the rows. */
static int alloc_round(long n)
{
  struct lk_dt_matches_opts o = mf_opts();
  struct lk_dt_matches *m = NULL;
  struct lk_arena *a;
  struct lk_dt_match_face f = mf_face("ada", 90, 1, 10, 10);
  struct lk_dt_match_new r = mf_row("e", "cam", "latest", &f, 1, jpg,
                                    jpg_len);
  struct lk_dt_match_page p;
  struct lk_dt_match_filters fl;
  struct lk_dt_match g;
  int64_t id = 0;
  long purged;
  int bad = 0, k = 0;
  lk_err e[6];

  lk_mem_fail_after(n);
  e[k++] = lk_dt_matches_open(&m, mf_dir, &o, NULL);
  a = lk_arena_create((size_t)8 << 20);
  if(m && a) {
    e[k++] = lk_dt_matches_save(m, &r, &id, NULL, NULL);
    e[k++] = lk_dt_matches_list(m, NULL, 0, 1, 50, a, &p);
    e[k++] = lk_dt_matches_filters(m, a, &fl);
    e[k++] = id ? lk_dt_matches_get(m, id, a, &g) : LK_OK;
    e[k++] = lk_dt_matches_delete(m, &id, 1, NULL);
  }
  lk_mem_fail_after(0);
  while(k--)
    bad += e[k] != LK_OK && e[k] != LK_ERR_NOMEM;
  if(m)
    bad += lk_dt_matches_purge(m, 0, 0, &purged) != LK_OK;
  lk_arena_destroy(a);
  lk_dt_matches_close(m);
  return bad;
}

static void test_alloc_failures(void)
{
  size_t start = lk_mem_in_use();
  struct lk_dt_matches *m;
  long n;
  int bad = 0;
  mf_fresh();
  for(n = 1; n <= 16; n++)       /* 12 allocations reach every call */
    bad += alloc_round(n);
  CHECK(bad == 0);
  CHECK_MSG(lk_mem_in_use() == start, "%zu bytes leaked",
            lk_mem_in_use() - start);
  m = mf_open();
  CHECK(rows_total(m) == 0 && mf_disk_matches_rows(m));
  lk_dt_matches_close(m);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  mf_setup();
  jpg = mf_jpeg(64, 48, 128, 128, 128, &jpg_len);
  RUN(test_open_layout);
  RUN(test_schema_owner);
  RUN(test_save_and_get);
  RUN(test_save_refused);
  RUN(test_save_rolls_back);
  RUN(test_list_and_paging);
  RUN(test_filters);
  RUN(test_filter_choices);
  RUN(test_delete);
  RUN(test_update);
  RUN(test_purge);
  RUN(test_sweep);
  RUN(test_names_refused);
  RUN(test_alloc_failures);
  lk_free(jpg);
  mf_teardown();
  CHECK_MSG(lk_mem_in_use() == start, "%zu bytes still allocated",
            lk_mem_in_use() - start);
  return test_report();
}
