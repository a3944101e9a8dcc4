/* test_dt_train.c - Double Take's training store on the real models and
 * a real gallery: photos added, taught by the worker and then recognized
 * under the folder's name; progress per name; a photo moved to another
 * person; one photo or a whole name untrained and retrained; a folder
 * deleted; photos dropped in by hand picked up at open; rows left queued
 * by a restart resumed; a full queue refused; and hostile names,
 * corrupt bytes and a photo without a face refused or recorded, never
 * followed outside DATA/train. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "dt/dt_config.h"
#include "dt/dt_train.h"
#include "pipeline/pipeline.h"
#include "test.h"

#define LFW LK_TESTDATA "/lfw_small/"
#define BIDEN1 LFW "Joseph_Biden/Joseph_Biden_0001.jpg"
#define BIDEN2 LFW "Joseph_Biden/Joseph_Biden_0002.jpg"
#define BIDEN3 LFW "Joseph_Biden/Joseph_Biden_0003.jpg"
#define HALLE1 LFW "Halle_Berry/Halle_Berry_0001.jpg"
#define HALLE2 LFW "Halle_Berry/Halle_Berry_0002.jpg"
#define HALLE5 LFW "Halle_Berry/Halle_Berry_0005.jpg"
#define LUCY1 LFW "Lucy_Liu/Lucy_Liu_0001.jpg"
#define LUCY2 LFW "Lucy_Liu/Lucy_Liu_0002.jpg"
#define NOFACE LK_TESTDATA "/compreface_samples/_detection/017_0.jpg"
#define PNG LK_TESTDATA "/face_recognition/alex_lacamoire/alex-lacamoire.png"

#define IDLE_MS 120000

static struct lk_face_models *models;
static struct lk_face_engine *engine;
static struct lk_store *store;
static struct lk_pipeline *pipe_;
static struct lk_arena *cfg_arena;
static struct lk_dt_config cfg;
static struct lk_dt_train *train;
static char dir[] = "/tmp/lk_dttrain_XXXXXX";
static char data_dir[128];

/* ---- helpers ------------------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  unsigned char *b = NULL;
  long n;
  *len = 0;
  if(!f)
    return NULL;
  if(!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
     (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) == (size_t)n)
    *len = (size_t)n;
  fclose(f);
  return b;
}

static lk_err add_file(const char *name, const char *path, int64_t *id)
{
  char why[LK_DT_TRAIN_ERRMAX] = "";
  size_t len;
  unsigned char *img = slurp(path, &len);
  lk_err err = lk_dt_train_add(train, name, img, len, strrchr(path, '/') + 1,
                               id, why);
  CHECK_MSG(err == LK_OK, "%s: %s", path, why);
  free(img);
  return err;
}

static void idle(void)
{
  CHECK(lk_dt_train_wait_idle(train, IDLE_MS) == LK_OK);
}

/* The gallery's live faces of name (0 when there is no such person). */
static int64_t faces_of(const char *name)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_store_person p;
  int64_t n = lk_store_person_get(store, name, a, &p) ? 0 : p.n_faces;
  lk_arena_destroy(a);
  return n;
}

/* Who the gallery says is in the photo, with what confidence. */
static int recognized(const char *path, const char *name, float min)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_pipeline_result r;
  char why[LK_PIPELINE_ERRMAX];
  size_t len;
  unsigned char *img = slurp(path, &len);
  int ok = !lk_pipeline_recognize(pipe_, img, len, 1, a, &r, why) &&
           r.n_faces > 0 && r.faces[0].n_matches > 0 &&
           !strcmp(r.faces[0].matches[0].person, name) &&
           r.faces[0].matches[0].confidence >= min;
  free(img);
  lk_arena_destroy(a);
  return ok;
}

