/* test_store.c - the gallery store on real SQLite files: schema creation
 * and migration, every person and face call with its error paths, bad
 * input, the sync feed, durability across close/reopen, and a held lock. */
#include <math.h>
#include <sqlite3.h>

#include "base/log.h"
#include "store_test.h"

/* Raw SQLite on the same file, as an old release or another tool would. */
static sqlite3 *raw_open(void)
{
  sqlite3 *db = NULL;
  if(sqlite3_open(st_path, &db) != SQLITE_OK)
    fprintf(stderr, "raw open: %s\n", sqlite3_errmsg(db));
  return db;
}

static int raw_int(sqlite3 *db, const char *sql)
{
  sqlite3_stmt *s;
  int v = -1;
  if(sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    return -1;
  if(sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return v;
}

static int raw_exec(sqlite3 *db, const char *sql)
{
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  if(rc != SQLITE_OK)
    fprintf(stderr, "raw exec: %s\n", sqlite3_errmsg(db));
  return rc;
}

static void test_schema_created(void)
{
  struct lk_store *st;
  sqlite3 *db;
  st_begin();
  st = st_open();
  lk_store_close(st);
  db = raw_open();
  CHECK(raw_int(db, "PRAGMA user_version") == 2);
  CHECK(raw_int(db, "PRAGMA application_id") == 0x4c4b5354);
  CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                    "('people', 'faces', 'faces_updated')") == 3);
  CHECK(raw_int(db, "SELECT count(*) FROM pragma_table_info('faces') "
                    "WHERE name IN ('align', 'image_path')") == 2);
  sqlite3_close(db);
  db = raw_open();
  {
    sqlite3_stmt *s;
    CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) == 0);
    CHECK(sqlite3_step(s) == SQLITE_ROW &&
          !strcmp((const char *)sqlite3_column_text(s, 0), "wal"));
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  st_end();
}

/* The layout release 1 wrote, spelled out here on purpose: the test must
 * not borrow the migration code it checks. */
static const char *v1_schema =
  "CREATE TABLE people(id INTEGER PRIMARY KEY AUTOINCREMENT,"
  " name TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,"
  " deleted INTEGER NOT NULL DEFAULT 0, deleted_at REAL);"
  "CREATE UNIQUE INDEX people_name ON people(name) WHERE deleted = 0;"
  "CREATE INDEX people_updated ON people(updated_at);"
  "CREATE TABLE faces(id INTEGER PRIMARY KEY AUTOINCREMENT,"
  " person_id INTEGER NOT NULL REFERENCES people(id),"
  " descriptor BLOB NOT NULL CHECK(length(descriptor) = 512),"
  " detector TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL DEFAULT '',"
  " meta TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL,"
  " updated_at REAL NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,"
  " deleted_at REAL);"
  "CREATE INDEX faces_person ON faces(person_id);"
  "CREATE UNIQUE INDEX faces_updated ON faces(updated_at);"
  "PRAGMA application_id = 1280004948; PRAGMA user_version = 1;";

static void v1_insert_face(sqlite3 *db, int seed, double t, int deleted)
{
  sqlite3_stmt *s;
  float d[LK_STORE_DIM];
  st_desc(d, seed, 0);
  sqlite3_prepare_v2(db, "INSERT INTO faces(person_id, descriptor, detector,"
                     " meta, created_at, updated_at, deleted) "
                     "VALUES(1, ?1, 'ssd', '{\"k\":1}', ?2, ?2, ?3)", -1, &s,
                     NULL);
  sqlite3_bind_blob(s, 1, d, sizeof d, SQLITE_STATIC);
  sqlite3_bind_double(s, 2, t);
  sqlite3_bind_int(s, 3, deleted);
  CHECK(sqlite3_step(s) == SQLITE_DONE);
  sqlite3_finalize(s);
}

