/* dt_config_cameras.c - the maps whose keys the user names: cameras.<cam>
 * and frigate.events.<cam>. Each holds overrides, so only the keys given
 * are kept (with a bit each) and lk_dt_config_camera lays them over the
 * global values, as config.js's detect(camera) and frigate({camera})
 * merge them. Also schedule.disable's test for one camera and moment. */
#include <stdio.h>
#include <string.h>

#include "dt_config_int.h"

_Static_assert(sizeof(enum lk_dt_base64) == sizeof(int) &&
               sizeof(enum lk_dt_log_level) == sizeof(int),
               "enums are read and written as int");

/* One table of an entry: its map below the entry, its struct, its bits. */
struct dt_part {
  const char *path;             /* "" for the entry's own map */
  const struct dt_table *t;
  size_t off;                   /* of the table's struct in the entry */
  size_t set;                   /* of the entry's unsigned bits */
};

struct dt_named {
  const char *prefix;           /* "cameras" */
  size_t size;                  /* of an entry */
  size_t name, line;            /* of its const char *name and int line */
  const struct dt_part *parts;
  size_t n_parts;
};

#define CAM(f) offsetof(struct lk_dt_camera, f)
static const struct dt_part dt_camera_parts[] = {
  { "", &dt_camera_table, 0, CAM(set) },
  { "detect.match", &dt_match_table, CAM(match), CAM(match_set) },
  { "detect.unknown", &dt_unknown_table, CAM(unknown), CAM(unknown_set) },
};
static const struct dt_named dt_cameras = {
  "cameras", sizeof(struct lk_dt_camera), CAM(name), CAM(line),
  dt_camera_parts, 3
};

#define EV(f) offsetof(struct lk_dt_frigate_event, f)
static const struct dt_part dt_event_parts[] = {
  { "attempts", &dt_attempts_table, EV(attempts), EV(attempts_set) },
  { "image", &dt_image_table, EV(image), EV(image_set) },
};
static const struct dt_named dt_events = {
  "frigate.events", sizeof(struct lk_dt_frigate_event), EV(camera), EV(line),
  dt_event_parts, 2
};

static lk_err dt_named_entry(struct dt_load *l, const struct dt_named *spec,
                             const struct lk_conf_node *n, const char *path,
                             char *entry)
{
  size_t i;
  lk_err err;
  for(i = 0; i < spec->n_parts; i++) {
    const struct dt_part *p = &spec->parts[i];
    struct dt_apply a = { path, n, n ? n->line : 0, entry + p->off, 1,
                          (unsigned *)(entry + p->set), 0 };
    if(p->path[0]) {
      a.prefix = dt_join(l, path, p->path);
      if(!a.prefix)
        return LK_ERR_NOMEM;
      if((err = dt_find(l, n, path, p->path, &a.node)))
        return err;
    }
    if((err = dt_apply(l, p->t, &a)))
      return err;
  }
  return LK_OK;
}

static lk_err dt_named_load(struct dt_load *l, const struct lk_conf_node *root,
                            const struct dt_named *spec, void **out,
                            size_t *count)
{
  const struct lk_conf_node *map;
  char *v;
  size_t i;
  lk_err err = dt_find(l, root, "", spec->prefix, &map);

  if(err || !map)
    return err;
  if(map->kind != LK_CONF_MAP) {
    struct dt_where w = { spec->prefix, map->line, NULL };
    return dt_fail(l, &w, "expected a map of camera names, got %s",
                   map->kind == LK_CONF_SEQ ? "a list" : "a single value");
  }
  v = lk_arena_calloc(l->arena, (map->n ? map->n : 1) * spec->size);
  if(!v)
    return LK_ERR_NOMEM;
  for(i = 0; i < map->n; i++) {
    char *entry = v + i * spec->size;
    const struct lk_conf_node *n = map->items[i];
    const char *path = dt_join(l, spec->prefix, map->keys[i]);
    if(!path)
      return LK_ERR_NOMEM;
    memcpy(entry + spec->name, &map->keys[i], sizeof map->keys[i]);
    memcpy(entry + spec->line, &map->key_lines[i], sizeof(int));
    if(n->kind == LK_CONF_SCALAR && n->null)
      n = NULL;                 /* "front-door:" with everything commented */
    if(n && n->kind != LK_CONF_MAP) {
      struct dt_where w = { path, n->line, NULL };
      return dt_fail(l, &w, "expected a map of keys, got %s",
                     n->kind == LK_CONF_SEQ ? "a list" : "a single value");
    }
    if((err = dt_named_entry(l, spec, n, path, entry)))
      return err;
  }
  *out = v;
  *count = map->n;
  return LK_OK;
}

lk_err dt_load_cameras(struct dt_load *l, const struct lk_conf_node *root)
{
  void *v = NULL;
  lk_err err = dt_named_load(l, root, &dt_cameras, &v, &l->cfg->n_cameras);
  l->cfg->cameras = v;
  return err;
}

