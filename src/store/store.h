/* store.h - the gallery: people, their faces' 128-D descriptors, a change
 * feed for offline sync, and an in-memory index that matches a descriptor
 * against every live face. SQLite now (WAL, one file); the SQL sits behind
 * a backend interface (store_int.h) so PostgreSQL can follow.
 * docs/store.md has the schema, migrations and durability rules.
 *
 * Threads: one handle serves any number of threads; every function except
 * lk_store_close may run concurrently. Writes are serialised on one writer
 * connection; reads borrow one of opts.readers read connections (waiting
 * when all are busy) and see the last committed state; matching reads only
 * the index, under a read lock, and never touches SQLite. One process
 * writes a database at a time: the index and the clock live in memory.
 *
 *   struct lk_store *st;  char why[LK_STORE_ERRMAX];
 *   struct lk_store_opts o = lk_store_default_opts();
 *   err = lk_store_open(&st, "gallery.db", &o, why);
 *   struct lk_store_face_new f = { .person = "Ada", .descriptor = d };
 *   err = lk_store_face_add(st, &f, &id);           durable on return
 *   err = lk_store_match(st, d, 3, 0, arena, &m, &n);  m[0].person ...
 *   lk_store_close(st);
 *
 * Results (faces, people, matches) and their strings live in the caller's
 * arena; an arena over its ceiling gives LK_ERR_NOMEM. */
#ifndef LK_STORE_H
#define LK_STORE_H

#include <stdint.h>

#include "base/err.h"
#include "base/mem.h"

/* Equals LK_FACE_DESCRIPTOR_DIM (face/face.h); the store does not depend
 * on the face layer, so the number is repeated here. */
#define LK_STORE_DIM 128
#define LK_STORE_NAME_MAX 256      /* bytes of a person's name */
#define LK_STORE_LABEL_MAX 64      /* bytes of a detector or align name */
#define LK_STORE_PATH_MAX 4096     /* bytes of a kept image path */
#define LK_STORE_META_MAX (64 * 1024)   /* bytes of metadata JSON */
#define LK_STORE_PAGE_MAX 100000   /* rows one list or changes call returns */
#define LK_STORE_ERRMAX 256

/* A name that is already taken (person create, rename without merge). */
#define LK_STORE_ERR_EXISTS LK_ERR_EXISTS

struct lk_store;

struct lk_store_opts {
  int busy_timeout_ms;  /* wait this long for another process's lock, then
                           LK_ERR_BUSY (default 5000) */
  int readers;          /* read connections, 1..64 (default 4) */
  long max_faces;       /* live faces the index holds; more is
                           LK_ERR_TOO_LARGE (default 1,000,000) */
  int create;           /* create a missing file (default 1) */
  /* Wall clock in Unix seconds; NULL reads CLOCK_REALTIME. Tests freeze it
   * to show that writes in one instant still get increasing times. */
  double (*now)(void *ctx);
  void *now_ctx;
};

struct lk_store_opts lk_store_default_opts(void);

/* Open (creating and migrating as needed) the database at path and load
 * the index. why (NULL, or LK_STORE_ERRMAX bytes) gets a one-line reason:
 * LK_ERR_NOT_FOUND (missing and !create), LK_ERR_UNSUPPORTED (a newer
 * schema, or not a likeness database), LK_ERR_IO, LK_ERR_BUSY,
 * LK_ERR_NOMEM, LK_ERR_TOO_LARGE (more faces than max_faces). */
lk_err lk_store_open(struct lk_store **out, const char *path,
                     const struct lk_store_opts *opts, char *why);
void lk_store_close(struct lk_store *st);   /* NULL is fine */

/* ---- people ------------------------------------------------------------
 * Names are any valid UTF-8 of 1..LK_STORE_NAME_MAX bytes, kept exactly as
 * given (no trimming, no case folding); "../x" is just a name. Anything
 * else is LK_ERR_INVAL. Deleted people leave a tombstone row, so their
 * faces' tombstones still name them; the name is free for reuse. */
struct lk_store_person {
  int64_t id;            /* never reused */
  const char *name;      /* in the caller's arena */
  double created_at;     /* Unix seconds */
  double updated_at;
  int64_t n_faces;       /* live faces */
};

lk_err lk_store_person_create(struct lk_store *st, const char *name,
                              int64_t *id);          /* id may be NULL */
lk_err lk_store_person_get(struct lk_store *st, const char *name,
                           struct lk_arena *arena, struct lk_store_person *p);
/* Every live person, ordered by name (bytewise). */
lk_err lk_store_person_list(struct lk_store *st, struct lk_arena *arena,
                            struct lk_store_person **people, int *n);

#define LK_STORE_MERGE 1u   /* rename onto an existing name: move the faces */

/* Rename from -> to. When to exists: LK_STORE_ERR_EXISTS, or with
 * LK_STORE_MERGE every face of from moves to to and from is deleted
 * (CompreFace's PUT /subjects). Each face of the renamed person gets a new
 * updated_at, so sync clients see the new name. */
lk_err lk_store_person_rename(struct lk_store *st, const char *from,
                              const char *to, unsigned flags);
/* Tombstone the person and every live face; n_faces (may be NULL) gets how
 * many faces went. */
