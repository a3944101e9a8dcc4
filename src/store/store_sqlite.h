/* store_sqlite.h - what store_sqlite.c (connections, schema, migrations)
 * and store_sqlite_ops.c (the queries) share. Only those two include it. */
#ifndef LK_STORE_SQLITE_H
#define LK_STORE_SQLITE_H

#include <sqlite3.h>

#include "store/store_int.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "descriptor BLOBs are little-endian float32, copied as-is"
#endif

/* Every statement, prepared once per connection on first use. */
enum lk_sql_id {
  LK_SQL_BEGIN_READ,
  LK_SQL_BEGIN_WRITE,
  LK_SQL_COMMIT,
  LK_SQL_ROLLBACK,
  LK_SQL_LAST_TIME,
  LK_SQL_LOAD_PEOPLE,
  LK_SQL_LOAD_FACES,
  LK_SQL_PERSON_FIND,
  LK_SQL_PERSON_INSERT,
  LK_SQL_PERSON_RENAME,
  LK_SQL_PERSON_REMOVE,
  LK_SQL_PERSON_LIST,
  LK_SQL_PERSON_FACE_IDS,
  LK_SQL_FACE_INSERT,
  LK_SQL_FACE_UPDATE,
  LK_SQL_FACE_MOVE,
  LK_SQL_FACE_REMOVE,
  LK_SQL_FACE_GET,
  LK_SQL_FACE_LIST_ALL,
  LK_SQL_FACE_LIST_PERSON,
  LK_SQL_FACE_CHANGES,
  LK_SQL_COUNTS,
  LK_SQL_N
};

struct lk_store_db {
  sqlite3 *db;
  sqlite3_stmt *stmt[LK_SQL_N];
};

extern const char *const lk_sql_text[LK_SQL_N];

/* Log SQLite's message for rc and translate it. */
lk_err lk_sql_err(struct lk_store_db *s, int rc, const char *what);
/* The prepared statement id, reset and unbound. */
lk_err lk_sql_stmt(struct lk_store_db *s, enum lk_sql_id id,
                   sqlite3_stmt **out);
/* Step a statement that returns no rows, then reset it. */
lk_err lk_sql_run(struct lk_store_db *s, sqlite3_stmt *st, const char *what);
void lk_sql_reset(sqlite3_stmt *st);

/* store_sqlite_ops.c: the backend calls of store_int.h. */
lk_err lk_sql_person_find(struct lk_store_db *, const char *,
                          struct lk_store_person *);
lk_err lk_sql_person_insert(struct lk_store_db *, const char *, double,
                            int64_t *);
lk_err lk_sql_person_rename(struct lk_store_db *, int64_t, const char *,
                            double);
lk_err lk_sql_person_remove(struct lk_store_db *, int64_t, double);
lk_err lk_sql_person_list(struct lk_store_db *, struct lk_arena *,
                          struct lk_store_person **, int *);
lk_err lk_sql_person_face_ids(struct lk_store_db *, int64_t,
                              struct lk_arena *, int64_t **, int *);
lk_err lk_sql_face_insert(struct lk_store_db *,
                          const struct lk_store_face_new *, int64_t, double,
                          int64_t *);
lk_err lk_sql_face_update(struct lk_store_db *, int64_t,
                          const struct lk_store_face_update *, int64_t,
                          double);
lk_err lk_sql_face_move(struct lk_store_db *, int64_t, int64_t, double);
lk_err lk_sql_face_remove(struct lk_store_db *, int64_t, double);
lk_err lk_sql_face_get(struct lk_store_db *, int64_t, struct lk_arena *,
                       struct lk_store_face *);
lk_err lk_sql_face_list(struct lk_store_db *, int64_t, int64_t, int,
                        struct lk_arena *, struct lk_store_face **, int *);
lk_err lk_sql_face_changes(struct lk_store_db *, double, int,
                           struct lk_arena *, struct lk_store_face **, int *);
lk_err lk_sql_counts(struct lk_store_db *, struct lk_store_counts *);

#endif
