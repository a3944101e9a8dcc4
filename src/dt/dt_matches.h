/* dt_matches.h - Double Take's matches storage: every processed image kept
 * with its results (DATA/matches.db, DATA/matches/<uuid>.jpg), listed,
 * filtered and paged as /api/match does, deleted, purged by age, swept of
 * orphans after a crash, and the annotated "latest" image per name, camera
 * and unknown (DATA/latest/<key>.jpg). compat-apis.md §1.5, §1.10;
 * docs/dt-matches.md.
 *
 * Threads: one handle serves any number of threads (event workers save
 * while HTTP threads list and read); only lk_dt_matches_close must not
 * run concurrently with anything. Results live in the caller's arena.
 *
 *   struct lk_dt_matches *m;
 *   char file[LK_DT_MATCHES_FILE_SIZE], why[LK_DT_MATCHES_ERRMAX];
 *   err = lk_dt_matches_open(&m, "/data", NULL, why);
 *   err = lk_dt_matches_save(m, &row, &id, file, why);
 *   err = lk_dt_matches_list(m, &filter, 0, 1, 50, arena, &page);
 *   err = lk_dt_matches_purge(m, 168, 8, &n);        every minute
 *   lk_dt_matches_close(m);
 */
#ifndef LK_DT_MATCHES_H
#define LK_DT_MATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"

#define LK_DT_MATCHES_ERRMAX 256
#define LK_DT_MATCHES_FILE_SIZE 41      /* "<uuid>.jpg" and its NUL */
#define LK_DT_MATCHES_TEXT_MAX 256      /* bytes: ids, cameras, names, ... */
#define LK_DT_MATCHES_ZONES_MAX 64
#define LK_DT_MATCHES_FACES_MAX 256     /* faces in one saved image */
#define LK_DT_MATCHES_RESULT_MAX ((size_t)1 << 20)  /* result JSON bytes */
#define LK_DT_MATCHES_PAGE_MAX 1000     /* rows in one list call */
#define LK_DT_MATCHES_DELETE_MAX 10000  /* ids in one delete call */

struct lk_dt_matches;

struct lk_dt_matches_opts {
  int readers;              /* read connections, 1..16 (default 2) */
  int busy_timeout_ms;      /* SQLite busy timeout (default 5000) */
  int jpeg_quality;         /* latest images, 1..100 (default 90) */
  /* Unix seconds for created_at and purges; NULL: the real clock. Tests
   * set it to move time. Called from any thread that saves or purges. */
  double (*now)(void *ctx);
  void *now_ctx;
};

struct lk_dt_matches_opts lk_dt_matches_default_opts(void);

/* Open (creating when missing) data_dir/matches.db, data_dir/matches/ and
 * data_dir/latest/ (and data_dir itself). opts NULL: the defaults.
 * LK_ERR_UNSUPPORTED for a database of a newer schema or not ours,
 * LK_ERR_IO when a folder or the database cannot be made; why (NULL or
 * LK_DT_MATCHES_ERRMAX bytes) says which. */
lk_err lk_dt_matches_open(struct lk_dt_matches **out, const char *data_dir,
                          const struct lk_dt_matches_opts *opts, char *why);
void lk_dt_matches_close(struct lk_dt_matches *m);      /* NULL is fine */

/* One face as a detector reported it (compat-apis.md §1.4). */
struct lk_dt_match_face {
  const char *detector;     /* "compreface", "deepstack", ... */
  const char *name;         /* lower-cased subject, or "unknown" */
  double confidence;        /* percent, 0..100 */
  int match;                /* passed detect.match confidence and area */
  int left, top, width, height;    /* box in image pixels */
};

/* What a save records: one image of an event and what was found in it. */
struct lk_dt_match_new {
  const char *event_id;     /* Frigate's id, or a UUID for other sources */
  const char *camera;
  const char *type;         /* latest|snapshot|mqtt|manual|camera-event */
  const char *const *zones;
  int n_zones;
  const struct lk_dt_match_face *faces;
  int n_faces;
  double duration;          /* seconds this image took to recognise */
  int attempt;              /* which attempt fetched it, from 1 */
  const char *result;       /* the result JSON as text, kept verbatim */
  const void *image;        /* the JPEG bytes as fetched */
  size_t image_len;
};