/* The photo with this id, and its result for detector (or NULL). */
static const struct lk_dt_train_result *result_of(int64_t id,
                                                  const char *detector,
                                                  struct lk_arena *a,
                                                  struct lk_dt_train_file *f)
{
  int i;
  if(lk_dt_train_get(train, id, a, f))
    return NULL;
  for(i = 0; i < f->n_results; i++)
    if(!strcmp(f->results[i].detector, detector))
      return &f->results[i];
  return NULL;
}

static int exists(const char *sub, const char *name)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s/%s", data_dir, sub, name);
  return access(p, F_OK) == 0;
}

static void put_file(const char *folder, const char *name, const void *data,
                     size_t len)
{
  char p[512];
  FILE *f;
  snprintf(p, sizeof p, "%s/train/%s", data_dir, folder);
  mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/train/%s/%s", data_dir, folder, name);
  f = fopen(p, "wb");
  CHECK(f != NULL);
  if(f) {
    CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
  }
}

static struct lk_dt_train *open_store(long queue_max)
{
  struct lk_dt_train_opts o = lk_dt_train_default_opts();
  struct lk_dt_train *t = NULL;
  char why[LK_DT_TRAIN_ERRMAX] = "";
  o.cfg = &cfg;
  o.pipe = pipe_;
  if(queue_max)
    o.queue_max = queue_max;
  CHECK_MSG(lk_dt_train_open(&t, data_dir, &o, why) == LK_OK, "%s", why);
  return t;
}

/* ---- tests -------------------------------------------------------------- */

static void test_names(void)
{
  char long_ok[201], long_bad[202];
  memset(long_ok, 'a', 200);
  long_ok[200] = '\0';
  memset(long_bad, 'a', 201);
  long_bad[201] = '\0';
  CHECK(lk_dt_train_name_ok("Ada"));
  CHECK(lk_dt_train_name_ok("Joe Biden"));
  CHECK(lk_dt_train_name_ok("Jos\xc3\xa9"));
  CHECK(lk_dt_train_name_ok("\xe6\x9d\x8e"));              /* CJK */
  CHECK(lk_dt_train_name_ok("a.b"));
  CHECK(lk_dt_train_name_ok(long_ok));
  CHECK(!lk_dt_train_name_ok(long_bad));
  CHECK(!lk_dt_train_name_ok(NULL));
  CHECK(!lk_dt_train_name_ok(""));
  CHECK(!lk_dt_train_name_ok("."));
  CHECK(!lk_dt_train_name_ok(".."));
  CHECK(!lk_dt_train_name_ok(".hidden"));
  CHECK(!lk_dt_train_name_ok("a/b"));
  CHECK(!lk_dt_train_name_ok("../etc"));
  CHECK(!lk_dt_train_name_ok("a..b"));
  CHECK(!lk_dt_train_name_ok("a\\b"));
  CHECK(!lk_dt_train_name_ok("a\nb"));
  CHECK(!lk_dt_train_name_ok("a\x7f"));
  CHECK(!lk_dt_train_name_ok("\xff"));
  CHECK(!lk_dt_train_name_ok("\xc0\xaf"));                 /* overlong / */
  CHECK(!lk_dt_train_name_ok("\xed\xa0\x80"));             /* surrogate */
  CHECK(!lk_dt_train_name_ok("\xc3"));                     /* cut short */
}

/* Names that would leave DATA/train are refused before any path is
 * built: nothing appears beside DATA/train or outside it. */
