/* dt_mqtt.c - Double Take's MQTT topics and the messages of an event
 * (mqtt.util.js recognize()): names made safe as topic levels (#239),
 * Home Assistant discovery configs, and the ordered list of messages with
 * their retain flags (v1.13.1, #249: only state and configuration are
 * retained). Publishing is the caller's. */
#include "dt/dt_result_int.h"

#include <stdio.h>
#include <string.h>

static const char ha_node[] = "/sensor/double-take/";

struct lk_dt_topics lk_dt_topics_default(void)
{
  struct lk_dt_topics t = { "double-take/matches", "double-take/cameras",
                            "homeassistant", "double-take/available" };
  return t;
}

/* FNV-1a, 32 bits: a short, stable stand-in for names with no letter or
 * digit a topic can carry. */
static unsigned long fnv1a(const char *s)
{
  unsigned long h = 2166136261UL;
  for(; *s; s++)
    h = ((h ^ (unsigned char)*s) * 16777619UL) & 0xFFFFFFFFUL;
  return h;
}

static int topic_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-';
}

char *lk_dt_topic_name(struct lk_arena *arena, const char *name)
{
  char *t = name ? lk_dtr_spaces(arena, name, '-') : NULL;
  char hashed[16];
  size_t i, o = 0;
  int alnum = 0;
  if(!t)
    return NULL;
  for(i = 0; t[i]; i++) {
    if(!topic_char(t[i]))
      continue;
    alnum |= t[i] != '-';
    t[o++] = t[i];
  }
  t[o] = '\0';
  if(alnum)
    return t;
  snprintf(hashed, sizeof hashed, "%08lx", fnv1a(name));
  return lk_dtr_join(arena, "name-", hashed, (char *)NULL);
}

char *lk_dt_topic_camera(struct lk_arena *arena, const char *camera)
{
  char *t = camera && *camera ? lk_dt_lower(arena, camera) : NULL, *p;
  for(p = t; p && *p; p++)
    if(*p == '+' || *p == '#' || *p == '/')
      *p = '-';
  return t;
}

char *lk_dt_topic(struct lk_arena *arena, const struct lk_dt_topics *t,
                  enum lk_dt_topic kind, const char *name)
{
  const char *level = NULL;
  switch(kind) {
  case LK_DT_TOPIC_MATCH:
    level = lk_dt_topic_name(arena, name);
    break;
  case LK_DT_TOPIC_UNKNOWN:
    level = "unknown";
    break;
  case LK_DT_TOPIC_CAMERA:
  case LK_DT_TOPIC_CAMERA_PERSON:
    level = lk_dt_topic_camera(arena, name);
    break;
  }
  if(!level)
    return NULL;
  if(kind == LK_DT_TOPIC_MATCH || kind == LK_DT_TOPIC_UNKNOWN)
    return lk_dtr_join(arena, t->matches, "/", level, (char *)NULL);
  return lk_dtr_join(arena, t->cameras, "/", level,
                     kind == LK_DT_TOPIC_CAMERA_PERSON ? "/person" : "",
                     (char *)NULL);
}

static int ha_on(const struct lk_dt_topics *t)
{
  return t->homeassistant && *t->homeassistant;
}

char *lk_dt_ha_topic(struct lk_arena *arena, const struct lk_dt_topics *t,
                     enum lk_dt_sensor kind, const char *name, int state)
{
  const char *level = kind == LK_DT_SENSOR_UNKNOWN ? "unknown" :
                      kind == LK_DT_SENSOR_CAMERA ?
                      lk_dt_topic_camera(arena, name) :
                      lk_dt_topic_name(arena, name);
  if(!ha_on(t) || !level)
    return NULL;
  return lk_dtr_join(arena, t->homeassistant, ha_node, level,
                     state ? "/state" : "/config", (char *)NULL);
}

/* The entity's name and unique_id: double_take_<person with runs of white
 * space as "_">, double_take_unknown, double_take_<camera lower-cased>. */
