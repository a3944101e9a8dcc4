/* dt_matches_list.c - the matches store's reads: /api/match's filtered,
 * paged list with its total, /api/match/filters, and one row by id or by
 * file name. Each call borrows a reader and runs in one read transaction,
 * so a page, its faces and its total come from one snapshot while saves
 * go on. */
#include <cjson/cJSON.h>
#include <string.h>

#include "dt_matches_int.h"

/* Column positions of LK_DTM_COLS (dt_matches_db.c). */
enum {
  LK_DTM_C_ID, LK_DTM_C_FILE, LK_DTM_C_EVENT, LK_DTM_C_CAMERA, LK_DTM_C_TYPE,
  LK_DTM_C_ZONES, LK_DTM_C_HAS_MATCH, LK_DTM_C_BEST, LK_DTM_C_WIDTH,
  LK_DTM_C_HEIGHT, LK_DTM_C_DURATION, LK_DTM_C_ATTEMPT, LK_DTM_C_RESULT,
  LK_DTM_C_CREATED, LK_DTM_C_N_FACES, LK_DTM_C_UPDATED
};

/* A filter's lists as JSON arrays (cJSON-allocated; NULL: no filter) and
 * the rest of what LK_DTM_WHERE binds. */
struct lk_dtm_where {
  char *cameras, *types, *names, *matches, *detectors;
  int any_face;
  double min_confidence;
  int min_width, min_height;
  int64_t since_id;
};

/* NULL: no filter; an empty list is "[]", which allows nothing. */
static lk_err lk_dtm_json_list(const char *const *list, int n, char **out)
{
  *out = NULL;
  if(!list)
    return n ? LK_ERR_INVAL : LK_OK;
  return n < 0 ? LK_ERR_INVAL : lk_dtm_json_strings(list, n, out);
}

static void lk_dtm_where_clear(struct lk_dtm_where *w)
{
  cJSON_free(w->cameras);
  cJSON_free(w->types);
  cJSON_free(w->names);
  cJSON_free(w->matches);
  cJSON_free(w->detectors);
}

static lk_err lk_dtm_where_init(struct lk_dtm_where *w,
                                const struct lk_dt_match_filter *f,
                                int64_t since_id)
{
  lk_err err;
  memset(w, 0, sizeof *w);
  w->since_id = since_id;
  if(!f)
    return LK_OK;
  err = lk_dtm_json_list(f->cameras, f->n_cameras, &w->cameras);
  if(!err)
    err = lk_dtm_json_list(f->types, f->n_types, &w->types);
  if(!err)
    err = lk_dtm_json_list(f->names, f->n_names, &w->names);
  if(!err)
    err = lk_dtm_json_list(f->matches, f->n_matches, &w->matches);
  if(!err)
    err = lk_dtm_json_list(f->detectors, f->n_detectors, &w->detectors);
  w->min_confidence = f->min_confidence > 0 ? f->min_confidence : 0;
  w->min_width = f->min_width > 0 ? f->min_width : 0;
  w->min_height = f->min_height > 0 ? f->min_height : 0;
  w->any_face = f->names || f->matches || f->detectors ||
                w->min_confidence > 0 || w->min_width || w->min_height;
  return err;
}

