/* keep.c - the source images register keeps, one file per face named by
 * face id (cfg.image_dir/123.jpg), and the deletes that take them away.
 *
 * Order of writes: the face row commits first (it is what a client's
 * acknowledgement promises), then the image is written durably
 * (lk_file_write_durable: a temporary file, fsync, rename), then the row
 * learns the file's name. A crash in between leaves a face without an
 * image (its /img answers 404) or a file without a face (or a temporary
 * file), which lk_pipeline_image_sweep removes. The
 * store keeps only the file name, never a path, so a moved data folder
 * still works and no stored value can point outside image_dir. */
#include "pipeline_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"

static const char *lk_keep_ext(const void *img, size_t len)
{
  switch(lk_image_sniff(img, len)) {
  case LK_IMAGE_JPEG: return "jpg";
  case LK_IMAGE_PNG: return "png";
  case LK_IMAGE_WEBP: return "webp";
  default: return NULL;         /* register decoded it, so unreachable */
  }
}

static const char *lk_keep_type(const char *name)
{
  const char *dot = strrchr(name, '.');
  if(dot && !strcmp(dot, ".png"))
    return "image/png";
  if(dot && !strcmp(dot, ".webp"))
    return "image/webp";
  return "image/jpeg";
}

/* dir/name into buf; 0 when it does not fit or name is not a plain file
 * name (a stored value is never trusted to be one). */
static int lk_keep_path(const struct lk_pipeline *p, const char *name,
                        char *buf, size_t size)
{
  if(!name[0] || strchr(name, '/') || name[0] == '.')
    return 0;
  return snprintf(buf, size, "%s/%s", p->cfg.image_dir, name) < (int)size;
}

void lk_pipeline_keep_image(struct lk_pipeline *p, int64_t face_id,
                            const void *img, size_t len)
{
  struct lk_store_face_update u;
  char name[64], path[4096];
  const char *ext = lk_keep_ext(img, len);
  lk_err err;

  if(!p->cfg.image_dir || !ext)
    return;
  snprintf(name, sizeof name, "%" PRId64 ".%s", face_id, ext);
  if(!lk_keep_path(p, name, path, sizeof path) ||
     lk_file_write_durable(p->cfg.image_dir, name, img, len)) {
    lk_log(LK_LOG_WARN, "pipeline", "face %" PRId64 ": cannot keep its "
           "image in %s: %s", face_id, p->cfg.image_dir, strerror(errno));
    return;
  }
  memset(&u, 0, sizeof u);
  u.image_path = name;
  err = lk_store_face_update(p->st, face_id, &u);
  if(err) {      /* deleted meanwhile, or the store failed: no orphan */
    unlink(path);
    if(err != LK_ERR_NOT_FOUND)
      lk_log(LK_LOG_WARN, "pipeline", "face %" PRId64 ": cannot record "
             "its image: %s", face_id, lk_strerror(err));
  }
}

lk_err lk_pipeline_face_image(struct lk_pipeline *p, int64_t face_id,
                              struct lk_arena *arena,
                              const unsigned char **data, size_t *len,
                              const char **type)
{
  struct lk_store_face f;
  char path[4096];
  lk_err err;

  *data = NULL;
  *len = 0;
  *type = NULL;
  if(!p->st)
    return LK_ERR_NOT_FOUND;
  err = lk_store_face_get(p->st, face_id, 0, arena, &f);
  if(err)
    return err;
  if(!p->cfg.image_dir || !f.image_path ||
     !lk_keep_path(p, f.image_path, path, sizeof path))
    return LK_ERR_NOT_FOUND;
  err = lk_file_read_arena(path, 0, arena, data, len);
  if(!err)
    *type = lk_keep_type(f.image_path);
  return err;
}

static void lk_keep_unlink(struct lk_pipeline *p, const char *name)
{
  char path[4096];
  if(p->cfg.image_dir && name && lk_keep_path(p, name, path, sizeof path) &&
     unlink(path) && errno != ENOENT)
    lk_log(LK_LOG_WARN, "pipeline", "cannot remove %s: %s", path,
           strerror(errno));
}