/* A saved row. Strings and arrays are in the caller's arena. */
struct lk_dt_match {
  int64_t id;
  const char *filename;     /* "<uuid>.jpg" in DATA/matches */
  const char *event_id;
  const char *camera;
  const char *type;
  const char **zones;
  int n_zones;
  struct lk_dt_match_face *faces;   /* in the order saved */
  int n_faces;
  const char **names;       /* distinct face names, first seen first */
  int n_names;
  int has_match;            /* any face with match */
  double best_confidence;   /* highest face confidence; 0 without faces */
  int width, height;        /* of the image */
  double duration;
  int attempt;
  const char *result;
  double created_at;        /* Unix seconds */
  double updated_at;        /* when reprocessed; 0 if never */
};

/* Save one image and its row: the image goes to DATA/matches/<uuid>.jpg
 * (a new UUID v4) and is fsync'ed before the row commits, so a row never
 * names a missing file; on any failure neither stays. id and filename
 * (LK_DT_MATCHES_FILE_SIZE bytes) receive the row's id and file name;
 * either may be NULL.
 * LK_ERR_INVAL (why says which field) for missing or over-long text,
 * more than LK_DT_MATCHES_ZONES_MAX zones or LK_DT_MATCHES_FACES_MAX
 * faces, a confidence outside 0..100, a negative box side, result that is
 * not JSON or over LK_DT_MATCHES_RESULT_MAX; LK_ERR_IMAGE when image is
 * not a JPEG; LK_ERR_IO when the file or the row cannot be written. */
lk_err lk_dt_matches_save(struct lk_dt_matches *m,
                          const struct lk_dt_match_new *in, int64_t *id,
                          char *filename, char *why);

/* PATCH /api/match/reprocess/<id>: the stored image was recognised again;
 * its faces and result replace the row's (one transaction) and
 * updated_at is set. The same checks as a save; LK_ERR_NOT_FOUND when
 * there is no such row. */
lk_err lk_dt_matches_update(struct lk_dt_matches *m, int64_t id,
                            const struct lk_dt_match_face *faces, int n_faces,
                            const char *result, char *why);

/* /api/match's filters. A NULL list allows anything; a list with no
 * entries allows nothing (Double Take's empty IN ()). Camera and type
 * are checked on the row; the others on its faces, all on one face: a row
 * is listed when one face passes every face filter given. With no face
 * filter, rows without faces are listed too. */
struct lk_dt_match_filter {
  const char *const *names;      /* face name */
  int n_names;
  const char *const *matches;    /* "match", "miss" */
  int n_matches;
  const char *const *detectors;
  int n_detectors;
  const char *const *cameras;
  int n_cameras;
  const char *const *types;
  int n_types;
  double min_confidence;         /* percent; 0: any */
  int min_width, min_height;     /* face box, pixels; 0: any */
};

struct lk_dt_match_page {
  struct lk_dt_match *rows;      /* newest first */
  int n;
  int64_t total;                 /* rows passing filter and since_id */
};

/* One page (from 1) of limit (1..LK_DT_MATCHES_PAGE_MAX) rows with
 * id > since_id (0: all) passing filter (NULL: all), newest first; total
 * counts every page. LK_ERR_INVAL for page < 1 or limit out of range.
 * One read transaction: rows and total agree. */
lk_err lk_dt_matches_list(struct lk_dt_matches *m,
                          const struct lk_dt_match_filter *filter,
                          int64_t since_id, int page, int limit,
                          struct lk_arena *arena,
                          struct lk_dt_match_page *out);

/* /api/match/filters: what the filters can choose from, sorted bytewise. */
struct lk_dt_match_filters {
  int64_t total;                 /* rows */
  const char **names;
  int n_names;
  const char **matches;          /* "match" and/or "miss" */
  int n_matches;
  const char **detectors;
  int n_detectors;
  const char **cameras;
  int n_cameras;
  const char **types;
  int n_types;
};
lk_err lk_dt_matches_filters(struct lk_dt_matches *m, struct lk_arena *arena,
                             struct lk_dt_match_filters *out);

/* One row by id, or by its file name (for /api/storage/matches/<file>
 * ?box=true). LK_ERR_NOT_FOUND when there is none. */
lk_err lk_dt_matches_get(struct lk_dt_matches *m, int64_t id,
                         struct lk_arena *arena, struct lk_dt_match *out);
