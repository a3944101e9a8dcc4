/* sqlite_db.h - what every SQLite file of likeness does the same way (the
 * gallery, Double Take's matches store): SQLite result codes to lk_err,
 * statements prepared once per connection and kept, and opening a
 * connection by the same rules: foreign keys, synchronous=FULL, no
 * trusted schema; a writer turns WAL on and applies the missing
 * migrations with the version bump in one transaction; a reader is
 * query_only and checks the version. A file that is someone else's, or
 * of a newer schema, is refused untouched. docs/store.md has the why.
 *
 * Threads: a connection is used by one thread at a time. */
#ifndef LK_SQLITE_DB_H
#define LK_SQLITE_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"

struct lk_sqlite_schema {
  const char *module;               /* for log lines: "store", "dt" */
  const char *kind;                 /* "likeness database", in messages */
  int app_id;                       /* PRAGMA application_id of the file */
  const char *const *migrations;    /* [i]: version i -> i + 1 */
  int n_migrations;                 /* = the schema version */
};

/* rc as an lk_err (OK, ROW and DONE are LK_OK), logged with what. */
lk_err lk_sqlite_err(sqlite3 *db, const char *module, int rc,
                     const char *what);

/* The statement kept in *slot, prepared from text on first use. */
lk_err lk_sqlite_stmt(sqlite3 *db, const char *module, sqlite3_stmt **slot,
                      const char *text, sqlite3_stmt **out);
/* Step a statement that returns no rows, then reset it. */
lk_err lk_sqlite_run(sqlite3 *db, const char *module, sqlite3_stmt *st,
                     const char *what);
void lk_sqlite_reset(sqlite3_stmt *st);     /* reset and clear bindings */
/* Text column i as a copy in arena ("" for NULL); NULL when out of
 * memory. */
char *lk_sqlite_col_text(sqlite3_stmt *st, int i, struct lk_arena *a);

/* Set up a freshly opened connection as above. why (whymax bytes) gets
 * "<path>: <reason>" for what a user can act on. LK_ERR_UNSUPPORTED
 * (newer schema, not ours, changed under a reader), LK_ERR_IO (no WAL),
 * and SQLite's errors. */
lk_err lk_sqlite_setup(sqlite3 *db, const char *path,
                       const struct lk_sqlite_schema *s, int busy_ms,
                       int writer, char *why, size_t whymax);

#endif
