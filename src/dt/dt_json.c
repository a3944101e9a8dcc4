/* dt_json.c - Double Take's result JSON (recognize.controller.js) and its
 * MQTT payloads (mqtt.util.js recognize()), field for field and in its
 * order: Home Assistant templates and Node-RED flows read them. Numbers
 * are rounded as Double Take rounds them; cJSON then prints them as
 * JavaScript does for values of that kind (66.07, 100, 0.8). */
#include "dt/dt_result_int.h"

#include <string.h>

/* A string, or null for NULL (JavaScript's `x || null`: "" too). */
static cJSON *str_or_null(const char *s)
{
  return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *box_json(const struct lk_dt_box *b)
{
  cJSON *o = cJSON_CreateObject();
  o = lk_dtr_add(o, "top", cJSON_CreateNumber(b->top));
  o = lk_dtr_add(o, "left", cJSON_CreateNumber(b->left));
  o = lk_dtr_add(o, "width", cJSON_CreateNumber(b->width));
  return lk_dtr_add(o, "height", cJSON_CreateNumber(b->height));
}

static cJSON *checks_json(const struct lk_dt_face *f)
{
  cJSON *a = cJSON_CreateArray();
  int i;
  for(i = 0; i < f->n_checks; i++)
    a = lk_dtr_push(a, cJSON_CreateString(f->checks[i]));
  return a;
}

cJSON *lk_dt_face_json(const struct lk_dt_face *f, int summarized)
{
  cJSON *o = cJSON_CreateObject();
  o = lk_dtr_add(o, "name", cJSON_CreateString(f->name));
  o = lk_dtr_add(o, "confidence", cJSON_CreateNumber(f->confidence));
  o = lk_dtr_add(o, "match", cJSON_CreateBool(f->match));
  o = lk_dtr_add(o, "box", box_json(&f->box));
  /* Double Take sets checks only when there are some */
  if(f->n_checks)
    o = lk_dtr_add(o, "checks", checks_json(f));
  if(!summarized)
    return o;
  o = lk_dtr_add(o, "type", str_or_null(f->type));
  o = lk_dtr_add(o, "duration", cJSON_CreateNumber(lk_dt_round2(f->duration)));
  o = lk_dtr_add(o, "detector", str_or_null(f->detector));
  o = lk_dtr_add(o, "filename", str_or_null(f->filename));
  return lk_dtr_add(o, "base64", str_or_null(f->base64));
}

static cJSON *faces_json(const struct lk_dt_face *faces, size_t n,
                         int summarized)
{
  cJSON *a = cJSON_CreateArray();
  size_t i;
  for(i = 0; i < n; i++)
    a = lk_dtr_push(a, lk_dt_face_json(&faces[i], summarized));
  return a;
}

static cJSON *counts_json(const struct lk_dt_counts *c)
{
  cJSON *o = cJSON_CreateObject();
  o = lk_dtr_add(o, "person", cJSON_CreateNumber(c->person));
  o = lk_dtr_add(o, "match", cJSON_CreateNumber(c->match));
  o = lk_dtr_add(o, "miss", cJSON_CreateNumber(c->miss));
  return lk_dtr_add(o, "unknown", cJSON_CreateNumber(c->unknown));
}

/* id, duration, timestamp, attempts, camera, zones: what every payload
 * opens with. MQTT payloads lower-case the camera. */
static cJSON *event_head(const struct lk_dt_event *ev, int attempts,
                         int lower)
{
  cJSON *o = cJSON_CreateObject(), *zones = cJSON_CreateArray();
  char *camera = lower ? lk_dtr_lower_dup(ev->camera) : NULL;
  size_t i;
  o = lk_dtr_add(o, "id", str_or_null(ev->id));
  o = lk_dtr_add(o, "duration", cJSON_CreateNumber(lk_dt_round2(ev->duration)));
  o = lk_dtr_add(o, "timestamp", str_or_null(ev->timestamp));
  o = lk_dtr_add(o, "attempts", cJSON_CreateNumber(attempts));
  if(lower && ev->camera && !camera) {
    cJSON_Delete(o);
    o = NULL;
  }
  o = lk_dtr_add(o, "camera", str_or_null(lower ? camera : ev->camera));
  lk_free(camera);
  for(i = 0; i < ev->n_zones; i++)
    zones = lk_dtr_push(zones, cJSON_CreateString(ev->zones[i]));
  return lk_dtr_add(o, "zones", zones);
}

/* The MQTT payloads' base: the head and the token (JSON.stringify drops
 * an undefined token). */
static cJSON *mqtt_base(const struct lk_dt_event *ev,
                        const struct lk_dt_summary *s)
{
  cJSON *o = event_head(ev, s->attempts, 1);
  if(ev->token)
    o = lk_dtr_add(o, "token", cJSON_CreateString(ev->token));
  return o;
}

/* One detector's answer, as ?results=all shows it. */
static cJSON *attempt_json(const struct lk_dt_attempt *at)
{
  cJSON *o = cJSON_CreateObject();
  o = lk_dtr_add(o, "detector", str_or_null(at->detector));
  o = lk_dtr_add(o, "duration", cJSON_CreateNumber(lk_dt_round2(at->duration)));
  o = lk_dtr_add(o, "attempt", cJSON_CreateNumber(at->attempt));
  o = lk_dtr_add(o, "results", faces_json(at->faces, at->n_faces, 0));
  o = lk_dtr_add(o, "filename", str_or_null(at->filename));
  /* set on the answers only when detect.*.base64 asks for the image */
  if(at->base64)
    o = lk_dtr_add(o, "base64", cJSON_CreateString(at->base64));
  return o;
}

static cJSON *group_json(const struct lk_dt_group *g)
{
  cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
  size_t i;
  o = lk_dtr_add(o, "duration", cJSON_CreateNumber(lk_dt_round2(g->duration)));
  o = lk_dtr_add(o, "type", str_or_null(g->type));
  o = lk_dtr_add(o, "attempts", cJSON_CreateNumber(g->attempts));
  for(i = 0; i < g->n_results; i++)
    a = lk_dtr_push(a, attempt_json(&g->results[i]));
  return lk_dtr_add(o, "results", a);
}

cJSON *lk_dt_result_json(const struct lk_dt_event *ev,
                         const struct lk_dt_summary *s, int all_results)
{
  cJSON *o = event_head(ev, s->attempts, 0), *groups;
  size_t i;
  o = lk_dtr_add(o, "counts", counts_json(&s->counts));
  o = lk_dtr_add(o, "matches", faces_json(s->matches, s->n_matches, 1));
  o = lk_dtr_add(o, "misses", faces_json(s->misses, s->n_misses, 1));
  o = lk_dtr_add(o, "unknowns", faces_json(s->unknowns, s->n_unknowns, 1));
  if(ev->token)
    o = lk_dtr_add(o, "token", cJSON_CreateString(ev->token));
  if(!all_results)
    return o;
  groups = cJSON_CreateArray();
  for(i = 0; i < s->n_groups; i++)
    groups = lk_dtr_push(groups, group_json(&s->groups[i]));
  return lk_dtr_add(o, "results", groups);
}

cJSON *lk_dt_match_json(const struct lk_dt_event *ev,
                        const struct lk_dt_summary *s, size_t i)
{
  if(i >= s->n_matches)
    return NULL;
  return lk_dtr_add(mqtt_base(ev, s), "match",
                    lk_dt_face_json(&s->matches[i], 1));
}

cJSON *lk_dt_unknown_json(const struct lk_dt_event *ev,
                          const struct lk_dt_summary *s)
{
  cJSON *o = mqtt_base(ev, s);
  /* unknowns[0] of an empty list is undefined, and left out */
  if(s->n_unknowns)
    o = lk_dtr_add(o, "unknown", lk_dt_face_json(&s->unknowns[0], 1));
  return lk_dtr_add(o, "unknowns", faces_json(s->unknowns, s->n_unknowns, 1));
}

cJSON *lk_dt_camera_json(const struct lk_dt_event *ev,
                         const struct lk_dt_summary *s, int reset)
{
  static const struct lk_dt_counts zero = { 0, 0, 0, 0 };
  const struct lk_dt_counts *c = reset ? &zero : &s->counts;
  cJSON *o = mqtt_base(ev, s);
  o = lk_dtr_add(o, "matches", faces_json(s->matches, s->n_matches, 1));
  o = lk_dtr_add(o, "misses", faces_json(s->misses, s->n_misses, 1));
  o = lk_dtr_add(o, "unknowns", faces_json(s->unknowns, s->n_unknowns, 1));
  o = lk_dtr_add(o, "personCount", cJSON_CreateNumber(c->person));
  return lk_dtr_add(o, "counts", counts_json(c));
}