static char *ha_entity(struct lk_arena *arena, enum lk_dt_sensor kind,
                       const char *name)
{
  const char *tail = kind == LK_DT_SENSOR_UNKNOWN ? "unknown" :
                     kind == LK_DT_SENSOR_CAMERA ? lk_dt_lower(arena, name) :
                     lk_dtr_spaces(arena, name, '_');
  return tail ? lk_dtr_join(arena, "double_take_", tail, (char *)NULL) : NULL;
}

cJSON *lk_dt_ha_config_json(struct lk_arena *arena,
                            const struct lk_dt_topics *t,
                            enum lk_dt_sensor kind, const char *name)
{
  int camera = kind == LK_DT_SENSOR_CAMERA;
  char *entity = ha_entity(arena, kind, name);
  char *state = lk_dt_ha_topic(arena, t, kind, name, 1);
  cJSON *o;
  if(!entity || !state)
    return NULL;
  o = cJSON_CreateObject();
  o = lk_dtr_add(o, "name", cJSON_CreateString(entity));
  o = lk_dtr_add(o, "icon",
                 cJSON_CreateString(camera ? "mdi:camera" : "mdi:account"));
  o = lk_dtr_add(o, "value_template", cJSON_CreateString(camera ?
                 "{{ value_json.counts.person }}" : "{{ value_json.camera }}"));
  o = lk_dtr_add(o, "state_topic", cJSON_CreateString(state));
  o = lk_dtr_add(o, "json_attributes_topic", cJSON_CreateString(state));
  o = lk_dtr_add(o, "availability_topic", cJSON_CreateString(
                 t->available ? t->available : "double-take/available"));
  return lk_dtr_add(o, "unique_id", cJSON_CreateString(entity));
}

/* ---- the messages of an event ------------------------------------------ */

struct msg_list {
  struct lk_dt_message *m;
  size_t n, cap;
  struct lk_arena *arena;
};

static lk_err push_text(struct msg_list *l, const char *topic,
                        const char *text, size_t len, int retain)
{
  if(!topic || !text)
    return LK_ERR_NOMEM;
  if(l->n == l->cap)
    return LK_ERR_INVAL;             /* the list was sized too small */
  l->m[l->n++] = (struct lk_dt_message){ topic, text, len, retain };
  return LK_OK;
}

/* Print tree into the list (the tree is freed either way). */
static lk_err push_json(struct msg_list *l, const char *topic, cJSON *tree,
                        int retain)
{
  size_t len = 0;
  char *text = lk_dtr_print(l->arena, tree, &len);
  return push_text(l, topic, text, len, retain);
}

/* A sensor's retained config and state. */
static lk_err push_sensor(struct msg_list *l, const struct lk_dt_topics *t,
                          enum lk_dt_sensor kind, const char *name,
                          cJSON *state)
{
  lk_err err;
  if(!ha_on(t)) {
    cJSON_Delete(state);
    return LK_OK;
  }
  err = push_json(l, lk_dt_ha_topic(l->arena, t, kind, name, 0),
                  lk_dt_ha_config_json(l->arena, t, kind, name), 1);
  if(err) {
    cJSON_Delete(state);
    return err;
  }
  return push_json(l, lk_dt_ha_topic(l->arena, t, kind, name, 1), state, 1);
}

static lk_err push_unknown(struct msg_list *l, const struct lk_dt_topics *t,
                           const struct lk_dt_event *ev,
                           const struct lk_dt_summary *s)
{
  lk_err err;
  if(!s->n_unknowns)
    return LK_OK;
  err = push_json(l, lk_dt_topic(l->arena, t, LK_DT_TOPIC_UNKNOWN, NULL),
                  lk_dt_unknown_json(ev, s), 0);
  if(err)
    return err;
  return push_sensor(l, t, LK_DT_SENSOR_UNKNOWN, NULL,
                     lk_dt_unknown_json(ev, s));
}

