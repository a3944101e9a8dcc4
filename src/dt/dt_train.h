/* dt_train.h - Double Take's training: a folder of photos per person
 * (DATA/train/<name>/<orig>-<unixms>.<ext>), a row per photo and a result
 * per photo and detector (DATA/train.db), and every enabled detector
 * taught each photo, one image per call, as Double Take does
 * (compat-apis.md §1.5, §1.10, §1.11). likeness's own detector registers
 * the photo's largest face in the gallery under the folder's name and
 * keeps the face id, so the photo can be untrained alone; the detectors
 * of `detectors:` are taught through dt_remote. docs/dt-train.md.
 *
 * Names (folders, that is people) pass lk_dt_train_name_ok before any
 * path is built from them, so no request reaches outside DATA/train.
 *
 * Threads: one handle serves any number of threads. Training runs on one
 * worker thread the handle owns: add, move and retrain write the photo
 * and its rows, queue one row per detector in the database and return;
 * the worker teaches the queued rows one at a time, oldest first. The
 * queue is those rows, so it survives a restart, and it is bounded
 * (opts.queue_max). Untraining (remove, retrain) and the calls that move
 * or delete photos wait for the photo being taught to finish, so a face
 * is never registered for a row that is already gone. The pipeline and
 * the config must outlive the handle; lk_dt_train_close must not run
 * concurrently with anything.
 *
 *   struct lk_dt_train_opts o = lk_dt_train_default_opts();
 *   o.cfg = &cfg;  o.pipe = pipe;
 *   err = lk_dt_train_open(&t, "/data", &o, why);     syncs from disk
 *   err = lk_dt_train_add(t, "Ada", jpg, len, "ada.jpg", &id, why);
 *   err = lk_dt_train_wait_idle(t, 30000);             tests
 *   err = lk_dt_train_list(t, NULL, 1, 50, arena, &page);
 *   lk_dt_train_close(t);
 */
#ifndef LK_DT_TRAIN_H
#define LK_DT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"

#define LK_DT_TRAIN_ERRMAX 256
#define LK_DT_TRAIN_NAME_MAX 200       /* bytes of a folder (person) name */
#define LK_DT_TRAIN_FILE_MAX 255       /* bytes of a file name (ext4's) */
#define LK_DT_TRAIN_PAGE_MAX 1000      /* files in one list call */
#define LK_DT_TRAIN_IDS_MAX 10000      /* ids in one remove or delete call */

struct lk_dt_train;
struct lk_dt_config;
struct lk_pipeline;

struct lk_dt_train_opts {
  /* Which detectors train: every enabled one of cfg->detectors but
   * rekognition (no client for it, as in the event path). Required. */
  const struct lk_dt_config *cfg;
  /* The built-in "likeness" detector's gallery; NULL: likeness does not
   * train even when enabled. */
  struct lk_pipeline *pipe;
  int busy_timeout_ms;      /* SQLite busy timeout (default 5000) */
  /* Rows (photo x detector) waiting at most; an add or retrain that
   * would pass it is LK_ERR_BUSY (default 100000). */
  long queue_max;
};

struct lk_dt_train_opts lk_dt_train_default_opts(void);

/* Open (creating when missing) data_dir, data_dir/train/ and
 * data_dir/train.db, sync the rows with the folders
 * (lk_dt_train_sync), and start the worker, which resumes rows a
 * restart left queued. LK_ERR_INVAL for missing options,
 * LK_ERR_UNSUPPORTED for a database of a newer schema or not ours,
 * LK_ERR_IO when a folder or the database cannot be made; why (NULL or
 * LK_DT_TRAIN_ERRMAX bytes) says which. */
lk_err lk_dt_train_open(struct lk_dt_train **out, const char *data_dir,
                        const struct lk_dt_train_opts *opts, char *why);
/* Stop the worker (a photo being taught is finished first) and free.
 * Rows still queued stay queued for the next open. NULL is fine. */
void lk_dt_train_close(struct lk_dt_train *t);

/* Whether name may name a training folder: 1..LK_DT_TRAIN_NAME_MAX bytes
 * of valid UTF-8, no '/', no "..", no control characters (NUL included),
 * not starting with '.'. Names are kept as given, case included. */
int lk_dt_train_name_ok(const char *name);

/* ---- folders (GET/POST/DELETE /api/filesystem/folders) ---------------- */

/* The folders of DATA/train with valid names, sorted bytewise; *names in
 * arena (NULL when *n is 0). */
lk_err lk_dt_train_folders(struct lk_dt_train *t, struct lk_arena *arena,
                           const char ***names, int *n);
/* mkdir DATA/train/<name>; an existing folder is fine. LK_ERR_INVAL for
 * a name lk_dt_train_name_ok refuses. */
lk_err lk_dt_train_folder_create(struct lk_dt_train *t, const char *name);
/* rm -r DATA/train/<name> and every row of its photos. Like Double Take,
 * the detectors are NOT untrained: call lk_dt_train_remove first for
 * that. A missing folder is fine. *files (may be NULL): rows removed. */
lk_err lk_dt_train_folder_delete(struct lk_dt_train *t, const char *name,
                                 long *files);

/* ---- photos ------------------------------------------------------------ */

/* Keep one photo of name and queue it for every detector: the bytes must
 * decode as a JPEG or PNG (LK_ERR_IMAGE or LK_ERR_UNSUPPORTED, why says
 * so); they are written durably as DATA/train/<name>/<stem>-<unixms>.<ext>
 * (stem from orig, the client's file name, NULL for "image"; ext from the
 * bytes), creating the folder, and the row commits after the file is on
 * disk. *id (may be NULL): the photo's id. LK_ERR_INVAL for a bad name,
 * LK_ERR_BUSY when the queue is full, LK_ERR_IO. */
