/* store_write.c - every call that changes the gallery. Each one is a
 * single transaction on the writer connection under the write lock:
 * check the input, write, reserve what the index will need, commit, then
 * apply the change to the index (which cannot fail by then). So a failed
 * call leaves both the database and the index as they were, and a
 * returned call is on disk. Every face row written gets its own time from
 * lk_store_tick, which the sync feed pages by. */
#include <string.h>

#include "store/store_int.h"

/* Ids of a person's faces are listed into a scratch arena first: SQLite
 * may revisit rows updated while a SELECT over them is still stepping.
 * The list doubles as it grows, so twice the most faces there can be. */
static struct lk_arena *lk_store_scratch(struct lk_store *st)
{
  size_t most = (size_t)st->opts.max_faces + 64;
  return lk_arena_create(2 * most * sizeof(int64_t));
}

/* The live person called name; created (at a new time) when missing, in
 * which case *fresh gets a copy of the name for the index. */
static lk_err lk_store_person_ensure(struct lk_store *st, const char *name,
                                     int64_t *id, char **fresh)
{
  struct lk_store_person p;
  lk_err err = st->be->person_find(st->writer, name, &p);
  *fresh = NULL;
  if(!err) {
    *id = p.id;
    return LK_OK;
  }
  if(err != LK_ERR_NOT_FOUND)
    return err;
  err = lk_index_reserve(st->ix, 0, 1);
  if(!err)
    err = st->be->person_insert(st->writer, name, lk_store_tick(st), id);
  if(!err && !(*fresh = lk_strdup(name)))
    err = LK_ERR_NOMEM;
  return err;
}

/* ---- faces ------------------------------------------------------------- */

static lk_err lk_store_check_new(const struct lk_store_face_new *f,
                                 struct lk_store_face_new *g, char *sha)
{
  lk_err err;
  if(!f)
    return LK_ERR_INVAL;
  err = lk_store_check_name(f->person);
  if(!err)
    err = lk_store_check_descriptor(f->descriptor);
  if(!err)
    err = lk_store_check_label(f->detector, "detector");
  if(!err)
    err = lk_store_check_label(f->align, "align");
  if(!err)
    err = lk_store_check_sha256(f->sha256, 0, sha);
  if(!err)
    err = lk_store_check_path(f->image_path);
  if(!err)
    err = lk_store_check_meta(f->meta);
  *g = *f;
  g->sha256 = sha;
  return err;
}

lk_err lk_store_face_add(struct lk_store *st,
                         const struct lk_store_face_new *f, int64_t *id)
{
  struct lk_store_face_new g;
  char sha[65], *fresh = NULL;
  int64_t pid = 0, fid = 0;
  lk_err err = lk_store_check_new(f, &g, sha);
  if(!err)
    err = lk_store_write_begin(st);
  if(err)
    return err;
  err = lk_store_person_ensure(st, g.person, &pid, &fresh);
  if(!err)
    err = lk_index_reserve(st->ix, 1, 0);
  if(!err)
    err = st->be->face_insert(st->writer, &g, pid, lk_store_tick(st), &fid);
  err = lk_store_write_commit(st, err);
  if(!err) {
    lk_index_wrlock(st->ix);
    if(fresh)
      lk_index_person_put(st->ix, pid, fresh);
    lk_index_face_put(st->ix, fid, pid, g.descriptor);
    lk_index_unlock(st->ix);
    fresh = NULL;
    if(id)
      *id = fid;
  }
  lk_store_write_unlock(st);
  lk_free(fresh);
  return err;
}

static lk_err lk_store_check_update(const struct lk_store_face_update *u,
                                    struct lk_store_face_update *v, char *sha)
{
  lk_err err = LK_OK;
  if(!u || (!u->person && !u->descriptor && !u->detector && !u->align &&
            !u->sha256 && !u->meta && !u->image_path))
    return LK_ERR_INVAL;
  if(u->person)
    err = lk_store_check_name(u->person);
  if(!err && u->descriptor)
    err = lk_store_check_descriptor(u->descriptor);
  if(!err)
    err = lk_store_check_label(u->detector, "detector");
  if(!err)
    err = lk_store_check_label(u->align, "align");
  if(!err)
    err = lk_store_check_sha256(u->sha256, 1, sha);
  if(!err)
    err = lk_store_check_path(u->image_path);
  if(!err)
    err = lk_store_check_meta(u->meta);
  *v = *u;
  if(u->sha256)
    v->sha256 = sha;
  return err;
}

lk_err lk_store_face_update(struct lk_store *st, int64_t id,
                            const struct lk_store_face_update *u)
{
  struct lk_store_face_update v;
  char sha[65], *fresh = NULL;
  int64_t pid = 0;
  lk_err err = lk_store_check_update(u, &v, sha);
  if(!err)
    err = lk_store_write_begin(st);
  if(err)
    return err;
  if(v.person)
    err = lk_store_person_ensure(st, v.person, &pid, &fresh);
  if(!err)
    err = st->be->face_update(st->writer, id, &v, pid, lk_store_tick(st));
  err = lk_store_write_commit(st, err);
  if(!err) {
    lk_index_wrlock(st->ix);
    if(fresh)
      lk_index_person_put(st->ix, pid, fresh);
    lk_index_face_set(st->ix, id, pid, v.descriptor);
    lk_index_unlock(st->ix);
    fresh = NULL;
  }
  lk_store_write_unlock(st);
  lk_free(fresh);
  return err;
}

lk_err lk_store_face_delete(struct lk_store *st, int64_t id)
{
  lk_err err = lk_store_write_begin(st);
  if(err)
    return err;
  err = st->be->face_remove(st->writer, id, lk_store_tick(st));
  err = lk_store_write_commit(st, err);
  if(!err) {
    lk_index_wrlock(st->ix);
    lk_index_face_drop(st->ix, id);
    lk_index_unlock(st->ix);
  }
  lk_store_write_unlock(st);
  return err;
}