lk_err lk_dt_matches_get_file(struct lk_dt_matches *m, const char *filename,
                              struct lk_arena *arena,
                              struct lk_dt_match *out);

/* Whether name is a file name this store makes: "<uuid>.jpg", 8-4-4-4-12
 * lowercase hex digits. Anything else (paths, "..", other names) is
 * never opened. */
int lk_dt_matches_filename_ok(const char *name);

/* The bytes of DATA/matches/<filename>, in arena. LK_ERR_DENIED for a
 * name lk_dt_matches_filename_ok refuses, LK_ERR_NOT_FOUND when absent. */
lk_err lk_dt_matches_image(struct lk_dt_matches *m, const char *filename,
                           struct lk_arena *arena,
                           const unsigned char **data, size_t *len);

/* DELETE /api/match: rows (ids that do not exist are skipped) and then
 * their files. *deleted (may be NULL): rows removed. LK_ERR_INVAL for
 * n outside 0..LK_DT_MATCHES_DELETE_MAX. */
lk_err lk_dt_matches_delete(struct lk_dt_matches *m, const int64_t *ids,
                            int n, int *deleted);

/* Double Take's minutely purge: rows older than match_hours when a face
 * matched, older than unknown_hours otherwise (detect.match.purge,
 * detect.unknown.purge), and their files. A negative hours value keeps
 * those rows forever. Deletes in batches so saves are never held up long.
 * *purged (may be NULL): rows removed. */
lk_err lk_dt_matches_purge(struct lk_dt_matches *m, double match_hours,
                           double unknown_hours, long *purged);

/* After a crash: remove DATA/matches/<uuid>.jpg files that no row names
 * and temporary files left in DATA/matches/ and DATA/latest/. Other files
 * are left alone. Saves wait while it runs; run it at start. *removed
 * (may be NULL): files removed. */
lk_err lk_dt_matches_sweep(struct lk_dt_matches *m, long *removed);

/* ---- latest images ----------------------------------------------------
 * DATA/latest/<key>.jpg: the newest image for a person's name, a camera
 * and "unknown", with every face's box drawn and "name - 91.5%" written
 * next to it (green: match, orange: a known name below the match
 * threshold, red: unknown). */

/* Decode jpeg, annotate it with faces once, and write it atomically for
 * each of the n_keys keys (a name, a camera, "unknown"). Keys become file
 * names by lk_dt_matches_latest_file's rule. arena holds the pixels
 * (about 3 bytes a pixel). LK_ERR_IMAGE for bytes that do not decode,
 * LK_ERR_IO when a file cannot be written (the keys before it were). */
lk_err lk_dt_matches_latest_save(struct lk_dt_matches *m,
                                 const char *const *keys, int n_keys,
                                 const void *jpeg, size_t len,
                                 const struct lk_dt_match_face *faces,
                                 int n_faces, struct lk_arena *arena);

/* Draw faces on img as the latest images are drawn (boxes, labels and
 * colours above), e.g. for /api/storage/matches/<file>?box=true. Threads:
 * img is the caller's. LK_ERR_INVAL, with nothing drawn, for a face
 * without a name, a negative box side or a coordinate past 2^24 px. */
struct lk_image;
lk_err lk_dt_matches_annotate(struct lk_image *img,
                              const struct lk_dt_match_face *faces, int n);

/* The bytes of a latest image by the file name in /api/storage/latest/
 * <key>.jpg. LK_ERR_NOT_FOUND when it does not end in ".jpg" or there is
 * no such image. */
lk_err lk_dt_matches_latest_read(struct lk_dt_matches *m,
                                 const char *filename, struct lk_arena *arena,
                                 const unsigned char **data, size_t *len);

/* The file name for key: bytes A-Z a-z 0-9 - _ . and space, and whole
 * valid UTF-8 characters, are kept; any other byte becomes '_'; a leading
 * '.' becomes '_'; an empty key is "_"; it is cut to 200 bytes at a
 * character boundary; ".jpg" is appended. "Ada" -> "Ada.jpg", "José" ->
 * "José.jpg", "../x" -> "_._x.jpg". Keys differing only in replaced bytes
 * share a file. Returns the length, or -1 when size (at least 205 is
 * always enough) is too small. */
int lk_dt_matches_latest_file(char *buf, size_t size, const char *key);

#endif