static void test_hostile_names(void)
{
  static const char *const bad[] = { "..", "../x", "/etc", "a/../../b",
                                     ".ssh", "x\xff", "" };
  struct lk_arena *a = lk_arena_create(0);
  const unsigned char *data;
  const char *type;
  char why[LK_DT_TRAIN_ERRMAX];
  size_t len, i;
  size_t n;
  unsigned char *img = slurp(BIDEN1, &n);
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(lk_dt_train_folder_create(train, bad[i]) == LK_ERR_INVAL);
    CHECK(lk_dt_train_folder_delete(train, bad[i], NULL) == LK_ERR_INVAL);
    CHECK(lk_dt_train_add(train, bad[i], img, n, "x.jpg", NULL, why) ==
          LK_ERR_INVAL);
    CHECK(lk_dt_train_retrain(train, bad[i]) == LK_ERR_INVAL);
    CHECK(lk_dt_train_remove(train, bad[i], NULL, 0) == LK_ERR_INVAL);
    CHECK(lk_dt_train_image(train, bad[i], "x.jpg", 0, 0, a, &data, &len,
                            &type) == LK_ERR_INVAL);
  }
  CHECK(lk_dt_train_image(train, "Ada", "../../train.db", 0, 0, a, &data,
                          &len, &type) == LK_ERR_INVAL);
  CHECK(lk_dt_train_image(train, "Ada", "..", 0, 0, a, &data, &len,
                          &type) == LK_ERR_INVAL);
  CHECK(lk_dt_train_move(train, 1, "../x") == LK_ERR_INVAL);
  /* a client's file name never becomes a path: only its stem is kept */
  CHECK(lk_dt_train_add(train, "Hostile", img, n, "../../../etc/passwd.jpg",
                        NULL, why) == LK_OK);
  CHECK(!exists("", "etc") && !exists("train", "etc"));
  idle();
  CHECK(lk_dt_train_folder_delete(train, "Hostile", NULL) == LK_OK);
  CHECK(lk_dt_train_remove(train, "Hostile", NULL, 0) == LK_OK);
  CHECK(faces_of("Hostile") == 0);
  free(img);
  lk_arena_destroy(a);
}

/* Bytes that are not a JPEG or PNG are refused, nothing is written. */
static void test_corrupt(void)
{
  static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
  struct lk_dt_train_page p;
  struct lk_arena *a = lk_arena_create(0);
  char why[LK_DT_TRAIN_ERRMAX];
  size_t n;
  unsigned char *img = slurp(BIDEN1, &n);
  CHECK(lk_dt_train_add(train, "Corrupt", "hello", 5, "x.jpg", NULL, why) ==
        LK_ERR_IMAGE);
  CHECK(strstr(why, "JPEG") != NULL);
  CHECK(lk_dt_train_add(train, "Corrupt", img, n / 3, "cut.jpg", NULL,
                        why) == LK_ERR_IMAGE);
  CHECK(lk_dt_train_add(train, "Corrupt", gif, sizeof gif - 1, "a.gif",
                        NULL, why) == LK_ERR_UNSUPPORTED);
  CHECK(lk_dt_train_add(train, "Corrupt", NULL, 0, "x.jpg", NULL, why) ==
        LK_ERR_IMAGE);
  CHECK(lk_dt_train_list(train, "Corrupt", 1, 10, a, &p) == LK_OK);
  CHECK(p.total == 0);
  free(img);
  lk_arena_destroy(a);
}

/* The real check: photos taught through the store make the gallery
 * recognize another photo of that person under the folder's name. */
static void test_add_and_recognize(void)
{
  struct lk_arena *a = lk_arena_create(0);
  const struct lk_dt_train_result *r;
  struct lk_dt_train_status *s;
  struct lk_dt_train_file f;
  struct lk_dt_train_page p;
  int64_t id1 = 0, id2 = 0;
  int n;

  CHECK(!recognized(BIDEN3, "Joe Biden", 0.6f));
  add_file("Joe Biden", BIDEN1, &id1);
  add_file("Joe Biden", BIDEN2, &id2);
  CHECK(id1 > 0 && id2 > id1);
  idle();
  CHECK(faces_of("Joe Biden") == 2);
  CHECK(recognized(BIDEN3, "Joe Biden", 0.6f));
  CHECK(!recognized(HALLE2, "Joe Biden", 0.5f));

  r = result_of(id1, "likeness", a, &f);
  CHECK(r && !r->queued && r->status == 200 && f.n_results == 1);
  CHECK(r && strstr(r->result, "\"status\":200") &&
        strstr(r->result, "\"face_id\":"));
  CHECK(f.width == 250 && f.height == 250);
  CHECK(!strncmp(f.filename, "Joseph_Biden_0001-", 18) &&
        strstr(f.filename, ".jpg"));
  CHECK(exists("train/Joe Biden", f.filename));

  CHECK(lk_dt_train_list(train, "Joe Biden", 1, 1, a, &p) == LK_OK);
  CHECK(p.total == 2 && p.n == 1 && p.files[0].id == id2);   /* newest */
  CHECK(lk_dt_train_list(train, "Joe Biden", 2, 1, a, &p) == LK_OK);
  CHECK(p.n == 1 && p.files[0].id == id1);
  CHECK(lk_dt_train_list(train, NULL, 0, 1, a, &p) == LK_ERR_INVAL);
  CHECK(lk_dt_train_list(train, NULL, 1, 0, a, &p) == LK_ERR_INVAL);

  CHECK(lk_dt_train_status(train, a, &s, &n) == LK_OK);
  CHECK(n == 1 && !strcmp(s[0].name, "Joe Biden") && s[0].trained == 2 &&
        s[0].total == 2 && s[0].percent == 100);
  lk_arena_destroy(a);
}