static void test_migrate_v1(void)
{
  struct lk_store_face f;
  struct lk_store_match *m;
  struct lk_store *st;
  float d[LK_STORE_DIM];
  sqlite3 *db;
  int n;
  st_begin();
  db = raw_open();
  CHECK(raw_exec(db, v1_schema) == SQLITE_OK);
  CHECK(raw_exec(db, "INSERT INTO people(name, created_at, updated_at) "
                     "VALUES('Old', 100, 100)") == SQLITE_OK);
  v1_insert_face(db, 1, 101, 0);
  v1_insert_face(db, 2, 102, 1);
  sqlite3_close(db);

  st = st_open();
  CHECK_OK(lk_store_face_get(st, 1, 0, arena, &f));
  CHECK(!strcmp(f.person, "Old") && !strcmp(f.detector, "ssd"));
  CHECK(!strcmp(f.align, "") && f.image_path == NULL);
  CHECK(!strcmp(f.meta, "{\"k\":1}") && f.updated_at == 101);
  CHECK_ERR(lk_store_face_get(st, 2, 0, arena, &f), LK_ERR_NOT_FOUND);
  st_desc(d, 1, 0);
  CHECK_OK(lk_store_match(st, d, 0, 0, arena, &m, &n));
  CHECK(n == 1 && m[0].face_id == 1 && m[0].distance == 0);
  /* the clock starts after the newest stored time */
  CHECK(st_add(st, "Old", 3, 0) == 3);
  CHECK_OK(lk_store_face_get(st, 3, 0, arena, &f));
  CHECK(f.updated_at > 102);
  lk_store_close(st);
  db = raw_open();
  CHECK(raw_int(db, "PRAGMA user_version") == 2);
  sqlite3_close(db);
  st_end();
}

static void check_open_fails(lk_err want, const char *in_why)
{
  struct lk_store *st = NULL;
  char why[LK_STORE_ERRMAX];
  struct lk_store_opts o = lk_store_default_opts();
  o.create = 0;
  CHECK_ERR(lk_store_open(&st, st_path, &o, why), want);
  CHECK(st == NULL);
  CHECK_MSG(strstr(why, in_why) != NULL, "why: %s", why);
}

static void test_open_refusals(void)
{
  struct lk_store *st = NULL;
  char why[LK_STORE_ERRMAX];
  sqlite3 *db;
  FILE *fp;
  st_begin();
  check_open_fails(LK_ERR_NOT_FOUND, "no such file");
  CHECK_ERR(lk_store_open(&st, ":memory:", NULL, why), LK_ERR_INVAL);
  CHECK_ERR(lk_store_open(&st, "", NULL, why), LK_ERR_INVAL);
  CHECK_ERR(lk_store_open(&st, "postgresql://x/y", NULL, why),
            LK_ERR_UNSUPPORTED);
  /* a newer schema is refused, and left untouched */
  lk_store_close(st_open());
  db = raw_open();
  raw_exec(db, "PRAGMA user_version = 99");
  sqlite3_close(db);
  check_open_fails(LK_ERR_UNSUPPORTED, "newer");
  db = raw_open();
  CHECK(raw_int(db, "PRAGMA user_version") == 99);
  sqlite3_close(db);
  st_teardown();
  /* someone else's database */
  st_setup();
  db = raw_open();
  raw_exec(db, "CREATE TABLE notes(x)");
  sqlite3_close(db);
  check_open_fails(LK_ERR_UNSUPPORTED, "not a likeness database");
  st_teardown();
  /* not a database at all */
  st_setup();
  fp = fopen(st_path, "wb");
  fputs("this is not an SQLite file, just some text long enough....", fp);
  fclose(fp);
  check_open_fails(LK_ERR_IO, "gallery.db");
  st_end();
}

