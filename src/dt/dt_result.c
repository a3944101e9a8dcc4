/* dt_result.c - Double Take's classification of faces (its detectors'
 * normalize() and actions.checks()), the summary of an event's attempts
 * (recognize.util.js normalize()), and our area-weighted vote for the
 * event's one name. docs/dt-results.md has the rules. */
#include "dt/dt_result_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char dt_unknown[] = "unknown";

struct lk_dt_thresholds lk_dt_thresholds_default(void)
{
  struct lk_dt_thresholds th = { 60, 10000, 40, 0, 0 };
  return th;
}

struct lk_dt_box lk_dt_box_corners(int x_min, int y_min, int x_max,
                                   int y_max)
{
  struct lk_dt_box b = { y_min, x_min, x_max - x_min, y_max - y_min };
  return b;
}

/* width × height in a double: boxes from callers may be large or odd */
static double box_area(const struct lk_dt_box *b)
{
  return (double)b->width * (double)b->height;
}

/* Whether the detector put a person to the face at all: DeepStack says
 * "unknown" for no one, Facebox clears matched. */
static int raw_has_subject(const struct lk_dt_raw_face *raw)
{
  const char *det = raw->detector ? raw->detector : "";
  if(!raw->subject)
    return 0;
  if(!strcmp(det, "deepstack") && !strcmp(raw->subject, dt_unknown))
    return 0;
  return strcmp(det, "facebox") || raw->matched;
}

/* "confidence too low: 39.99 < 40", numbers as JavaScript prints them */
static const char *check_text(struct lk_arena *arena, const char *what,
                              double have, double want)
{
  char a[LK_DT_NUMBER_MAX], b[LK_DT_NUMBER_MAX];
  lk_dt_number_text(have, a);
  lk_dt_number_text(want, b);
  return lk_dtr_join(arena, what, " too low: ", a, " < ", b, (char *)NULL);
}

/* actions.checks(): why a face is no match. Unknown faces under the
 * unknown threshold say so; the rest are held to the match rules. */
static lk_err face_checks(struct lk_dt_face *f,
                          const struct lk_dt_thresholds *th,
                          struct lk_arena *arena)
{
  double area = box_area(&f->box);
  int unknown = !strcmp(f->name, dt_unknown), i;
  f->n_checks = 0;
  if(unknown && f->confidence < th->unknown_confidence) {
    f->checks[f->n_checks++] = check_text(arena, "confidence", f->confidence,
                                          th->unknown_confidence);
  } else {
    if(f->confidence < th->match_confidence)
      f->checks[f->n_checks++] = check_text(arena, "confidence",
                                            f->confidence,
                                            th->match_confidence);
    if(area < th->match_min_area)
      f->checks[f->n_checks++] = check_text(arena, "box area", area,
                                            th->match_min_area);
  }
  for(i = 0; i < f->n_checks; i++)
    if(!f->checks[i])
      return LK_ERR_NOMEM;
  return LK_OK;
}

lk_err lk_dt_face_normalize(const struct lk_dt_raw_face *raw,
                            const struct lk_dt_thresholds *th,
                            struct lk_arena *arena, struct lk_dt_face *out,
                            int *kept)
{
  struct lk_dt_face f;
  double name_from;
  int known;
  if(!raw || !th || !arena || !out || !kept)
    return LK_ERR_INVAL;
  *kept = 0;
  memset(&f, 0, sizeof f);
  f.confidence = lk_dt_round2(raw->confidence * 100);
  f.box = raw->box;
  known = raw_has_subject(raw);
  /* ours: the match threshold names a face; Double Take's: the unknown
   * one, leaving the nearest name on faces it calls misses */
  name_from = th->unknown_confidence;
  if(!th->name_below_match && th->match_confidence > name_from)
    name_from = th->match_confidence;
  f.name = known && f.confidence >= name_from ?
           lk_dt_lower(arena, raw->subject) : dt_unknown;
  if(!f.name)
    return LK_ERR_NOMEM;
  f.match = known && strcmp(f.name, dt_unknown) &&
            f.confidence >= th->match_confidence &&
            box_area(&f.box) >= th->match_min_area;
  if(!strcmp(f.name, dt_unknown) && box_area(&f.box) < th->unknown_min_area)
    return LK_OK;
  if(face_checks(&f, th, arena))
    return LK_ERR_NOMEM;
  *out = f;
  *kept = 1;
  return LK_OK;
}

/* ---- the summary ------------------------------------------------------- */

/* Walks every face of every attempt of every group, flat. */
struct face_walk {
  const struct lk_dt_group *groups;
  size_t n_groups, g, r, f;
};

static const struct lk_dt_face *walk_next(struct face_walk *w,
                                          const struct lk_dt_group **group,
                                          const struct lk_dt_attempt **at)
{
  while(w->g < w->n_groups) {
    const struct lk_dt_group *g = &w->groups[w->g];
    if(w->r >= g->n_results) {
      w->g++;
      w->r = 0;
    } else if(w->f >= g->results[w->r].n_faces) {
      w->r++;
      w->f = 0;
    } else {
      *group = g;
      *at = &g->results[w->r];
      return &(*at)->faces[w->f++];
    }
  }
  return NULL;
}