/* A PNG is kept as .png and trains like a JPEG. */
static void test_png(void)
{
  struct lk_arena *a = lk_arena_create(0);
  const struct lk_dt_train_result *r;
  struct lk_dt_train_file f;
  int64_t id = 0;
  add_file("Alex", PNG, &id);
  idle();
  r = result_of(id, "likeness", a, &f);
  CHECK(r && r->status == 200);
  CHECK(strstr(f.filename, ".png") != NULL && f.width > 0);
  CHECK(lk_dt_train_folder_delete(train, "Alex", NULL) == LK_OK);
  lk_arena_destroy(a);
}

/* A photo without a face is kept and recorded as failed. */
static void test_no_face(void)
{
  struct lk_arena *a = lk_arena_create(0);
  const struct lk_dt_train_result *r;
  struct lk_dt_train_status *s;
  struct lk_dt_train_file f;
  int64_t id = 0;
  int n, i, seen = 0;
  add_file("Nobody", NOFACE, &id);
  idle();
  r = result_of(id, "likeness", a, &f);
  CHECK(r && !r->queued && r->status == 400);
  CHECK(r && strstr(r->result, "no face") != NULL);
  CHECK(faces_of("Nobody") == 0);
  CHECK(lk_dt_train_status(train, a, &s, &n) == LK_OK);
  for(i = 0; i < n; i++) {
    if(!strcmp(s[i].name, "Nobody")) {
      seen = 1;
      CHECK(s[i].trained == 1 && s[i].total == 1 && s[i].percent == 100);
    }
  }
  CHECK(seen);
  lk_arena_destroy(a);
}

/* PATCH /train/<id>: the file moves, likeness forgets the old name's
 * face and learns the new one. */
static void test_move(void)
{
  struct lk_arena *a = lk_arena_create(0);
  const struct lk_dt_train_result *r;
  struct lk_dt_train_file f;
  int64_t id = 0, other = 0;
  add_file("Wrong Name", HALLE1, &id);
  idle();
  CHECK(faces_of("Wrong Name") == 1);
  CHECK(lk_dt_train_move(train, id, "Halle Berry") == LK_OK);
  idle();
  CHECK(faces_of("Wrong Name") == 0);
  CHECK(faces_of("Halle Berry") == 1);
  CHECK(recognized(HALLE5, "Halle Berry", 0.6f));
  r = result_of(id, "likeness", a, &f);
  CHECK(r && r->status == 200 && !strcmp(f.name, "Halle Berry"));
  CHECK(exists("train/Halle Berry", f.filename));
  CHECK(!exists("train/Wrong Name", f.filename));
  CHECK(lk_dt_train_move(train, 999999, "Halle Berry") == LK_ERR_NOT_FOUND);
  /* the same file name in the target folder is refused, not replaced */
  add_file("Wrong Name", HALLE1, &other);
  idle();
  CHECK(lk_dt_train_get(train, other, a, &f) == LK_OK);
  put_file("Halle Berry", f.filename, "x", 1);
  CHECK(lk_dt_train_move(train, other, "Halle Berry") == LK_ERR_EXISTS);
  CHECK(exists("train/Wrong Name", f.filename));
  CHECK(lk_dt_train_delete(train, &other, 1, NULL) == LK_OK);
  CHECK(lk_dt_train_remove(train, "Wrong Name", NULL, 0) == LK_OK);
  CHECK(faces_of("Wrong Name") == 0);
  lk_arena_destroy(a);
}