static void test_people(void)
{
  struct lk_store_person p, *all;
  struct lk_store *st;
  int64_t id, id2, nf;
  int n;
  st_begin();
  st = st_open();
  CHECK_OK(lk_store_person_create(st, "Ada", &id));
  CHECK(id > 0);
  CHECK_ERR(lk_store_person_create(st, "Ada", NULL), LK_STORE_ERR_EXISTS);
  CHECK_OK(lk_store_person_get(st, "Ada", arena, &p));
  CHECK(p.id == id && !strcmp(p.name, "Ada") && p.n_faces == 0);
  CHECK(p.created_at > 1.6e9 && p.created_at == p.updated_at);
  CHECK_ERR(lk_store_person_get(st, "ada", arena, &p), LK_ERR_NOT_FOUND);
  st_add(st, "Bob", 1, 0.01f);
  st_add(st, "Bob", 1, 0.01f);
  st_add(st, "Cy", 2, 0.01f);
  CHECK_OK(lk_store_person_list(st, arena, &all, &n));
  CHECK(n == 3);
  if(n == 3) {
    CHECK(!strcmp(all[0].name, "Ada") && all[0].n_faces == 0);
    CHECK(!strcmp(all[1].name, "Bob") && all[1].n_faces == 2);
    CHECK(!strcmp(all[2].name, "Cy") && all[2].n_faces == 1);
  }
  /* clear keeps the person, delete does not */
  CHECK_OK(lk_store_person_clear(st, "Bob", &nf));
  CHECK(nf == 2);
  CHECK_OK(lk_store_person_get(st, "Bob", arena, &p));
  CHECK(p.n_faces == 0);
  CHECK_OK(lk_store_person_delete(st, "Cy", &nf));
  CHECK(nf == 1);
  CHECK_ERR(lk_store_person_get(st, "Cy", arena, &p), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_person_delete(st, "Cy", NULL), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_person_clear(st, "Zed", NULL), LK_ERR_NOT_FOUND);
  /* the name is free again, under a new id */
  CHECK_OK(lk_store_person_create(st, "Cy", &id2));
  CHECK(id2 > id);
  lk_store_close(st);
  st_end();
}

static void test_rename(void)
{
  struct lk_store_person p;
  struct lk_store_face f;
  struct lk_store *st;
  int64_t a, b;
  double before;
  st_begin();
  st = st_open();
  a = st_add(st, "Ada", 1, 0.01f);
  b = st_add(st, "Bob", 2, 0.01f);
  CHECK_OK(lk_store_face_get(st, a, 0, arena, &f));
  before = f.updated_at;
  CHECK_OK(lk_store_person_rename(st, "Ada", "Ada Lovelace", 0));
  CHECK_ERR(lk_store_person_get(st, "Ada", arena, &p), LK_ERR_NOT_FOUND);
  CHECK_OK(lk_store_face_get(st, a, 0, arena, &f));
  CHECK(!strcmp(f.person, "Ada Lovelace") && f.updated_at > before);
  CHECK_ERR(lk_store_person_rename(st, "Nobody", "X", 0), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_person_rename(st, "Bob", "Ada Lovelace", 0),
            LK_STORE_ERR_EXISTS);
  CHECK_OK(lk_store_person_rename(st, "Bob", "Bob", 0));
  CHECK_ERR(lk_store_person_rename(st, "Nobody", "Nobody", 0),
            LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_person_rename(st, "Bob", "", 0), LK_ERR_INVAL);
  /* merge moves Bob's face and retires Bob */
  CHECK_OK(lk_store_person_rename(st, "Bob", "Ada Lovelace", LK_STORE_MERGE));
  CHECK_ERR(lk_store_person_get(st, "Bob", arena, &p), LK_ERR_NOT_FOUND);
  CHECK_OK(lk_store_person_get(st, "Ada Lovelace", arena, &p));
  CHECK(p.n_faces == 2);
  CHECK_OK(lk_store_face_get(st, b, 0, arena, &f));
  CHECK(!strcmp(f.person, "Ada Lovelace"));
  lk_store_close(st);
  st_end();
}