/* A face of the summary: the detector's face and where it came from. */
static struct lk_dt_face summary_face(const struct lk_dt_face *f,
                                      const struct lk_dt_group *g,
                                      const struct lk_dt_attempt *at)
{
  struct lk_dt_face out = *f;
  out.type = g->type;
  out.duration = at->duration;
  out.detector = at->detector;
  out.filename = at->filename;
  out.base64 = at->base64;
  return out;
}

/* Keep the best face per name in list (a JavaScript object keyed by name:
 * a name keeps its first place; only a strictly higher confidence
 * replaces its face). */
static void keep_best(struct lk_dt_face *list, size_t *n,
                      const struct lk_dt_face *f)
{
  size_t i;
  for(i = 0; i < *n; i++) {
    if(strcmp(list[i].name, f->name))
      continue;
    if(list[i].confidence < f->confidence)
      list[i] = *f;
    return;
  }
  list[(*n)++] = *f;
}

/* A name JavaScript treats as an array index ("0".."4294967294", no
 * leading zero): Object.values() gives those first, in numeric order. */
static int js_index(const char *s, unsigned long long *v)
{
  size_t n = strlen(s), i;
  if(!n || n > 10 || (n > 1 && s[0] == '0'))
    return 0;
  for(i = 0, *v = 0; i < n; i++) {
    if(s[i] < '0' || s[i] > '9')
      return 0;
    *v = *v * 10 + (unsigned long long)(s[i] - '0');
  }
  return *v < 4294967295ULL;
}

/* 1 when a must come before b in Object.values() order (both already in
 * insertion order). */
static int js_key_before(const struct lk_dt_face *a, const struct lk_dt_face *b)
{
  unsigned long long x, y;
  int ia = js_index(a->name, &x), ib = js_index(b->name, &y);
  return ia && (!ib || x < y);
}

/* Stable insertion sorts: lists are an event's faces, tens at most. */
static void sort_js_keys(struct lk_dt_face *list, size_t n)
{
  size_t i, j;
  for(i = 1; i < n; i++) {
    struct lk_dt_face f = list[i];
    for(j = i; j > 0 && js_key_before(&f, &list[j - 1]); j--)
      list[j] = list[j - 1];
    list[j] = f;
  }
}

static void sort_by_confidence(struct lk_dt_face *list, size_t n)
{
  size_t i, j;
  for(i = 1; i < n; i++) {
    struct lk_dt_face f = list[i];
    for(j = i; j > 0 && list[j - 1].confidence < f.confidence; j--)
      list[j] = list[j - 1];
    list[j] = f;
  }
}

/* Math.round for the non-negative values counts take. */
static int js_round(double x)
{
  double r = floor(x);
  return (int)(x - r >= 0.5 ? r + 1 : r);
}

/* counts.person: per detector, faces / attempts rounded; their sum over
 * the detectors, averaged and rounded again. Detectors are told apart by
 * name in first-seen order, as Double Take's tmp.counts object. */
static lk_err count_people(const struct lk_dt_group *groups, size_t n_groups,
                           size_t n_attempts, struct lk_arena *arena,
                           int *person)
{
  struct tally { const char *detector; double faces, attempts; } *t;
  size_t g, r, i, n = 0;
  double sum = 0;
  *person = 0;
  if(!n_attempts)
    return LK_OK;
  t = lk_arena_alloc(arena, n_attempts * sizeof *t);
  if(!t)
    return LK_ERR_NOMEM;
  for(g = 0; g < n_groups; g++) {
    for(r = 0; r < groups[g].n_results; r++) {
      const struct lk_dt_attempt *at = &groups[g].results[r];
      const char *det = at->detector ? at->detector : "";
      for(i = 0; i < n && strcmp(t[i].detector, det); i++)
        ;
      if(i == n)
        t[n++] = (struct tally){ det, 0, 0 };
      t[i].faces += (double)at->n_faces;
      t[i].attempts += 1;
    }
  }
  for(i = 0; i < n; i++)
    sum += js_round(t[i].faces / t[i].attempts);
  *person = sum ? js_round(sum / (double)n) : 0;
  return LK_OK;
}

/* Room for the summary's lists: each can hold every face. */
static lk_err summary_alloc(const struct lk_dt_group *groups,
                            size_t n_groups, struct lk_arena *arena,
                            struct lk_dt_summary *s, size_t *n_attempts)
{
  size_t g, r, faces = 0, bytes;
  *n_attempts = 0;
  for(g = 0; g < n_groups; g++) {
    *n_attempts += groups[g].n_results;
    for(r = 0; r < groups[g].n_results; r++)
      faces += groups[g].results[r].n_faces;
  }
  if(faces > (size_t)-1 / (3 * sizeof(struct lk_dt_face)))
    return LK_ERR_TOO_LARGE;
  bytes = (faces ? faces : 1) * sizeof(struct lk_dt_face);
  s->matches = lk_arena_alloc(arena, bytes);
  s->misses = lk_arena_alloc(arena, bytes);
  s->unknowns = lk_arena_alloc(arena, bytes);
  return s->matches && s->misses && s->unknowns ? LK_OK : LK_ERR_NOMEM;
}