static void lk_dtm_bind_json(sqlite3_stmt *st, int i, const char *json)
{
  if(json)
    sqlite3_bind_text(st, i, json, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

static void lk_dtm_bind_where(sqlite3_stmt *st, const struct lk_dtm_where *w)
{
  sqlite3_bind_int64(st, 1, w->since_id);
  lk_dtm_bind_json(st, 2, w->cameras);
  lk_dtm_bind_json(st, 3, w->types);
  sqlite3_bind_int(st, 4, w->any_face);
  lk_dtm_bind_json(st, 5, w->names);
  lk_dtm_bind_json(st, 6, w->matches);
  lk_dtm_bind_json(st, 7, w->detectors);
  sqlite3_bind_double(st, 8, w->min_confidence);
  sqlite3_bind_int(st, 9, w->min_width);
  sqlite3_bind_int(st, 10, w->min_height);
}

/* ---- rows into structs ------------------------------------------------- */

static lk_err lk_dtm_zones(const char *json, struct lk_arena *a,
                           struct lk_dt_match *r)
{
  cJSON *arr = cJSON_Parse(json), *e, *list = NULL;
  int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
  lk_err err = LK_OK;
  r->zones = lk_arena_calloc(a, (size_t)(n ? n : 1) * sizeof *r->zones);
  if(!r->zones)
    err = LK_ERR_NOMEM;
  if(n)
    list = arr;
  cJSON_ArrayForEach(e, list) {
    size_t len;
    char *s;
    if(err || !cJSON_IsString(e))
      continue;
    len = strlen(e->valuestring) + 1;
    s = lk_arena_alloc(a, len);
    if(!s)
      err = LK_ERR_NOMEM;
    else
      r->zones[r->n_zones++] = memcpy(s, e->valuestring, len);
  }
  cJSON_Delete(arr);
  return err;
}

static lk_err lk_dtm_row(sqlite3_stmt *st, struct lk_arena *a,
                         struct lk_dt_match *r)
{
  const char *zones = (const char *)sqlite3_column_text(st, LK_DTM_C_ZONES);
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, LK_DTM_C_ID);
  r->filename = lk_sqlite_col_text(st, LK_DTM_C_FILE, a);
  r->event_id = lk_sqlite_col_text(st, LK_DTM_C_EVENT, a);
  r->camera = lk_sqlite_col_text(st, LK_DTM_C_CAMERA, a);
  r->type = lk_sqlite_col_text(st, LK_DTM_C_TYPE, a);
  r->result = lk_sqlite_col_text(st, LK_DTM_C_RESULT, a);
  r->has_match = sqlite3_column_int(st, LK_DTM_C_HAS_MATCH);
  r->best_confidence = sqlite3_column_double(st, LK_DTM_C_BEST);
  r->width = sqlite3_column_int(st, LK_DTM_C_WIDTH);
  r->height = sqlite3_column_int(st, LK_DTM_C_HEIGHT);
  r->duration = sqlite3_column_double(st, LK_DTM_C_DURATION);
  r->attempt = sqlite3_column_int(st, LK_DTM_C_ATTEMPT);
  r->created_at = sqlite3_column_double(st, LK_DTM_C_CREATED);
  r->updated_at = sqlite3_column_double(st, LK_DTM_C_UPDATED);  /* NULL: 0 */
  /* faces are read by lk_dtm_faces; n_faces sizes their array */
  r->n_faces = sqlite3_column_int(st, LK_DTM_C_N_FACES);
  if(!r->filename || !r->event_id || !r->camera || !r->type || !r->result)
    return LK_ERR_NOMEM;
  return lk_dtm_zones(zones ? zones : "[]", a, r);
}

static void lk_dtm_add_name(struct lk_dt_match *r, const char *name)
{
  int i;
  for(i = 0; i < r->n_names; i++)
    if(!strcmp(r->names[i], name))
      return;
  r->names[r->n_names++] = name;
}

static lk_err lk_dtm_face(sqlite3_stmt *st, struct lk_arena *a,
                          struct lk_dt_match_face *f)
{
  f->detector = lk_sqlite_col_text(st, 0, a);
  f->name = lk_sqlite_col_text(st, 1, a);
  f->confidence = sqlite3_column_double(st, 2);
  f->match = sqlite3_column_int(st, 3);
  f->left = sqlite3_column_int(st, 4);
  f->top = sqlite3_column_int(st, 5);
  f->width = sqlite3_column_int(st, 6);
  f->height = sqlite3_column_int(st, 7);
  return f->detector && f->name ? LK_OK : LK_ERR_NOMEM;
}

/* r's faces (r->n_faces of them, from its row) and its distinct names. */
static lk_err lk_dtm_faces(struct lk_dtm_db *d, struct lk_arena *a,
                           struct lk_dt_match *r)
{
  sqlite3_stmt *st;
  size_t cap = (size_t)(r->n_faces > 0 ? r->n_faces : 1);
  int rc = SQLITE_DONE, n = 0;
  lk_err err = lk_dtm_stmt(d, LK_DTM_FACES, &st);
  if(err)
    return err;
  r->faces = lk_arena_calloc(a, cap * sizeof *r->faces);
  r->names = lk_arena_calloc(a, cap * sizeof *r->names);
  if(!r->faces || !r->names)
    return LK_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, r->id);
  while(!err && n < r->n_faces && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    err = lk_dtm_face(st, a, &r->faces[n]);
    if(!err)
      lk_dtm_add_name(r, r->faces[n++].name);
  }
  if(!err && n < r->n_faces && rc != SQLITE_DONE)
    err = lk_dtm_err(d, rc, "faces");
  lk_dtm_reset(st);
  r->n_faces = n;
  return err;
}