static void test_face_fields(void)
{
  struct lk_store_face_new nf;
  struct lk_store_face f;
  struct lk_store *st;
  float d[LK_STORE_DIM];
  int64_t id;
  st_begin();
  st = st_open();
  st_desc(d, 7, 0.05f);
  memset(&nf, 0, sizeof nf);
  nf.person = "Ada";
  nf.descriptor = d;
  nf.detector = "ssd";
  nf.align = "similarity";
  nf.sha256 = "ABCDEF0123456789abcdef0123456789"
              "ABCDEF0123456789abcdef0123456789";
  nf.meta = "{\"user_id\": 7, \"name\": \"Ada\"}";
  nf.image_path = "images/1.jpg";
  CHECK_OK(lk_store_face_add(st, &nf, &id));
  CHECK_OK(lk_store_face_get(st, id, 0, arena, &f));
  CHECK(f.id == id && !strcmp(f.person, "Ada") && f.person_id > 0);
  CHECK(!memcmp(f.descriptor, d, sizeof d));
  CHECK(!strcmp(f.detector, "ssd") && !strcmp(f.align, "similarity"));
  CHECK(!strcmp(f.sha256, "abcdef0123456789abcdef0123456789"
                          "abcdef0123456789abcdef0123456789"));
  CHECK(!strcmp(f.meta, nf.meta));
  CHECK(f.image_path && !strcmp(f.image_path, "images/1.jpg"));
  CHECK(f.created_at == f.updated_at && !f.deleted && f.deleted_at == 0);
  /* defaults */
  id = st_add(st, "Ada", 8, 0);
  CHECK_OK(lk_store_face_get(st, id, 0, arena, &f));
  CHECK(!strcmp(f.detector, "") && !strcmp(f.align, "") && !f.sha256[0]);
  CHECK(!strcmp(f.meta, "{}") && f.image_path == NULL);
  CHECK_ERR(lk_store_face_get(st, 999, 0, arena, &f), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_face_get(st, -1, 0, arena, &f), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_face_get(st, id, 0, NULL, &f), LK_ERR_INVAL);
  lk_store_close(st);
  st_end();
}

static void test_face_update_delete(void)
{
  struct lk_store_face_update u;
  struct lk_store_person p;
  struct lk_store_face f, g;
  struct lk_store *st;
  float d[LK_STORE_DIM];
  int64_t id, id2;
  st_begin();
  st = st_open();
  id = st_add(st, "Ada", 1, 0.01f);
  CHECK_OK(lk_store_face_get(st, id, 0, arena, &f));
  memset(&u, 0, sizeof u);
  CHECK_ERR(lk_store_face_update(st, id, &u), LK_ERR_INVAL);
  st_desc(d, 2, 0);
  u.descriptor = d;
  u.meta = "{\"v\":2}";
  u.image_path = "images/x.jpg";
  u.sha256 = "00000000000000000000000000000000"
             "00000000000000000000000000000000";
  CHECK_OK(lk_store_face_update(st, id, &u));
  CHECK_OK(lk_store_face_get(st, id, 0, arena, &g));
  CHECK(!memcmp(g.descriptor, d, sizeof d) && !strcmp(g.meta, "{\"v\":2}"));
  CHECK(g.image_path && !strcmp(g.image_path, "images/x.jpg"));
  CHECK(g.sha256[0] == '0' && g.created_at == f.created_at);
  CHECK(g.updated_at > f.updated_at);
  /* "" clears image and sha; the person moves (and is created) */
  memset(&u, 0, sizeof u);
  u.image_path = "";
  u.sha256 = "";
  u.person = "Bob";
  CHECK_OK(lk_store_face_update(st, id, &u));
  CHECK_OK(lk_store_face_get(st, id, 0, arena, &g));
  CHECK(g.image_path == NULL && !g.sha256[0] && !strcmp(g.person, "Bob"));
  CHECK(!memcmp(g.descriptor, d, sizeof d) && !strcmp(g.meta, "{\"v\":2}"));
  CHECK_OK(lk_store_person_get(st, "Ada", arena, &p));
  CHECK(p.n_faces == 0);
  CHECK_ERR(lk_store_face_update(st, 999, &u), LK_ERR_NOT_FOUND);
  /* delete: a tombstone, visible only on request */
  CHECK_OK(lk_store_face_delete(st, id));
  CHECK_ERR(lk_store_face_delete(st, id), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_face_get(st, id, 0, arena, &g), LK_ERR_NOT_FOUND);
  CHECK_OK(lk_store_face_get(st, id, LK_STORE_WITH_DELETED, arena, &g));
  CHECK(g.deleted && g.deleted_at == g.updated_at && !strcmp(g.person, "Bob"));
  CHECK_ERR(lk_store_face_update(st, id, &u), LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_face_delete(st, 12345), LK_ERR_NOT_FOUND);
  /* ids are never reused, not even the highest one after its delete */
  id2 = st_add(st, "Ada", 3, 0);
  CHECK(id2 == id + 1);
  CHECK_OK(lk_store_face_delete(st, id2));
  lk_store_close(st);
  st = st_open();
  CHECK(st_add(st, "Ada", 3, 0) == id2 + 1);
  lk_store_close(st);
  st_end();
}