lk_err lk_dt_summarize(const struct lk_dt_group *groups, size_t n_groups,
                       struct lk_arena *arena, struct lk_dt_summary *out)
{
  struct face_walk w = { groups, n_groups, 0, 0, 0 };
  const struct lk_dt_group *g;
  const struct lk_dt_attempt *at;
  const struct lk_dt_face *f;
  struct lk_dt_summary s;
  size_t i, n_attempts;
  lk_err err;
  if(!out || !arena || (n_groups && !groups))
    return LK_ERR_INVAL;
  memset(&s, 0, sizeof s);
  err = summary_alloc(groups, n_groups, arena, &s, &n_attempts);
  if(!err)
    err = count_people(groups, n_groups, n_attempts, arena, &s.counts.person);
  if(err)
    return err;
  while((f = walk_next(&w, &g, &at))) {
    struct lk_dt_face sf = summary_face(f, g, at);
    /* Double Take's three filters, each on its own: a face may be in
     * two lists only if a caller built a match named "unknown" */
    if(f->match)
      keep_best(s.matches, &s.n_matches, &sf);
    if(!f->match && strcmp(f->name, dt_unknown))
      keep_best(s.misses, &s.n_misses, &sf);
    if(!strcmp(f->name, dt_unknown))
      s.unknowns[s.n_unknowns++] = sf;
  }
  sort_js_keys(s.matches, s.n_matches);
  sort_js_keys(s.misses, s.n_misses);
  sort_by_confidence(s.unknowns, s.n_unknowns);
  for(i = 0; i < n_groups; i++)
    s.attempts += groups[i].attempts;
  s.counts.match = (int)s.n_matches;
  s.counts.miss = (int)s.n_misses;
  /* may go below 0, as in Double Take, when names outnumber the average
   * face count */
  s.counts.unknown = s.counts.person - s.counts.match - s.counts.miss;
  s.groups = groups;
  s.n_groups = n_groups;
  *out = s;
  return LK_OK;
}

/* ---- the vote ------------------------------------------------------------ */

/* A name's votes: area × confidence over its matches, and its area. */
static void name_votes(const struct lk_dt_group *groups, size_t n_groups,
                       const char *name, double *weight, double *area)
{
  struct face_walk w = { groups, n_groups, 0, 0, 0 };
  const struct lk_dt_group *g;
  const struct lk_dt_attempt *at;
  const struct lk_dt_face *f;
  *weight = *area = 0;
  while((f = walk_next(&w, &g, &at))) {
    if(!f->match || strcmp(f->name, name))
      continue;
    *weight += box_area(&f->box) * fmin(fmax(f->confidence, 0), 100) / 100;
    *area += box_area(&f->box);
  }
}

static double unknown_votes(const struct lk_dt_group *groups, size_t n_groups)
{
  struct face_walk w = { groups, n_groups, 0, 0, 0 };
  const struct lk_dt_group *g;
  const struct lk_dt_attempt *at;
  const struct lk_dt_face *f;
  double sum = 0;
  while((f = walk_next(&w, &g, &at)))
    if(!strcmp(f->name, dt_unknown))
      sum += box_area(&f->box) *
             (1 - fmin(fmax(f->confidence, 0), 100) / 100);
  return sum;
}

void lk_dt_vote(const struct lk_dt_group *groups, size_t n_groups,
                struct lk_dt_vote *out)
{
  struct face_walk w = { groups, n_groups, 0, 0, 0 };
  const struct lk_dt_group *g;
  const struct lk_dt_attempt *at;
  const struct lk_dt_face *f;
  double weight, area, best_area = 0;
  int tie = 0;
  memset(out, 0, sizeof *out);
  out->unknown_weight = unknown_votes(groups, n_groups);
  /* each name is weighed again at each of its matches: an event holds
   * tens of faces, so the quadratic walk beats keeping a table */
  while((f = walk_next(&w, &g, &at))) {
    if(!f->match || (out->name && !strcmp(out->name, f->name)))
      continue;
    name_votes(groups, n_groups, f->name, &weight, &area);
    if(out->name && weight == out->weight)
      tie = 1;
    if(!out->name || weight > out->weight) {
      tie = 0;
      out->name = f->name;
      out->weight = weight;
      best_area = area;
    }
  }
  /* unknown also wins a draw: naming a stranger is the costly mistake */
  if(!out->name || tie || out->weight <= out->unknown_weight ||
     best_area <= 0) {
    out->name = NULL;
    out->score = 0;
    return;
  }
  out->score = out->weight / best_area;
}

cJSON *lk_dt_sublabel_json(const struct lk_dt_vote *v)
{
  cJSON *o = cJSON_CreateObject();
  if(!v || !v->name) {
    cJSON_Delete(o);
    return NULL;
  }
  o = lk_dtr_add(o, "subLabel", cJSON_CreateString(v->name));
  return lk_dtr_add(o, "subLabelScore",
                    cJSON_CreateNumber(round(v->score * 1e4) / 1e4));
}