lk_err lk_store_person_delete(struct lk_store *st, const char *name,
                              int64_t *n_faces);
/* Tombstone every live face of the person and keep the person. */
lk_err lk_store_person_clear(struct lk_store *st, const char *name,
                             int64_t *n_faces);

/* ---- faces ------------------------------------------------------------- */
struct lk_store_face {
  int64_t id;            /* stable, never reused */
  int64_t person_id;
  const char *person;    /* the person's name (in the arena) */
  float descriptor[LK_STORE_DIM];
  const char *detector;  /* "" when not given */
  const char *align;     /* "" when not given */
  char sha256[65];       /* lower-case hex of the source image, or "" */
  const char *meta;      /* a JSON object's text, "{}" when not given */
  const char *image_path;  /* NULL when no image is kept */
  double created_at;     /* Unix seconds, fractional */
  double updated_at;     /* strictly increasing over every face write */
  int deleted;           /* a tombstone */
  double deleted_at;     /* 0 when live */
};

struct lk_store_face_new {
  const char *person;        /* created when missing */
  const float *descriptor;   /* LK_STORE_DIM finite floats */
  const char *detector;      /* NULL or a label, e.g. "ssd" */
  const char *align;         /* NULL or a label, e.g. "similarity" */
  const char *sha256;        /* NULL or 64 hex digits (any case) */
  const char *meta;          /* NULL or a JSON object (the seed API's
                                unique_args), kept as given */
  /* NULL, or where the layer above keeps the image. The store never opens
   * it; by convention the file is named by face id, so it is usually set
   * with lk_store_face_update once the id is known. */
  const char *image_path;
};

/* Fields left NULL keep their value; at least one must be set. */
struct lk_store_face_update {
  const char *person;        /* move to this person (created when missing) */
  const float *descriptor;
  const char *detector;
  const char *align;
  const char *sha256;        /* "" clears */
  const char *meta;
  const char *image_path;    /* "" clears */
};

#define LK_STORE_WITH_DELETED 1u   /* face get: return tombstones too */

lk_err lk_store_face_add(struct lk_store *st,
                         const struct lk_store_face_new *f, int64_t *id);
/* A tombstone is LK_ERR_NOT_FOUND unless flags has LK_STORE_WITH_DELETED. */
lk_err lk_store_face_get(struct lk_store *st, int64_t id, unsigned flags,
                         struct lk_arena *arena, struct lk_store_face *f);
/* LK_ERR_NOT_FOUND for a missing or deleted face. */
lk_err lk_store_face_update(struct lk_store *st, int64_t id,
                            const struct lk_store_face_update *u);
lk_err lk_store_face_delete(struct lk_store *st, int64_t id);
/* Live faces by id, of one person (LK_ERR_NOT_FOUND when there is no such
 * person) or of everyone (person NULL); offset/limit page through them,
 * limit 1..LK_STORE_PAGE_MAX. */
lk_err lk_store_face_list(struct lk_store *st, const char *person,
                          int64_t offset, int limit, struct lk_arena *arena,
                          struct lk_store_face **faces, int *n);

/* The sync feed: every face created, changed or deleted (tombstones
 * included) with updated_at > since, oldest first, at most limit
 * (1..LK_STORE_PAGE_MAX). No two face writes share an updated_at, so the
 * next page starts at since = faces[n - 1].updated_at and nothing is
 * skipped or repeated; fewer than limit rows means the feed is drained.
 * Clients must carry times at full double precision (%.17g). */
lk_err lk_store_face_changes(struct lk_store *st, double since, int limit,
                             struct lk_arena *arena,
                             struct lk_store_face **faces, int *n);

struct lk_store_counts {
  int64_t people;          /* live */
  int64_t faces;           /* live */
  int64_t deleted_faces;   /* tombstones */
};
lk_err lk_store_counts(struct lk_store *st, struct lk_store_counts *c);

/* ---- the index ---------------------------------------------------------
 * Every live descriptor in one contiguous float array, kept in step with
 * each committed write; a query is a brute-force scan: about 8 ns per face
 * at 10k faces (in cache), 19 ns at 100k (memory bound), docs/store.md.
 * Distances are euclidean, as face-api.js and dlib compare descriptors
 * (0.6 is their usual threshold). */
struct lk_store_match {
  int64_t face_id;
  int64_t person_id;
  const char *person;    /* in the arena */
  float distance;
};

#define LK_STORE_MATCH_FACES 1u   /* rank faces, not people */

/* Nearest face of each person, the k nearest people first (k <= 0: all).
 * With LK_STORE_MATCH_FACES: the k nearest faces, any person. Ties go to
 * the lower face id. An empty gallery gives n = 0. */
lk_err lk_store_match(struct lk_store *st, const float *descriptor, int k,
                      unsigned flags, struct lk_arena *arena,
                      struct lk_store_match **out, int *n);
/* Every live face of one person, nearest first (CompreFace's verify). */
lk_err lk_store_match_person(struct lk_store *st, const float *descriptor,
                             const char *person, struct lk_arena *arena,
                             struct lk_store_match **out, int *n);

/* Euclidean distance of two LK_STORE_DIM descriptors. */
float lk_store_distance(const float *a, const float *b);

#endif