/* One photo untrained: its face goes, the other stays. */
static void test_remove_ids(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_train_page p;
  struct lk_dt_train_file f;
  int64_t id, keep, bogus[2];
  CHECK(lk_dt_train_list(train, "Joe Biden", 1, 10, a, &p) == LK_OK);
  CHECK(p.n == 2);
  if(p.n != 2)
    goto out;
  id = p.files[0].id;
  keep = p.files[1].id;
  /* ids of another name change nothing */
  bogus[0] = keep + 1000;
  bogus[1] = id + 2000;
  CHECK(lk_dt_train_remove(train, "Joe Biden", bogus, 2) == LK_OK);
  CHECK(faces_of("Joe Biden") == 2);
  CHECK(lk_dt_train_remove(train, "Joe Biden", &id, 1) == LK_OK);
  idle();
  CHECK(faces_of("Joe Biden") == 1);
  CHECK(result_of(id, "likeness", a, &f) == NULL && f.n_results == 0);
  CHECK(exists("train/Joe Biden", f.filename));     /* the photo stays */
  CHECK(result_of(keep, "likeness", a, &f) != NULL);
out:
  lk_arena_destroy(a);
}

/* The whole name untrained, then retrained. */
static void test_remove_and_retrain(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_train_status *s;
  struct lk_dt_train_page p;
  int n, i;
  CHECK(lk_dt_train_remove(train, "Joe Biden", NULL, 0) == LK_OK);
  CHECK(faces_of("Joe Biden") == 0);
  CHECK(!recognized(BIDEN3, "Joe Biden", 0.0f));
  CHECK(lk_dt_train_list(train, "Joe Biden", 1, 10, a, &p) == LK_OK);
  CHECK(p.total == 2);
  for(i = 0; i < p.n; i++)
    CHECK(p.files[i].n_results == 0);
  CHECK(lk_dt_train_status(train, a, &s, &n) == LK_OK);
  for(i = 0; i < n; i++)
    CHECK(strcmp(s[i].name, "Joe Biden"));
  CHECK(lk_dt_train_retrain(train, "Joe Biden") == LK_OK);
  idle();
  CHECK(faces_of("Joe Biden") == 2);
  CHECK(recognized(BIDEN3, "Joe Biden", 0.6f));
  /* retraining again replaces the faces rather than adding more */
  CHECK(lk_dt_train_retrain(train, "Joe Biden") == LK_OK);
  idle();
  CHECK(faces_of("Joe Biden") == 2);
  lk_arena_destroy(a);
}

/* Faces registered by another API under the same name are not ours to
 * untrain. */
static void test_other_faces_stay(void)
{
  struct lk_arena *a = lk_arena_create(0);
  char why[LK_PIPELINE_ERRMAX];
  size_t len;
  int64_t id;
  unsigned char *img = slurp(BIDEN3, &len);
  CHECK(lk_pipeline_register(pipe_, "Joe Biden", img, len, NULL, a, &id,
                             why) == LK_OK);
  CHECK(faces_of("Joe Biden") == 3);
  CHECK(lk_dt_train_remove(train, "Joe Biden", NULL, 0) == LK_OK);
  CHECK(faces_of("Joe Biden") == 1);
  CHECK(lk_pipeline_face_delete(pipe_, id) == LK_OK);
  CHECK(lk_dt_train_retrain(train, "Joe Biden") == LK_OK);
  idle();
  CHECK(faces_of("Joe Biden") == 2);
  free(img);
  lk_arena_destroy(a);
}