static void test_face_list(void)
{
  struct lk_store_face *f;
  struct lk_store *st;
  int64_t ids[10];
  int i, n;
  st_begin();
  st = st_open();
  for(i = 0; i < 10; i++)
    ids[i] = st_add(st, i % 2 ? "Odd" : "Even", i, 0.01f);
  CHECK_OK(lk_store_face_delete(st, ids[4]));
  CHECK_OK(lk_store_face_list(st, "Even", 0, 100, arena, &f, &n));
  CHECK(n == 4);
  if(n == 4)
    CHECK(f[0].id == ids[0] && f[1].id == ids[2] && f[2].id == ids[6] &&
          f[3].id == ids[8] && !strcmp(f[3].person, "Even"));
  CHECK_OK(lk_store_face_list(st, "Odd", 1, 2, arena, &f, &n));
  CHECK(n == 2 && f[0].id == ids[3] && f[1].id == ids[5]);
  CHECK_OK(lk_store_face_list(st, NULL, 0, 100, arena, &f, &n));
  CHECK(n == 9);
  CHECK_OK(lk_store_face_list(st, NULL, 8, 100, arena, &f, &n));
  CHECK(n == 1 && f[0].id == ids[9]);
  CHECK_ERR(lk_store_face_list(st, "Nobody", 0, 10, arena, &f, &n),
            LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_face_list(st, NULL, 0, 0, arena, &f, &n), LK_ERR_INVAL);
  CHECK_ERR(lk_store_face_list(st, NULL, -1, 5, arena, &f, &n), LK_ERR_INVAL);
  CHECK_ERR(lk_store_face_list(st, NULL, 0, LK_STORE_PAGE_MAX + 1, arena, &f,
                               &n), LK_ERR_INVAL);
  lk_store_close(st);
  st_end();
}

static lk_err add_named(struct lk_store *st, const char *name)
{
  struct lk_store_face_new f;
  float d[LK_STORE_DIM];
  memset(&f, 0, sizeof f);
  st_desc(d, 1, 0);
  f.person = name;
  f.descriptor = d;
  return lk_store_face_add(st, &f, NULL);
}

static void test_bad_names(void)
{
  static const char *bad[] = {
    "", "\xff", "a\x80", "\xc0\x80", "\xe2\x82", "\xed\xa0\x80",
    "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "ok\xe2\x82",
  };
  static const char *good[] = {
    "../x", "a/b", " padded ", "Zoë", "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99",
    "\xf0\x9f\x98\x80", "C:\\temp\\x", ".",
  };
  char big[LK_STORE_NAME_MAX + 2];
  size_t i;
  struct lk_store_person p;
  struct lk_store *st;
  int files;
  st_begin();
  st = st_open();
  files = st_dir_entries();
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_MSG(add_named(st, bad[i]) == LK_ERR_INVAL, "bad name %zu", i);
  CHECK_ERR(add_named(st, NULL), LK_ERR_INVAL);
  for(i = 0; i < sizeof good / sizeof good[0]; i++) {
    CHECK_MSG(add_named(st, good[i]) == LK_OK, "good name %zu", i);
    CHECK_OK(lk_store_person_get(st, good[i], arena, &p));
    CHECK(!strcmp(p.name, good[i]));
  }
  /* exactly 256 bytes, ending in a 2-byte character, is fine; 257 not */
  memset(big, 'a', sizeof big);
  memcpy(big + 254, "\xc3\xa9", 2);
  big[256] = '\0';
  CHECK_OK(add_named(st, big));
  big[256] = 'a';
  big[257] = '\0';
  CHECK_ERR(add_named(st, big), LK_ERR_INVAL);
  CHECK_ERR(lk_store_person_create(st, "\xff", NULL), LK_ERR_INVAL);
  /* names never became files */
  CHECK(st_dir_entries() == files);
  lk_store_close(st);
  st_end();
}

