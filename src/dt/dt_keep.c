/* dt_keep.c - the service's save hook onto the matches store: one row and
 * image per image worth keeping (Double Take's match table and
 * matches/<uuid>.jpg), and the latest images Home Assistant dashboards
 * show: latest/<name>.jpg for each matched name, latest/<camera>.jpg, and
 * latest/unknown.jpg when a face was unknown. */
#include "dt_service_int.h"

#include <string.h>

#include "base/log.h"
#include "dt/dt_matches.h"
#include "http/api.h"

/* Every face of every detector, in the store's shape. */
static int lk_dt_keep_faces(const struct lk_dt_save *w,
                            struct lk_dt_match_face *out, int max,
                            int *unknown)
{
  size_t i, k;
  int n = 0;
  *unknown = 0;
  for(i = 0; i < w->n_results; i++) {
    const struct lk_dt_attempt *a = &w->results[i];
    for(k = 0; k < a->n_faces && n < max; k++) {
      const struct lk_dt_face *f = &a->faces[k];
      struct lk_dt_match_face *o = &out[n++];
      o->detector = a->detector;
      o->name = f->name;
      o->confidence = f->confidence;
      o->match = f->match;
      o->left = f->box.left;
      o->top = f->box.top;
      o->width = f->box.width;
      o->height = f->box.height;
      *unknown |= !strcmp(f->name, "unknown");
    }
  }
  return n;
}

/* Double Take's response column: each detector's answer on the image. */
static char *lk_dt_keep_result(const struct lk_dt_save *w)
{
  cJSON *a = cJSON_CreateArray();
  char *text;
  size_t i, k;
  for(i = 0; a && i < w->n_results; i++) {
    const struct lk_dt_attempt *r = &w->results[i];
    cJSON *o = cJSON_CreateObject(), *faces = cJSON_CreateArray();
    for(k = 0; faces && k < r->n_faces; k++)
      faces = lk_api_json_push(faces, lk_dt_face_json(&r->faces[k], 0));
    o = lk_api_json_add(o, "detector", cJSON_CreateString(r->detector));
    o = lk_api_json_add(o, "duration", cJSON_CreateNumber(r->duration));
    o = lk_api_json_add(o, "attempt", cJSON_CreateNumber(r->attempt));
    o = lk_api_json_add(o, "results", faces);
    a = lk_api_json_push(a, o);
  }
  text = a ? cJSON_PrintUnformatted(a) : NULL;
  cJSON_Delete(a);
  return text;
}

/* latest/<name>.jpg per matched name, <camera>.jpg, unknown.jpg. */
static void lk_dt_keep_latest(struct lk_dt_matches *m,
                              const struct lk_dt_save *w,
                              const struct lk_dt_match_face *faces, int n,
                              int unknown)
{
  const char *keys[LK_DT_MATCHES_FACES_MAX + 2];
  struct lk_arena *a = lk_arena_create((size_t)256 << 20);
  int n_keys = 0, i, k, dup;
  if(!a)
    return;
  for(i = 0; i < n && n_keys < LK_DT_MATCHES_FACES_MAX; i++) {
    if(!faces[i].match)
      continue;
    for(dup = 0, k = 0; k < n_keys; k++)
      dup |= !strcmp(keys[k], faces[i].name);
    if(!dup)
      keys[n_keys++] = faces[i].name;
  }
  keys[n_keys++] = w->camera;
  if(unknown)
    keys[n_keys++] = "unknown";
  lk_dt_matches_latest_save(m, keys, n_keys, w->image, w->len, faces, n, a);
  lk_arena_destroy(a);
}

lk_err lk_dt_save_to_store(void *ctx, const struct lk_dt_save *w,
                           char filename[64])
{
  struct lk_dt_matches *m = ctx;
  struct lk_dt_match_face faces[LK_DT_MATCHES_FACES_MAX];
  struct lk_dt_match_new row;
  char why[LK_DT_MATCHES_ERRMAX] = "", file[LK_DT_MATCHES_FILE_SIZE] = "";
  int unknown, n = lk_dt_keep_faces(w, faces, LK_DT_MATCHES_FACES_MAX,
                                    &unknown);
  int64_t id;
  lk_err err;

  memset(&row, 0, sizeof row);
  row.event_id = w->event_id;
  row.camera = w->camera;
  row.type = w->type;
  row.zones = w->zones;
  row.n_zones = (int)(w->n_zones < LK_DT_MATCHES_ZONES_MAX
                      ? w->n_zones : LK_DT_MATCHES_ZONES_MAX);
  row.faces = faces;
  row.n_faces = n;
  row.duration = w->n_results ? w->results[0].duration : 0;
  row.attempt = w->n_results ? w->results[0].attempt : 1;
  row.result = lk_dt_keep_result(w);
  row.image = w->image;
  row.image_len = w->len;
  err = row.result ? lk_dt_matches_save(m, &row, &id, file, why)
                   : LK_ERR_NOMEM;
  cJSON_free((char *)row.result);
  if(err) {
    lk_log(LK_LOG_WARN, "dt", "%s: cannot keep the image: %s", w->event_id,
           why[0] ? why : lk_strerror(err));
    return err;
  }
  memcpy(filename, file, sizeof file);
  lk_dt_keep_latest(m, w, faces, n, unknown);
  return LK_OK;
}