/* Folders: Double Take's delete does not untrain; an untrain of the name
 * afterwards still finds the faces this store made. */
static void test_folders(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_train_page p;
  const char **names;
  long files = 0;
  int n, i, seen = 0;
  CHECK(lk_dt_train_folder_create(train, "Empty One") == LK_OK);
  CHECK(lk_dt_train_folder_create(train, "Empty One") == LK_OK);
  CHECK(lk_dt_train_folders(train, a, &names, &n) == LK_OK);
  for(i = 0; i < n; i++) {
    seen += !strcmp(names[i], "Empty One");
    CHECK(i == 0 || strcmp(names[i - 1], names[i]) < 0);
  }
  CHECK(seen == 1);
  CHECK(lk_dt_train_folder_delete(train, "Empty One", NULL) == LK_OK);
  CHECK(lk_dt_train_folder_delete(train, "Never There", NULL) == LK_OK);

  add_file("Lucy Liu", LUCY1, NULL);
  idle();
  CHECK(faces_of("Lucy Liu") == 1);
  CHECK(lk_dt_train_folder_delete(train, "Lucy Liu", &files) == LK_OK);
  CHECK(files == 1);
  CHECK(!exists("train", "Lucy Liu"));
  CHECK(lk_dt_train_list(train, "Lucy Liu", 1, 10, a, &p) == LK_OK);
  CHECK(p.total == 0);
  CHECK(faces_of("Lucy Liu") == 1);                 /* as Double Take */
  CHECK(lk_dt_train_remove(train, "Lucy Liu", NULL, 0) == LK_OK);
  CHECK(faces_of("Lucy Liu") == 0);
  lk_arena_destroy(a);
}

/* DELETE /storage/train: the photos and rows go, unknown ids are
 * skipped. */
static void test_delete(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_train_file f;
  int64_t ids[2] = { 0, 424242 };
  long deleted = 0;
  add_file("Deleted", HALLE1, &ids[0]);
  idle();
  CHECK(lk_dt_train_get(train, ids[0], a, &f) == LK_OK);
  CHECK(exists("train/Deleted", f.filename));
  CHECK(lk_dt_train_delete(train, ids, 2, &deleted) == LK_OK);
  CHECK(deleted == 1);
  CHECK(!exists("train/Deleted", f.filename));
  CHECK(lk_dt_train_get(train, ids[0], a, &f) == LK_ERR_NOT_FOUND);
  CHECK(lk_dt_train_delete(train, NULL, -1, NULL) == LK_ERR_INVAL);
  CHECK(lk_dt_train_folder_delete(train, "Deleted", NULL) == LK_OK);
  CHECK(lk_dt_train_remove(train, "Deleted", NULL, 0) == LK_OK);
  lk_arena_destroy(a);
}

/* The file back, and a thumbnail no wider than asked. */
static void test_image(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_dt_train_page p;
  struct lk_image im;
  const unsigned char *data;
  const char *type;
  size_t len, n;
  unsigned char *orig = slurp(BIDEN1, &n);
  CHECK(lk_dt_train_list(train, "Joe Biden", 2, 1, a, &p) == LK_OK);
  if(p.n != 1)
    goto out;
  CHECK(lk_dt_train_image(train, "Joe Biden", p.files[0].filename, 0, 0, a,
                          &data, &len, &type) == LK_OK);
  CHECK(len == n && !memcmp(data, orig, n) && !strcmp(type, "image/jpeg"));
  CHECK(lk_dt_train_image(train, "Joe Biden", p.files[0].filename, 100, 70,
                          a, &data, &len, &type) == LK_OK);
  CHECK(!strcmp(type, "image/jpeg") &&
        lk_image_decode(data, len, &o, a, &im, NULL) == LK_OK &&
        im.width == 100 && im.height == 100);
  /* never enlarged */
  CHECK(lk_dt_train_image(train, "Joe Biden", p.files[0].filename, 1000, 70,
                          a, &data, &len, &type) == LK_OK);
  CHECK(lk_image_decode(data, len, &o, a, &im, NULL) == LK_OK &&
        im.width == 250);
  CHECK(lk_dt_train_image(train, "Joe Biden", "missing.jpg", 0, 0, a, &data,
                          &len, &type) == LK_ERR_NOT_FOUND);
out:
  free(orig);
  lk_arena_destroy(a);
}