/* ---- people ------------------------------------------------------------ */

lk_err lk_store_person_create(struct lk_store *st, const char *name,
                              int64_t *id)
{
  char *fresh = NULL;
  int64_t pid = 0;
  lk_err err = lk_store_check_name(name);
  if(!err)
    err = lk_store_write_begin(st);
  if(err)
    return err;
  err = lk_store_person_ensure(st, name, &pid, &fresh);
  if(!err && !fresh)
    err = LK_STORE_ERR_EXISTS;
  err = lk_store_write_commit(st, err);
  if(!err) {
    lk_index_wrlock(st->ix);
    lk_index_person_put(st->ix, pid, fresh);
    lk_index_unlock(st->ix);
    fresh = NULL;
    if(id)
      *id = pid;
  }
  lk_store_write_unlock(st);
  lk_free(fresh);
  return err;
}

/* Give every live face of a person a new time, and optionally a new
 * person: a rename or merge must reach sync clients too. */
static lk_err lk_store_move_faces(struct lk_store *st, int64_t from,
                                  int64_t to, int remove)
{
  struct lk_arena *scratch = lk_store_scratch(st);
  int64_t *ids;
  int n = 0, i;
  lk_err err = scratch ? LK_OK : LK_ERR_NOMEM;
  if(!err)
    err = st->be->person_face_ids(st->writer, from, scratch, &ids, &n);
  for(i = 0; !err && i < n; i++) {
    if(remove)
      err = st->be->face_remove(st->writer, ids[i], lk_store_tick(st));
    else
      err = st->be->face_move(st->writer, ids[i], to, lk_store_tick(st));
  }
  lk_arena_destroy(scratch);
  return err;
}

/* The database half of a rename; *merged says whether to was taken. */
static lk_err lk_store_rename_db(struct lk_store *st, const char *from,
                                 const char *to, unsigned flags,
                                 struct lk_store_person *src,
                                 struct lk_store_person *dst, int *merged)
{
  lk_err err = st->be->person_find(st->writer, from, src);
  if(err)
    return err;
  err = st->be->person_find(st->writer, to, dst);
  *merged = !err;
  if(err == LK_ERR_NOT_FOUND) {
    err = st->be->person_rename(st->writer, src->id, to, lk_store_tick(st));
    return err ? err : lk_store_move_faces(st, src->id, src->id, 0);
  }
  if(err)
    return err;
  if(!(flags & LK_STORE_MERGE))
    return LK_STORE_ERR_EXISTS;
  err = lk_store_move_faces(st, src->id, dst->id, 0);
  return err ? err : st->be->person_remove(st->writer, src->id,
                                           lk_store_tick(st));
}

/* Renaming to the same name changes nothing, but still needs the person. */
static lk_err lk_store_person_exists(struct lk_store *st, const char *name)
{
  struct lk_store_person p;
  struct lk_store_db *db = lk_store_reader_get(st);
  lk_err err = st->be->person_find(db, name, &p);
  lk_store_reader_put(st, db);
  return err;
}

lk_err lk_store_person_rename(struct lk_store *st, const char *from,
                              const char *to, unsigned flags)
{
  struct lk_store_person src, dst;
  char *name = NULL;
  int merged = 0;
  lk_err err = lk_store_check_name(from);
  if(!err)
    err = lk_store_check_name(to);
  if(!err && !strcmp(from, to))
    return lk_store_person_exists(st, from);
  if(!err && !(name = lk_strdup(to)))
    err = LK_ERR_NOMEM;
  if(!err)
    err = lk_store_write_begin(st);
  if(err) {
    lk_free(name);
    return err;
  }
  err = lk_store_rename_db(st, from, to, flags, &src, &dst, &merged);
  err = lk_store_write_commit(st, err);
  if(!err) {
    lk_index_wrlock(st->ix);
    if(merged)
      lk_index_person_merge(st->ix, src.id, dst.id);
    else
      lk_index_person_rename(st->ix, src.id, name);
    lk_index_unlock(st->ix);
    if(!merged)
      name = NULL;
  }
  lk_store_write_unlock(st);
  lk_free(name);
  return err;
}

/* Delete (drop = 1) or clear a person: tombstone every live face. */
static lk_err lk_store_person_empty(struct lk_store *st, const char *name,
                                    int drop, int64_t *n_faces)
{
  struct lk_store_person p;
  lk_err err = lk_store_check_name(name);
  if(!err)
    err = lk_store_write_begin(st);
  if(err)
    return err;
  err = st->be->person_find(st->writer, name, &p);
  if(!err)
    err = lk_store_move_faces(st, p.id, 0, 1);
  if(!err && drop)
    err = st->be->person_remove(st->writer, p.id, lk_store_tick(st));
  err = lk_store_write_commit(st, err);
  if(!err) {
    lk_index_wrlock(st->ix);
    if(drop)
      lk_index_person_drop(st->ix, p.id);
    else
      lk_index_person_clear(st->ix, p.id);
    lk_index_unlock(st->ix);
    if(n_faces)
      *n_faces = p.n_faces;
  }
  lk_store_write_unlock(st);
  return err;
}

lk_err lk_store_person_delete(struct lk_store *st, const char *name,
                              int64_t *n_faces)
{
  return lk_store_person_empty(st, name, 1, n_faces);
}

lk_err lk_store_person_clear(struct lk_store *st, const char *name,
                             int64_t *n_faces)
{
  return lk_store_person_empty(st, name, 0, n_faces);
}