static lk_err add_with(struct lk_store *st, const float *d, const char *meta,
                       const char *sha, const char *detector)
{
  struct lk_store_face_new f;
  memset(&f, 0, sizeof f);
  f.person = "Ada";
  f.descriptor = d;
  f.meta = meta;
  f.sha256 = sha;
  f.detector = detector;
  return lk_store_face_add(st, &f, NULL);
}

static void test_bad_fields(void)
{
  static const char *bad_meta[] = {
    "[1,2]", "\"s\"", "12", "null", "nope", "{\"a\":", "{} {}", "{\"a\":1",
    "",
  };
  size_t i;
  struct lk_store_counts c;
  struct lk_store *st;
  float d[LK_STORE_DIM];
  char *huge;
  st_begin();
  st = st_open();
  st_desc(d, 1, 0);
  for(i = 0; i < sizeof bad_meta / sizeof bad_meta[0]; i++)
    CHECK_MSG(add_with(st, d, bad_meta[i], NULL, NULL) == LK_ERR_INVAL,
              "meta %s", bad_meta[i]);
  CHECK_OK(add_with(st, d, " {\"a\": [1, {\"b\": null}]} ", NULL, NULL));
  huge = lk_malloc(LK_STORE_META_MAX + 16);
  memset(huge, ' ', LK_STORE_META_MAX + 15);
  huge[0] = '{';
  huge[LK_STORE_META_MAX + 14] = '}';
  huge[LK_STORE_META_MAX + 15] = '\0';
  CHECK_ERR(add_with(st, d, huge, NULL, NULL), LK_ERR_INVAL);
  lk_free(huge);
  CHECK_ERR(add_with(st, d, NULL, "abc", NULL), LK_ERR_INVAL);
  CHECK_ERR(add_with(st, d, NULL, "", NULL), LK_ERR_INVAL);
  CHECK_ERR(add_with(st, d, NULL, "g000000000000000000000000000000000000000"
                     "000000000000000000000000", NULL), LK_ERR_INVAL);
  CHECK_ERR(add_with(st, d, NULL, "0000000000000000000000000000000000000000"
                     "0000000000000000000000000", NULL), LK_ERR_INVAL);
  CHECK_ERR(add_with(st, d, NULL, NULL, "a-detector-name-that-is-longer-than"
                     "-sixty-four-bytes-in-total, see?!"), LK_ERR_INVAL);
  CHECK_ERR(add_with(st, NULL, NULL, NULL, NULL), LK_ERR_INVAL);
  d[5] = NAN;
  CHECK_ERR(add_with(st, d, NULL, NULL, NULL), LK_ERR_INVAL);
  d[5] = INFINITY;
  CHECK_ERR(add_with(st, d, NULL, NULL, NULL), LK_ERR_INVAL);
  CHECK_ERR(lk_store_face_add(st, NULL, NULL), LK_ERR_INVAL);
  CHECK_OK(lk_store_counts(st, &c));
  CHECK(c.faces == 1 && c.people == 1 && c.deleted_faces == 0);
  lk_store_close(st);
  st_end();
}

/* A frozen clock: every write lands in the same instant. */
static double frozen_now(void *ctx)
{
  return *(double *)ctx;
}

static struct lk_store *open_frozen(double *clock)
{
  struct lk_store_opts o = lk_store_default_opts();
  struct lk_store *st = NULL;
  char why[LK_STORE_ERRMAX];
  o.now = frozen_now;
  o.now_ctx = clock;
  CHECK_OK(lk_store_open(&st, st_path, &o, why));
  return st;
}