lk_err lk_pipeline_face_delete(struct lk_pipeline *p, int64_t face_id)
{
  struct lk_arena *a;
  struct lk_store_face f;
  lk_err err;

  if(!p->st)
    return LK_ERR_INVAL;
  a = lk_arena_create(LK_STORE_META_MAX + LK_STORE_PATH_MAX + 4096);
  if(!a)
    return LK_ERR_NOMEM;
  err = lk_store_face_get(p->st, face_id, 0, a, &f);
  if(!err)
    err = lk_store_face_delete(p->st, face_id);
  if(!err)
    lk_keep_unlink(p, f.image_path);
  lk_arena_destroy(a);
  return err;
}

/* The kept images of a person's live faces, listed before the delete
 * (the store forgets which faces were whose only by tombstone). */
static lk_err lk_keep_person_files(struct lk_pipeline *p, const char *name,
                                   struct lk_arena *a, char ***files, int *n)
{
  struct lk_store_face *faces;
  int64_t off = 0;
  int got, cap = 0, i;
  lk_err err;

  *files = NULL;
  *n = 0;
  do {
    err = lk_store_face_list(p->st, name, off, 1000, a, &faces, &got);
    for(i = 0; !err && i < got; i++) {
      if(!faces[i].image_path)
        continue;
      if(*n == cap) {
        char **grown = lk_arena_alloc(a, (size_t)(cap + 64) * sizeof *grown);
        if(!grown)
          return LK_ERR_NOMEM;
        if(cap)
          memcpy(grown, *files, (size_t)cap * sizeof *grown);
        *files = grown;
        cap += 64;
      }
      (*files)[(*n)++] = (char *)faces[i].image_path;
    }
    off += got;
  } while(!err && got == 1000);
  return err;
}

lk_err lk_pipeline_person_delete(struct lk_pipeline *p, const char *name,
                                 int clear, int64_t *n_faces)
{
  struct lk_arena *a;
  char **files = NULL;
  int n = 0, i;
  lk_err err;

  if(n_faces)
    *n_faces = 0;
  if(!p->st)
    return LK_ERR_INVAL;
  a = lk_arena_create((size_t)256 << 20);
  if(!a)
    return LK_ERR_NOMEM;
  err = p->cfg.image_dir ? lk_keep_person_files(p, name, a, &files, &n)
                         : LK_OK;
  if(!err)
    err = clear ? lk_store_person_clear(p->st, name, n_faces)
                : lk_store_person_delete(p->st, name, n_faces);
  /* a face added between the listing and the delete keeps its file
   * until the next sweep; its row is gone either way */
  for(i = 0; !err && i < n; i++)
    lk_keep_unlink(p, files[i]);
  lk_arena_destroy(a);
  return err;
}

/* Whether a file in image_dir is an orphan: not "<id>.<ext>", or its
 * face is gone, or the face records another file. A store error is not
 * an answer: the file stays. */
static int lk_keep_orphan(struct lk_pipeline *p, const char *name,
                          struct lk_arena *a)
{
  struct lk_store_face f;
  char *end;
  long long id;
  lk_err err;

  errno = 0;
  id = strtoll(name, &end, 10);
  if(errno || end == name || *end != '.' || id <= 0)
    return 1;
  lk_arena_reset(a);
  err = lk_store_face_get(p->st, id, 0, a, &f);
  if(err)
    return err == LK_ERR_NOT_FOUND;
  return !f.image_path || strcmp(f.image_path, name);
}

long lk_pipeline_image_sweep(struct lk_pipeline *p)
{
  struct lk_arena *a;
  struct dirent *e;
  DIR *d;
  long gone = 0;

  if(!p->cfg.image_dir || !p->st)
    return 0;
  d = opendir(p->cfg.image_dir);
  a = lk_arena_create(LK_STORE_META_MAX + LK_STORE_PATH_MAX + 4096);
  if(!d || !a) {
    if(d)
      closedir(d);
    lk_arena_destroy(a);
    return -1;
  }
  while((e = readdir(d))) {
    if(e->d_name[0] == '.' || !lk_keep_orphan(p, e->d_name, a))
      continue;
    lk_keep_unlink(p, e->d_name);
    gone++;
  }
  closedir(d);
  lk_arena_destroy(a);
  return gone;
}