lk_err dt_load_events(struct dt_load *l, const struct lk_conf_node *root)
{
  void *v = NULL;
  lk_err err = dt_named_load(l, root, &dt_events, &v,
                             &l->cfg->frigate.n_events);
  l->cfg->frigate.events = v;
  return err;
}

/* --- merging ------------------------------------------------------------- */

static size_t dt_type_size(enum dt_type type)
{
  switch(type) {
  case DT_WHOLE:
    return sizeof(long);
  case DT_NUM:
    return sizeof(double);
  case DT_STR:
  case DT_HA:
    return sizeof(const char *);
  case DT_STRS:
    return sizeof(struct lk_dt_strs);
  default:
    return sizeof(int);           /* DT_BOOL, DT_ENUM, DT_BASE64 */
  }
}

/* The fields of src whose bit is in set, over dst. */
static void dt_merge(const struct dt_table *t, void *dst, const void *src,
                     unsigned set)
{
  size_t i;
  for(i = 0; i < t->n; i++) {
    const struct dt_key *k = &t->keys[i];
    if(set & (1u << i))
      memcpy((char *)dst + k->off, (const char *)src + k->off,
             dt_type_size(k->type));
  }
}

void lk_dt_config_camera(const struct lk_dt_config *c, const char *name,
                         struct lk_dt_camera_view *out)
{
  size_t i;
  memset(out, 0, sizeof *out);
  out->name = name;
  out->match = c->detect.match;
  out->unknown = c->detect.unknown;
  out->attempts = c->frigate.attempts;
  out->image = c->frigate.image;
  for(i = 0; i < c->n_cameras; i++) {
    const struct lk_dt_camera *cam = &c->cameras[i];
    if(strcmp(cam->name, name))
      continue;
    out->camera = cam;
    dt_merge(&dt_match_table, &out->match, &cam->match, cam->match_set);
    dt_merge(&dt_unknown_table, &out->unknown, &cam->unknown,
             cam->unknown_set);
  }
  for(i = 0; i < c->frigate.n_events; i++) {
    const struct lk_dt_frigate_event *ev = &c->frigate.events[i];
    if(strcmp(ev->camera, name))
      continue;
    dt_merge(&dt_attempts_table, &out->attempts, &ev->attempts,
             ev->attempts_set);
    dt_merge(&dt_image_table, &out->image, &ev->image, ev->image_set);
  }
}

static int dt_has(const struct lk_dt_strs *s, const char *v)
{
  size_t i;
  for(i = 0; i < s->n; i++) {
    if(!strcmp(s->v[i], v))
      return 1;
  }
  return 0;
}

/* schedule.util.js: the weekday and the camera listed, start <= now < end */
int lk_dt_config_disabled(const struct lk_dt_config *c, const char *camera,
                          int weekday, int minute)
{
  static const char *const days[] = { "monday", "tuesday", "wednesday",
                                      "thursday", "friday", "saturday",
                                      "sunday" };
  size_t i, j;
  int start, end;
  if(weekday < 0 || weekday > 6)
    return 0;
  for(i = 0; i < c->schedule.n; i++) {
    const struct lk_dt_schedule_rule *r = &c->schedule.v[i];
    if(!dt_has(&r->days, days[weekday]) || !dt_has(&r->cameras, camera))
      continue;
    for(j = 0; j < r->times.n; j++) {
      if(dt_time_range(r->times.v[j], &start, &end) && minute >= start &&
         minute < end)
        return 1;
    }
  }
  return 0;
}

/* --- JSON ---------------------------------------------------------------- */

static cJSON *dt_json_named(const struct lk_dt_config *c,
                            const struct dt_named *spec, const char *v,
                            size_t n, int redact)
{
  cJSON *all = cJSON_CreateObject();
  size_t i, j;
  char path[DT_PATHMAX];
  for(i = 0; all && i < n; i++) {
    const char *entry = v + i * spec->size, *name;
    cJSON *obj = cJSON_CreateObject();
    memcpy(&name, entry + spec->name, sizeof name);
    if(!obj || !cJSON_AddItemToObject(all, name, obj)) {
      cJSON_Delete(obj);
      goto fail;
    }
    for(j = 0; j < spec->n_parts; j++) {
      const struct dt_part *p = &spec->parts[j];
      cJSON *at = obj;
      unsigned set;
      memcpy(&set, entry + p->set, sizeof set);
      snprintf(path, sizeof path, "%s.%s%s%s", spec->prefix, name,
               p->path[0] ? "." : "", p->path);
      if(set && p->path[0])
        at = dt_json_path(obj, p->path);
      if(set && (!at || !dt_json_table(c, p->t, path, entry + p->off, 1, set,
                                        redact, at)))
        goto fail;
    }
  }
  return all;
fail:
  cJSON_Delete(all);
  return NULL;
}

cJSON *dt_json_cameras(const struct lk_dt_config *c, int redact)
{
  return dt_json_named(c, &dt_cameras, (const char *)c->cameras,
                       c->n_cameras, redact);
}

cJSON *dt_json_events(const struct lk_dt_config *c, int redact)
{
  return dt_json_named(c, &dt_events, (const char *)c->frigate.events,
                       c->frigate.n_events, redact);
}