static void test_sync_same_second(void)
{
  struct lk_store_face *f;
  struct lk_store *st;
  double clock = 1700000000.25;
  int64_t a, b;
  int n;
  st_begin();
  st = open_frozen(&clock);
  a = st_add(st, "Ada", 1, 0);
  b = st_add(st, "Ada", 2, 0);
  CHECK_OK(lk_store_face_changes(st, 0, 100, arena, &f, &n));
  CHECK(n == 2 && f[0].id == a && f[1].id == b);
  if(n == 2) {
    double ta = f[0].updated_at, tb = f[1].updated_at;
    /* the person took the first tick, each face one more */
    CHECK(ta > clock && tb > ta && floor(ta) == floor(tb));
    CHECK_OK(lk_store_face_changes(st, ta, 100, arena, &f, &n));
    CHECK(n == 1 && f[0].id == b);
    CHECK_OK(lk_store_face_changes(st, tb, 100, arena, &f, &n));
    CHECK(n == 0);
    /* an update and a delete after tb, still in the same instant */
    CHECK_OK(lk_store_face_delete(st, b));
    CHECK_OK(lk_store_person_rename(st, "Ada", "Ada L", 0));
    CHECK_OK(lk_store_face_changes(st, tb, 100, arena, &f, &n));
    CHECK(n == 2 && f[0].id == b && f[0].deleted && f[1].id == a);
    /* a tombstone names its person as the person is called now */
    CHECK(n == 2 && !strcmp(f[1].person, "Ada L") &&
          !strcmp(f[0].person, "Ada L"));
  }
  /* a clock stepped backwards, or a restart, never reuses a time */
  clock -= 3600;
  lk_store_close(st);
  st = open_frozen(&clock);
  CHECK_OK(lk_store_face_changes(st, 0, 100, arena, &f, &n));
  a = st_add(st, "Bob", 3, 0);
  CHECK_OK(lk_store_face_changes(st, f[n - 1].updated_at, 100, arena, &f,
                                 &n));
  CHECK(n == 1 && f[0].id == a);
  lk_store_close(st);
  st_end();
}

/* Changes since T are exactly the faces written after T, each once in its
 * latest state, and paging by the last time loses and repeats nothing. */
static void test_sync_exact(void)
{
  struct lk_store_face_update u;
  struct lk_store_face *f, *all;
  struct lk_store *st;
  int64_t ids[30], seen[64];
  double t0, since, prev;
  int i, n, total = 0, pages = 0;
  st_begin();
  st = st_open();
  for(i = 0; i < 10; i++)
    ids[i] = st_add(st, i < 5 ? "Ada" : "Bob", i, 0.01f);
  CHECK_OK(lk_store_face_changes(st, 0, 1000, arena, &all, &n));
  CHECK(n == 10);
  t0 = all[n - 1].updated_at;
  /* touched after t0: 2 (update), 3 (delete), 5..9 (Bob deleted), 10..29 */
  memset(&u, 0, sizeof u);
  u.meta = "{\"x\":1}";
  CHECK_OK(lk_store_face_update(st, ids[2], &u));
  CHECK_OK(lk_store_face_delete(st, ids[3]));
  CHECK_OK(lk_store_person_delete(st, "Bob", NULL));
  for(i = 10; i < 30; i++)
    ids[i] = st_add(st, "Cy", i, 0.01f);
  for(since = t0, prev = t0; pages < 20; pages++) {
    CHECK_OK(lk_store_face_changes(st, since, 7, arena, &f, &n));
    for(i = 0; i < n && total < 64; i++) {
      CHECK(f[i].updated_at > prev);
      prev = f[i].updated_at;
      seen[total++] = f[i].id;
    }
    if(n < 7)
      break;
    since = f[n - 1].updated_at;
  }
  CHECK_MSG(total == 27, "saw %d changes", total);
  for(i = 0; i < total; i++) {
    int64_t id = seen[i];
    int j, dup = 0;
    for(j = 0; j < i; j++)
      dup |= seen[j] == id;
    CHECK(!dup);
    CHECK(id != ids[0] && id != ids[1] && id != ids[4]);
  }
  CHECK_ERR(lk_store_face_changes(st, NAN, 7, arena, &f, &n), LK_ERR_INVAL);
  CHECK_ERR(lk_store_face_changes(st, 0, 0, arena, &f, &n), LK_ERR_INVAL);
  lk_store_close(st);
  st_end();
}