/* ---- list -------------------------------------------------------------- */

static lk_err lk_dtm_count(struct lk_dtm_db *d, const struct lk_dtm_where *w,
                           int64_t *total)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_dtm_stmt(d, w ? LK_DTM_COUNT : LK_DTM_TOTAL, &st);
  if(err)
    return err;
  if(w)
    lk_dtm_bind_where(st, w);
  rc = sqlite3_step(st);
  *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  err = rc == SQLITE_ROW ? LK_OK : lk_dtm_err(d, rc, "count");
  lk_dtm_reset(st);
  return err;
}

/* The page's rows; the count in the same snapshot sizes the array. */
static lk_err lk_dtm_page(struct lk_dtm_db *d, const struct lk_dtm_where *w,
                          int64_t offset, int limit, struct lk_arena *a,
                          struct lk_dt_match_page *out)
{
  sqlite3_stmt *st;
  int64_t left = out->total - offset;
  int cap = left <= 0 ? 0 : left < limit ? (int)left : limit;
  int rc = SQLITE_DONE, i;
  lk_err err = lk_dtm_stmt(d, LK_DTM_LIST, &st);
  if(err || !cap)
    return err;
  out->rows = lk_arena_calloc(a, (size_t)cap * sizeof *out->rows);
  if(!out->rows)
    return LK_ERR_NOMEM;
  lk_dtm_bind_where(st, w);
  sqlite3_bind_int(st, 11, cap);
  sqlite3_bind_int64(st, 12, offset);
  while(!err && out->n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW)
    err = lk_dtm_row(st, a, &out->rows[out->n++]);
  if(!err && out->n < cap && rc != SQLITE_DONE)
    err = lk_dtm_err(d, rc, "list");
  lk_dtm_reset(st);
  for(i = 0; !err && i < out->n; i++)
    err = lk_dtm_faces(d, a, &out->rows[i]);
  return err;
}

lk_err lk_dt_matches_list(struct lk_dt_matches *m,
                          const struct lk_dt_match_filter *filter,
                          int64_t since_id, int page, int limit,
                          struct lk_arena *arena,
                          struct lk_dt_match_page *out)
{
  struct lk_dtm_where w;
  struct lk_dtm_db *d;
  lk_err err;

  memset(out, 0, sizeof *out);
  if(page < 1 || limit < 1 || limit > LK_DT_MATCHES_PAGE_MAX)
    return LK_ERR_INVAL;
  err = lk_dtm_where_init(&w, filter, since_id);
  if(err) {
    lk_dtm_where_clear(&w);
    return err;
  }
  err = lk_dtm_read_begin(m, &d);
  if(!err) {
    err = lk_dtm_count(d, &w, &out->total);
    if(!err)
      err = lk_dtm_page(d, &w, (int64_t)(page - 1) * limit, limit, arena,
                        out);
    err = lk_dtm_read_end(m, d, err);
  }
  if(err)
    memset(out, 0, sizeof *out);
  lk_dtm_where_clear(&w);
  return err;
}

/* ---- one row ----------------------------------------------------------- */

static lk_err lk_dtm_get_by(struct lk_dtm_db *d, enum lk_dtm_sql id,
                            int64_t key, const char *file,
                            struct lk_arena *a, struct lk_dt_match *out)
{
  sqlite3_stmt *st;
  int rc;
  lk_err err = lk_dtm_stmt(d, id, &st);
  if(err)
    return err;
  if(file)
    sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64(st, 1, key);
  rc = sqlite3_step(st);
  if(rc == SQLITE_ROW)
    err = lk_dtm_row(st, a, out);
  else
    err = rc == SQLITE_DONE ? LK_ERR_NOT_FOUND : lk_dtm_err(d, rc, "get");
  lk_dtm_reset(st);
  return err ? err : lk_dtm_faces(d, a, out);
}