/* Photos dropped in by hand are listed (untrained) after a restart, rows
 * of vanished files go, a crash's temporary file goes, and a retrain
 * teaches what was found. */
static void test_sync_from_disk(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_train_page p;
  struct lk_dt_train_file f;
  char gone[300];
  size_t n;
  unsigned char *img = slurp(LUCY2, &n);
  int64_t id = 0;
  int i;

  add_file("Sync Gone", HALLE1, &id);
  idle();
  CHECK(lk_dt_train_get(train, id, a, &f) == LK_OK);
  snprintf(gone, sizeof gone, "%s/train/Sync Gone/%s", data_dir, f.filename);
  lk_dt_train_close(train);

  CHECK(unlink(gone) == 0);
  put_file("Lucy Liu", "by hand.JPG", img, n);
  put_file("Lucy Liu", "notes.txt", "hello", 5);
  put_file("Lucy Liu", ".hidden.jpg", img, n);
  put_file("Lucy Liu", "x.jpg.tmp.ABC123", img, 10);
  put_file("Lucy Liu", "broken.jpg", img, n / 4);
  train = open_store(0);
  if(!train)
    goto out;
  CHECK(lk_dt_train_get(train, id, a, &f) == LK_ERR_NOT_FOUND);
  CHECK(!exists("train/Lucy Liu", "x.jpg.tmp.ABC123"));
  CHECK(exists("train/Lucy Liu", "notes.txt"));
  CHECK(lk_dt_train_list(train, "Lucy Liu", 1, 10, a, &p) == LK_OK);
  CHECK(p.total == 2);
  for(i = 0; i < p.n; i++) {
    CHECK(p.files[i].n_results == 0);
    CHECK(!strcmp(p.files[i].filename, "by hand.JPG") ||
          !strcmp(p.files[i].filename, "broken.jpg"));
    if(!strcmp(p.files[i].filename, "by hand.JPG"))
      CHECK(p.files[i].width == 250);
  }
  CHECK(faces_of("Lucy Liu") == 0);
  CHECK(lk_dt_train_retrain(train, "Lucy Liu") == LK_OK);
  idle();
  CHECK(faces_of("Lucy Liu") == 1);
  CHECK(recognized(LUCY1, "Lucy Liu", 0.6f));
  CHECK(lk_dt_train_list(train, "Lucy Liu", 1, 10, a, &p) == LK_OK);
  for(i = 0; i < p.n; i++) {
    CHECK(p.files[i].n_results == 1);
    if(p.files[i].n_results == 1)
      CHECK(p.files[i].results[0].status ==
            (strcmp(p.files[i].filename, "broken.jpg") ? 200 : 400));
  }
  CHECK(lk_dt_train_folder_delete(train, "Sync Gone", NULL) == LK_OK);
  CHECK(lk_dt_train_remove(train, "Sync Gone", NULL, 0) == LK_OK);
out:
  free(img);
  lk_arena_destroy(a);
}

/* Rows still queued at close are taught after the next open; a retrain
 * that would overflow the queue is refused. */