/* Close right after writing, with nothing else: all of it is there. */
static void test_durable_reopen(void)
{
  struct lk_store_counts c;
  struct lk_store_face f;
  struct lk_store_match *m;
  struct lk_store *st;
  float d[LK_STORE_DIM];
  int64_t ids[50];
  int i, n;
  st_begin();
  st = st_open();
  for(i = 0; i < 50; i++)
    ids[i] = st_add(st, i % 5 ? "Ada" : "Bob", 100 + i, 0.01f);
  CHECK_OK(lk_store_face_delete(st, ids[7]));
  lk_store_close(st);
  st = st_open();
  CHECK_OK(lk_store_counts(st, &c));
  CHECK(c.people == 2 && c.faces == 49 && c.deleted_faces == 1);
  for(i = 0; i < 50; i++) {
    lk_err want = i == 7 ? LK_ERR_NOT_FOUND : LK_OK;
    CHECK(lk_store_face_get(st, ids[i], 0, arena, &f) == want);
    if(i == 7)
      continue;
    st_desc(d, 100 + i, 0.01f);
    CHECK(!memcmp(f.descriptor, d, sizeof d));
    CHECK(!strcmp(f.person, i % 5 ? "Ada" : "Bob"));
  }
  /* the index was rebuilt from the file */
  st_desc(d, 100 + 3, 0);
  CHECK_OK(lk_store_match(st, d, 0, LK_STORE_MATCH_FACES, arena, &m, &n));
  CHECK(n == 49);
  lk_store_close(st);
  st_end();
}

/* Another process holding the write lock past busy_timeout: LK_ERR_BUSY,
 * nothing half-written, and the next try after it lets go succeeds. */
static void test_busy(void)
{
  struct lk_store_opts o = lk_store_default_opts();
  struct lk_store_counts c;
  struct lk_store *st = NULL;
  struct lk_store_match *m;
  float d[LK_STORE_DIM];
  sqlite3 *db;
  int n;
  st_begin();
  o.busy_timeout_ms = 50;
  CHECK_OK(lk_store_open(&st, st_path, &o, NULL));
  st_add(st, "Ada", 1, 0);
  db = raw_open();
  CHECK(raw_exec(db, "BEGIN IMMEDIATE") == SQLITE_OK);
  CHECK_ERR(add_named(st, "Bob"), LK_ERR_BUSY);
  CHECK_ERR(lk_store_person_delete(st, "Ada", NULL), LK_ERR_BUSY);
  /* reads go on while the lock is held (WAL) */
  CHECK_OK(lk_store_counts(st, &c));
  CHECK(c.faces == 1 && c.people == 1);
  st_desc(d, 1, 0);
  CHECK_OK(lk_store_match(st, d, 0, 0, arena, &m, &n));
  CHECK(n == 1);
  raw_exec(db, "ROLLBACK");
  sqlite3_close(db);
  CHECK_OK(add_named(st, "Bob"));
  CHECK_OK(lk_store_counts(st, &c));
  CHECK(c.faces == 2 && c.people == 2);
  lk_store_close(st);
  st_end();
}

int main(void)
{
  lk_log_set_level(LK_LOG_WARN);   /* keep the expected errors visible */
  RUN(test_schema_created);
  RUN(test_migrate_v1);
  RUN(test_open_refusals);
  RUN(test_people);
  RUN(test_rename);
  RUN(test_face_fields);
  RUN(test_face_update_delete);
  RUN(test_face_list);
  RUN(test_bad_names);
  RUN(test_bad_fields);
  RUN(test_sync_same_second);
  RUN(test_sync_exact);
  RUN(test_durable_reopen);
  RUN(test_busy);
  return test_report();
}