lk_err lk_dt_train_add(struct lk_dt_train *t, const char *name,
                       const void *img, size_t len, const char *orig,
                       int64_t *id, char *why);

/* One detector's result for one photo. */
struct lk_dt_train_result {
  const char *detector;     /* "likeness", "compreface", ... */
  int queued;               /* not taught yet: status 0, result NULL */
  int status;               /* 200 taught; 400 no face or not an image;
                               404 file gone; 500 the detector failed */
  const char *result;       /* JSON object text: {"status":200,...} */
  double created_at;        /* Unix seconds: queued, then taught */
};

struct lk_dt_train_file {
  int64_t id;
  const char *name;         /* the folder */
  const char *filename;     /* in DATA/train/<name>/ */
  int width, height;        /* as displayed (EXIF orientation applied);
                               0 when the file does not decode */
  double created_at;        /* Unix seconds */
  struct lk_dt_train_result *results;   /* by detector name */
  int n_results;
};

struct lk_dt_train_page {
  struct lk_dt_train_file *files;      /* newest (highest id) first */
  int n;
  int64_t total;            /* photos of name (or all) on every page */
};

/* Page (from 1) of limit (1..LK_DT_TRAIN_PAGE_MAX) photos of name (NULL:
 * every name), with their results; in arena. LK_ERR_INVAL for page < 1
 * or limit out of range. */
lk_err lk_dt_train_list(struct lk_dt_train *t, const char *name, int page,
                        int limit, struct lk_arena *arena,
                        struct lk_dt_train_page *out);
/* One photo; LK_ERR_NOT_FOUND when there is none. */
lk_err lk_dt_train_get(struct lk_dt_train *t, int64_t id,
                       struct lk_arena *arena, struct lk_dt_train_file *out);

/* Double Take's progress per name (train.util.js status): rows are
 * photo x detector; trained counts those taught (with any outcome),
 * percent = round(100 * trained / total). Names with rows only, sorted. */
struct lk_dt_train_status {
  const char *name;
  int64_t trained;
  int64_t total;
  int percent;
};
lk_err lk_dt_train_status(struct lk_dt_train *t, struct lk_arena *arena,
                          struct lk_dt_train_status **out, int *n);

/* PATCH /api/train/<id>: move the photo to DATA/train/<name>/ (created
 * when missing), keep its id, and queue it for every detector under the
 * new name. likeness's face for it is deleted before it is registered
 * again; the external detectors keep what they learnt under the old name
 * (they cannot forget one photo) until that name is untrained.
 * LK_ERR_NOT_FOUND: no such photo; LK_ERR_EXISTS: the new folder has a
 * file of that name; LK_ERR_INVAL: a bad name; LK_ERR_BUSY. */
lk_err lk_dt_train_move(struct lk_dt_train *t, int64_t id, const char *name);

/* DELETE /api/train/remove/<name>: untrain. n == 0: every detector
 * forgets name (external ones: their subject is deleted; likeness: the
 * faces this store registered under name, not faces other APIs added),
 * and every result row of name goes, so its photos are untrained. n > 0:
 * only photos ids of name (others are skipped): likeness deletes exactly
 * their faces; an external detector forgets name and is taught the other
 * photos of name again, as Double Take does. Photos stay on disk.
 * A detector that fails to untrain is logged and does not stop the rest.
 * LK_ERR_INVAL for a bad name or n outside 0..LK_DT_TRAIN_IDS_MAX. */
lk_err lk_dt_train_remove(struct lk_dt_train *t, const char *name,
                          const int64_t *ids, int n);

/* GET /api/train/retrain/<name>: sync from disk, untrain name as remove
 * does, and queue every photo of name for every detector. LK_ERR_BUSY
 * when the queue would overflow (name is untrained then). */
lk_err lk_dt_train_retrain(struct lk_dt_train *t, const char *name);

/* DELETE /api/storage/train: the photos ids (unknown ids are skipped),
 * their files and rows. Like Double Take, nothing is untrained.
 * *deleted (may be NULL): photos removed. LK_ERR_INVAL for n outside
 * 0..LK_DT_TRAIN_IDS_MAX. */
lk_err lk_dt_train_delete(struct lk_dt_train *t, const int64_t *ids, int n,
                          long *deleted);

/* GET /api/storage/train/<name>/<filename>: the file's bytes and media
 * type ("image/jpeg", "image/png"), in arena. thumb_width > 0: a JPEG
 * (quality 1..100) at most thumb_width wide, aspect kept, never enlarged.
 * LK_ERR_INVAL for a name or filename that fails lk_dt_train_name_ok's
 * rules, LK_ERR_NOT_FOUND when absent, LK_ERR_IMAGE when a thumbnail is
 * asked of bytes that do not decode. */
lk_err lk_dt_train_image(struct lk_dt_train *t, const char *name,
                         const char *filename, int thumb_width, int quality,
                         struct lk_arena *arena, const unsigned char **data,
                         size_t *len, const char **type);

/* Make the rows match DATA/train: photos dropped in a folder by hand
 * (*.jpg, *.jpeg, *.png) get a row, untrained, as Double Take lists them
 * until a retrain; rows whose file is gone are removed; temporary files a
 * crash left are deleted. Runs at open. added, removed may be NULL. */
lk_err lk_dt_train_sync(struct lk_dt_train *t, long *added, long *removed);

/* Wait until no row is queued and the worker is idle (tests, shutdown
 * scripts). LK_ERR_BUSY when timeout_ms passed first. */
lk_err lk_dt_train_wait_idle(struct lk_dt_train *t, int timeout_ms);

#endif