static void test_restart_and_bound(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_train_page p;
  int i;
  add_file("Restart", BIDEN1, NULL);
  add_file("Restart", BIDEN2, NULL);
  add_file("Restart", BIDEN3, NULL);
  lk_dt_train_close(train);          /* most likely with rows queued */
  train = open_store(2);
  if(!train)
    goto out;
  idle();
  CHECK(lk_dt_train_list(train, "Restart", 1, 10, a, &p) == LK_OK);
  CHECK(p.total == 3);
  for(i = 0; i < p.n; i++)
    CHECK(p.files[i].n_results == 1 && p.files[i].results[0].status == 200);
  CHECK(lk_dt_train_retrain(train, "Restart") == LK_ERR_BUSY);
  CHECK(lk_dt_train_remove(train, "Restart", NULL, 0) == LK_OK);
  CHECK(lk_dt_train_folder_delete(train, "Restart", NULL) == LK_OK);
  lk_dt_train_close(train);
  train = open_store(0);
out:
  lk_arena_destroy(a);
}

/* Someone else's SQLite file is refused, not migrated. */
static void test_foreign_db(void)
{
  char other[160], why[LK_DT_TRAIN_ERRMAX] = "";
  struct lk_dt_train_opts o = lk_dt_train_default_opts();
  struct lk_dt_train *t = NULL;
  FILE *f;
  snprintf(other, sizeof other, "%s/other", dir);
  mkdir(other, 0700);
  snprintf(other, sizeof other, "%s/other/train.db", dir);
  f = fopen(other, "wb");
  CHECK(f != NULL);
  if(f) {
    fputs("not sqlite at all, long enough to be read as a header ......."
          "..............................................................",
          f);
    fclose(f);
  }
  snprintf(other, sizeof other, "%s/other", dir);
  o.cfg = &cfg;
  CHECK(lk_dt_train_open(&t, other, &o, why) != LK_OK && t == NULL);
  CHECK(why[0] != '\0');
  o.cfg = NULL;
  CHECK(lk_dt_train_open(&t, other, &o, why) == LK_ERR_INVAL);
}

/* ---- main --------------------------------------------------------------- */

static const char *no_env(void *ctx, const char *name)
{
  (void)ctx;
  (void)name;
  return NULL;
}

static int setup(void)
{
  struct lk_pipeline_config pc = lk_pipeline_default_config();
  struct lk_store_opts so = lk_store_default_opts();
  char why[512] = "", path[160];
  if(!mkdtemp(dir))
    return -1;
  snprintf(path, sizeof path, "%s/likeness.db", dir);
  snprintf(data_dir, sizeof data_dir, "%s/data", dir);
  cfg_arena = lk_arena_create(0);
  if(lk_face_models_load(&models, LK_MODEL_DIR, why) ||
     lk_face_engine_create(&engine, models, 1) ||
     lk_store_open(&store, path, &so, why) ||
     lk_pipeline_create(&pipe_, engine, store, &pc) ||
     lk_dt_config_load_env(NULL, NULL, no_env, NULL, cfg_arena, &cfg, why)) {
    fprintf(stderr, "set-up failed: %s\n", why);
    return -1;
  }
  train = open_store(0);
  return train ? 0 : -1;
}

static void teardown(void)
{
  lk_dt_train_close(train);
  lk_pipeline_destroy(pipe_);
  lk_store_close(store);
  lk_face_engine_destroy(engine);
  lk_face_models_free(models);
  lk_arena_destroy(cfg_arena);
}

int main(void)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  size_t mem0;
  char cmd[160];
  int rc;
  cJSON_InitHooks(&hooks);
  lk_log_set_level(LK_LOG_ERROR);
  mem0 = lk_mem_in_use();
  if(setup())
    return 1;
  RUN(test_names);
  RUN(test_hostile_names);
  RUN(test_corrupt);
  RUN(test_add_and_recognize);
  RUN(test_png);
  RUN(test_no_face);
  RUN(test_move);
  RUN(test_remove_ids);
  RUN(test_remove_and_retrain);
  RUN(test_other_faces_stay);
  RUN(test_folders);
  RUN(test_delete);
  RUN(test_image);
  RUN(test_sync_from_disk);
  RUN(test_restart_and_bound);
  RUN(test_foreign_db);
  teardown();
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes still allocated",
            lk_mem_in_use() - mem0);
  rc = test_report();
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? rc : 1;
}