static lk_err lk_dtm_get(struct lk_dt_matches *m, int64_t key,
                         const char *file, struct lk_arena *a,
                         struct lk_dt_match *out)
{
  enum lk_dtm_sql q = file ? LK_DTM_GET_FILE : LK_DTM_GET;
  struct lk_dtm_db *d;
  lk_err err = lk_dtm_read_begin(m, &d);
  if(!err)
    err = lk_dtm_read_end(m, d, lk_dtm_get_by(d, q, key, file, a, out));
  if(err)
    memset(out, 0, sizeof *out);
  return err;
}

lk_err lk_dt_matches_get(struct lk_dt_matches *m, int64_t id,
                         struct lk_arena *arena, struct lk_dt_match *out)
{
  return lk_dtm_get(m, id, NULL, arena, out);
}

lk_err lk_dt_matches_get_file(struct lk_dt_matches *m, const char *filename,
                              struct lk_arena *arena,
                              struct lk_dt_match *out)
{
  memset(out, 0, sizeof *out);
  if(!lk_dt_matches_filename_ok(filename))
    return LK_ERR_NOT_FOUND;
  return lk_dtm_get(m, 0, filename, arena, out);
}

/* ---- filters ----------------------------------------------------------- */

/* Column 0 of every row of statement id, into a growing arena array. */
static lk_err lk_dtm_strings(struct lk_dtm_db *d, enum lk_dtm_sql id,
                             struct lk_arena *a, const char ***out, int *n)
{
  sqlite3_stmt *st;
  const char **list = NULL;
  int cap = 0, rc = SQLITE_DONE;
  lk_err err = lk_dtm_stmt(d, id, &st);
  *out = NULL;
  *n = 0;
  while(!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if(*n == cap) {
      const char **grown = lk_arena_alloc(a, (size_t)(cap * 2 + 16) *
                                                 sizeof *grown);
      if(!grown) {
        err = LK_ERR_NOMEM;
        break;
      }
      if(cap)
        memcpy(grown, list, (size_t)cap * sizeof *grown);
      list = grown;
      cap = cap * 2 + 16;
    }
    if(!(list[*n] = lk_sqlite_col_text(st, 0, a)))
      err = LK_ERR_NOMEM;
    else
      (*n)++;
  }
  if(!err && rc != SQLITE_DONE)
    err = lk_dtm_err(d, rc, "filters");
  if(st)
    lk_dtm_reset(st);
  *out = list;
  return err;
}

static lk_err lk_dtm_filters(struct lk_dtm_db *d, struct lk_arena *a,
                             struct lk_dt_match_filters *out)
{
  lk_err err = lk_dtm_count(d, NULL, &out->total);
  if(!err)
    err = lk_dtm_strings(d, LK_DTM_NAMES, a, &out->names, &out->n_names);
  if(!err)
    err = lk_dtm_strings(d, LK_DTM_MATCHES, a, &out->matches,
                         &out->n_matches);
  if(!err)
    err = lk_dtm_strings(d, LK_DTM_DETECTORS, a, &out->detectors,
                         &out->n_detectors);
  if(!err)
    err = lk_dtm_strings(d, LK_DTM_CAMERAS, a, &out->cameras,
                         &out->n_cameras);
  if(!err)
    err = lk_dtm_strings(d, LK_DTM_TYPES, a, &out->types, &out->n_types);
  return err;
}

lk_err lk_dt_matches_filters(struct lk_dt_matches *m, struct lk_arena *arena,
                             struct lk_dt_match_filters *out)
{
  struct lk_dtm_db *d;
  lk_err err;
  memset(out, 0, sizeof *out);
  err = lk_dtm_read_begin(m, &d);
  if(!err)
    err = lk_dtm_read_end(m, d, lk_dtm_filters(d, arena, out));
  if(err)
    memset(out, 0, sizeof *out);
  return err;
}