static lk_err push_match(struct msg_list *l, const struct lk_dt_topics *t,
                         const struct lk_dt_event *ev,
                         const struct lk_dt_summary *s, size_t i)
{
  const char *name = s->matches[i].name;
  lk_err err = push_json(l, lk_dt_topic(l->arena, t, LK_DT_TOPIC_MATCH, name),
                         lk_dt_match_json(ev, s, i), 0);
  if(err)
    return err;
  return push_sensor(l, t, LK_DT_SENSOR_PERSON, name,
                     lk_dt_match_json(ev, s, i));
}

static lk_err push_camera(struct msg_list *l, const struct lk_dt_topics *t,
                          const struct lk_dt_event *ev,
                          const struct lk_dt_summary *s)
{
  lk_err err;
  if(!s->n_matches && !s->n_misses && !s->n_unknowns)
    return LK_OK;
  err = push_json(l, lk_dt_topic(l->arena, t, LK_DT_TOPIC_CAMERA, ev->camera),
                  lk_dt_camera_json(ev, s, 0), 0);
  if(err)
    return err;
  return push_sensor(l, t, LK_DT_SENSOR_CAMERA, ev->camera,
                     lk_dt_camera_json(ev, s, 0));
}

/* The retained person count of a camera: "2", or "0" on reset. */
static lk_err push_count(struct msg_list *l, const struct lk_dt_topics *t,
                         const struct lk_dt_event *ev, int person)
{
  char text[16];
  snprintf(text, sizeof text, "%d", person);
  return push_text(l, lk_dt_topic(l->arena, t, LK_DT_TOPIC_CAMERA_PERSON,
                                  ev->camera),
                   lk_dtr_strdup(l->arena, text), strlen(text), 1);
}

static lk_err list_init(struct msg_list *l, struct lk_arena *arena,
                        size_t cap, const struct lk_dt_topics *t,
                        const struct lk_dt_event *ev)
{
  l->arena = arena;
  l->n = 0;
  l->cap = cap;
  if(!t || !ev || !arena || !ev->camera || !*ev->camera)
    return LK_ERR_INVAL;
  l->m = lk_arena_alloc(arena, cap * sizeof *l->m);
  return l->m ? LK_OK : LK_ERR_NOMEM;
}

lk_err lk_dt_mqtt_messages(const struct lk_dt_topics *t,
                           const struct lk_dt_event *ev,
                           const struct lk_dt_summary *s,
                           struct lk_arena *arena,
                           struct lk_dt_message **out, size_t *n)
{
  struct msg_list l;
  size_t i;
  /* count + 3 for unknown + 3 per match + 3 for the camera */
  lk_err err = s ? list_init(&l, arena, 7 + 3 * s->n_matches, t, ev) :
               LK_ERR_INVAL;
  if(!err)
    err = push_count(&l, t, ev, s->counts.person);
  if(!err)
    err = push_unknown(&l, t, ev, s);
  for(i = 0; !err && i < s->n_matches; i++)
    err = push_match(&l, t, ev, s, i);
  if(!err)
    err = push_camera(&l, t, ev, s);
  if(err)
    return err;
  *out = l.m;
  *n = l.n;
  return LK_OK;
}

lk_err lk_dt_mqtt_reset_messages(const struct lk_dt_topics *t,
                                 const struct lk_dt_event *ev,
                                 const struct lk_dt_summary *s,
                                 struct lk_arena *arena,
                                 struct lk_dt_message **out, size_t *n)
{
  struct msg_list l;
  lk_err err = s ? list_init(&l, arena, 2, t, ev) : LK_ERR_INVAL;
  if(!err)
    err = push_count(&l, t, ev, 0);
  /* the camera's sensor state, reset even if no config was ever sent */
  if(!err && ha_on(t))
    err = push_json(&l, lk_dt_ha_topic(arena, t, LK_DT_SENSOR_CAMERA,
                                       ev->camera, 1),
                    lk_dt_camera_json(ev, s, 1), 1);
  if(err)
    return err;
  *out = l.m;
  *n = l.n;
  return LK_OK;
}
