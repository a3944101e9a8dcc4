/* index.c - every live descriptor in memory, matched by brute force.
 *
 * Rows are packed: descriptors in one float array (row i at i * DIM), face
 * ids and person slots beside it; a delete moves the last row into the
 * hole, so a scan never skips gaps. Two small hash maps find a face's row
 * and a person's slot by id. At 100k faces a scan reads 51 MB of floats,
 * well within a request's budget, so there is no ANN structure to keep in
 * step. The lock is a rwlock: queries share it, the writer (already
 * serialised by the store) takes it only to apply a committed change. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

typedef void (*lk_dist2_fn)(const float *restrict q, const float *restrict x,
                            long n, float *restrict out);
static lk_dist2_fn lk_dist2_pick(void);

/* id -> row/slot; linear probing, key 0 means empty (ids start at 1). */
struct lk_index_map {
  int64_t *keys;
  int32_t *vals;
  size_t cap;          /* a power of two, kept at least twice the entries */
};

struct lk_index_person {
  int64_t id;
  char *name;          /* lk_malloc'd */
  long n_faces;
};

struct lk_index {
  pthread_rwlock_t lock;
  lk_dist2_fn dist2;           /* the best kernel this CPU runs */
  long max_faces;
  float *desc;                 /* cap * DIM floats */
  int64_t *face_id;
  int32_t *face_slot;          /* index into people */
  long n, cap;
  struct lk_index_person *people;
  long n_people, cap_people;
  struct lk_index_map faces_map;
  struct lk_index_map people_map;
};

/* ---- hash map ---------------------------------------------------------- */

static size_t lk_map_home(const struct lk_index_map *m, int64_t key)
{
  uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15u;
  return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

static int32_t lk_map_get(const struct lk_index_map *m, int64_t key)
{
  size_t i;
  if(!m->cap)
    return -1;
  for(i = lk_map_home(m, key); m->keys[i]; i = (i + 1) & (m->cap - 1))
    if(m->keys[i] == key)
      return m->vals[i];
  return -1;
}

/* Insert or overwrite; the caller has reserved room. */
static void lk_map_put(struct lk_index_map *m, int64_t key, int32_t val)
{
  size_t i = lk_map_home(m, key);
  while(m->keys[i] && m->keys[i] != key)
    i = (i + 1) & (m->cap - 1);
  m->keys[i] = key;
  m->vals[i] = val;
}

/* Backward-shift deletion: no tombstones, so probes stay short forever. */
static void lk_map_del(struct lk_index_map *m, int64_t key)
{
  size_t mask = m->cap - 1, i, j;
  if(!m->cap)
    return;
  for(i = lk_map_home(m, key); m->keys[i] != key; i = (i + 1) & mask)
    if(!m->keys[i])
      return;
  for(j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
    size_t home = lk_map_home(m, m->keys[j]);
    /* move j back into the hole unless its home lies in (i, j] */
    if(((j - home) & mask) >= ((j - i) & mask)) {
      m->keys[i] = m->keys[j];
      m->vals[i] = m->vals[j];
      i = j;
    }
  }
  m->keys[i] = 0;
}

static lk_err lk_map_reserve(struct lk_index_map *m, size_t entries)
{
  struct lk_index_map big;
  size_t cap = 16, i;
  while(cap < entries * 2)
    cap *= 2;
  if(cap <= m->cap)
    return LK_OK;
  big.cap = cap;
  big.keys = lk_calloc(cap, sizeof *big.keys);
  big.vals = lk_malloc(cap * sizeof *big.vals);
  if(!big.keys || !big.vals) {
    lk_free(big.keys);
    lk_free(big.vals);
    return LK_ERR_NOMEM;
  }
  for(i = 0; i < m->cap; i++)
    if(m->keys[i])
      lk_map_put(&big, m->keys[i], m->vals[i]);
  lk_free(m->keys);
  lk_free(m->vals);
  *m = big;
  return LK_OK;
}

static void lk_map_free(struct lk_index_map *m)
{
  lk_free(m->keys);
  lk_free(m->vals);
}

/* ---- life cycle and reservation ---------------------------------------- */

lk_err lk_index_create(struct lk_index **out, long max_faces)
{
  struct lk_index *ix = lk_calloc(1, sizeof *ix);
  *out = NULL;
  if(!ix)
    return LK_ERR_NOMEM;
  if(pthread_rwlock_init(&ix->lock, NULL)) {
    lk_free(ix);
    return LK_ERR_NOMEM;
  }
  ix->max_faces = max_faces;
  ix->dist2 = lk_dist2_pick();
  *out = ix;
  return LK_OK;
}

void lk_index_destroy(struct lk_index *ix)
{
  long i;
  if(!ix)
    return;
  for(i = 0; i < ix->n_people; i++)
    lk_free(ix->people[i].name);
  lk_free(ix->people);
  lk_free(ix->desc);
  lk_free(ix->face_id);
  lk_free(ix->face_slot);
  lk_map_free(&ix->faces_map);
  lk_map_free(&ix->people_map);
  pthread_rwlock_destroy(&ix->lock);
  lk_free(ix);
}

/* All three row arrays move together or not at all. */
static lk_err lk_index_grow_rows(struct lk_index *ix, long need)
{
  long cap = ix->cap ? ix->cap : 64;
  float *desc;
  int64_t *ids;
  int32_t *slots;
  while(cap < need)
    cap *= 2;
  if(cap > ix->max_faces)
    cap = ix->max_faces;
  desc = lk_malloc((size_t)cap * LK_STORE_BLOB_BYTES);
  ids = lk_malloc((size_t)cap * sizeof *ids);
  slots = lk_malloc((size_t)cap * sizeof *slots);
  if(!desc || !ids || !slots) {
    lk_free(desc);
    lk_free(ids);
    lk_free(slots);
    return LK_ERR_NOMEM;
  }
  if(ix->n) {
    memcpy(desc, ix->desc, (size_t)ix->n * LK_STORE_BLOB_BYTES);
    memcpy(ids, ix->face_id, (size_t)ix->n * sizeof *ids);
    memcpy(slots, ix->face_slot, (size_t)ix->n * sizeof *slots);
  }
  lk_free(ix->desc);
  lk_free(ix->face_id);
  lk_free(ix->face_slot);
  ix->desc = desc;
  ix->face_id = ids;
  ix->face_slot = slots;
  ix->cap = cap;
  return LK_OK;
}

static lk_err lk_index_grow_people(struct lk_index *ix, long need)
{
  long cap = ix->cap_people ? ix->cap_people : 16;
  struct lk_index_person *p;
  while(cap < need)
    cap *= 2;
  p = lk_realloc(ix->people, (size_t)cap * sizeof *p);
  if(!p)
    return LK_ERR_NOMEM;
  ix->people = p;
  ix->cap_people = cap;
  return LK_OK;
}

lk_err lk_index_reserve(struct lk_index *ix, long faces, long people)
{
  lk_err err = LK_OK;
  long need = ix->n + faces;   /* n only changes under the store's write
                                  lock, which the caller holds */
  if(need > ix->max_faces)
    return LK_ERR_TOO_LARGE;
  pthread_rwlock_wrlock(&ix->lock);
  if(need > ix->cap)
    err = lk_index_grow_rows(ix, need);
  if(!err)
    err = lk_map_reserve(&ix->faces_map, (size_t)need);
  if(!err && ix->n_people + people > ix->cap_people)
    err = lk_index_grow_people(ix, ix->n_people + people);
  if(!err)
    err = lk_map_reserve(&ix->people_map, (size_t)(ix->n_people + people));
  pthread_rwlock_unlock(&ix->lock);
  return err;
}

void lk_index_wrlock(struct lk_index *ix)
{
  pthread_rwlock_wrlock(&ix->lock);
}

void lk_index_unlock(struct lk_index *ix)
{
  pthread_rwlock_unlock(&ix->lock);
}

/* ---- changes (caller holds the write lock) ----------------------------- */

void lk_index_person_put(struct lk_index *ix, int64_t id, char *name)
{
  long slot = ix->n_people++;
  ix->people[slot].id = id;
  ix->people[slot].name = name;
  ix->people[slot].n_faces = 0;
  lk_map_put(&ix->people_map, id, (int32_t)slot);
}

void lk_index_person_rename(struct lk_index *ix, int64_t id, char *name)
{
  int32_t slot = lk_map_get(&ix->people_map, id);
  if(slot < 0) {
    lk_free(name);
    return;
  }
  lk_free(ix->people[slot].name);
  ix->people[slot].name = name;
}

static void lk_index_row_remove(struct lk_index *ix, long row)
{
  long last = ix->n - 1;
  ix->people[ix->face_slot[row]].n_faces--;
  lk_map_del(&ix->faces_map, ix->face_id[row]);
  if(row != last) {
    memcpy(ix->desc + row * LK_STORE_DIM, ix->desc + last * LK_STORE_DIM,
           LK_STORE_BLOB_BYTES);
    ix->face_id[row] = ix->face_id[last];
    ix->face_slot[row] = ix->face_slot[last];
    lk_map_put(&ix->faces_map, ix->face_id[row], (int32_t)row);
  }
  ix->n--;
}

void lk_index_person_clear(struct lk_index *ix, int64_t id)
{
  int32_t slot = lk_map_get(&ix->people_map, id);
  long i;
  if(slot < 0)
    return;
  /* backwards, so the row moved into a hole has already been looked at */
  for(i = ix->n - 1; i >= 0 && ix->people[slot].n_faces; i--)
    if(ix->face_slot[i] == slot)
      lk_index_row_remove(ix, i);
}

void lk_index_person_drop(struct lk_index *ix, int64_t id)
{
  int32_t slot = lk_map_get(&ix->people_map, id);
  long last = ix->n_people - 1, i;
  if(slot < 0)
    return;
  lk_index_person_clear(ix, id);
  lk_free(ix->people[slot].name);
  lk_map_del(&ix->people_map, id);
  if(slot != last) {
    ix->people[slot] = ix->people[last];
    lk_map_put(&ix->people_map, ix->people[slot].id, slot);
    for(i = 0; i < ix->n; i++)
      if(ix->face_slot[i] == last)
        ix->face_slot[i] = slot;
  }
  ix->n_people--;
}

void lk_index_person_merge(struct lk_index *ix, int64_t from, int64_t to)
{
  int32_t a = lk_map_get(&ix->people_map, from);
  int32_t b = lk_map_get(&ix->people_map, to);
  long i;
  if(a < 0 || b < 0)
    return;
  for(i = 0; i < ix->n; i++)
    if(ix->face_slot[i] == a)
      ix->face_slot[i] = b;
  ix->people[b].n_faces += ix->people[a].n_faces;
  ix->people[a].n_faces = 0;
  lk_index_person_drop(ix, from);
}

void lk_index_face_put(struct lk_index *ix, int64_t id, int64_t person_id,
                       const float *d)
{
  int32_t slot = lk_map_get(&ix->people_map, person_id);
  long row = ix->n;
  if(slot < 0 || row >= ix->cap)
    return;   /* unreachable when the caller reserved and put the person */
  memcpy(ix->desc + row * LK_STORE_DIM, d, LK_STORE_BLOB_BYTES);
  ix->face_id[row] = id;
  ix->face_slot[row] = slot;
  ix->people[slot].n_faces++;
  lk_map_put(&ix->faces_map, id, (int32_t)row);
  ix->n++;
}

void lk_index_face_set(struct lk_index *ix, int64_t id, int64_t person_id,
                       const float *d)
{
  int32_t row = lk_map_get(&ix->faces_map, id);
  int32_t slot;
  if(row < 0)
    return;
  if(d)
    memcpy(ix->desc + (long)row * LK_STORE_DIM, d, LK_STORE_BLOB_BYTES);
  slot = person_id ? lk_map_get(&ix->people_map, person_id) : -1;
  if(slot < 0)
    return;
  ix->people[ix->face_slot[row]].n_faces--;
  ix->face_slot[row] = slot;
  ix->people[slot].n_faces++;
}

void lk_index_face_drop(struct lk_index *ix, int64_t id)
{
  int32_t row = lk_map_get(&ix->faces_map, id);
  if(row >= 0)
    lk_index_row_remove(ix, row);
}

/* ---- matching ---------------------------------------------------------- */

/* Squared distances from q to n packed rows. Sixteen independent partial
 * sums let the compiler vectorise without reassociating one sum (which
 * needs -ffast-math). On x86 the same body is compiled again for AVX2 and
 * AVX-512 and picked once by CPU, so the generic x86-64 build is not stuck
 * with SSE2 (11 -> 7 -> 6 ns per comparison). Plain function pointers,
 * not target_clones: its ifunc resolver runs before sanitizer runtimes
 * start (TSan crashes) and needs glibc. */
#define LK_LANES 16
static inline __attribute__((always_inline))
void lk_dist2_body(const float *restrict q, const float *restrict x, long n,
                   float *restrict out)
{
  long i;
  int j, l;
  for(i = 0; i < n; i++) {
    const float *r = x + i * LK_STORE_DIM;
    float acc[LK_LANES] = { 0 };
    float s = 0;
    for(j = 0; j < LK_STORE_DIM; j += LK_LANES)
      for(l = 0; l < LK_LANES; l++) {
        float d = q[j + l] - r[j + l];
        acc[l] += d * d;
      }
    for(l = 0; l < LK_LANES; l++)
      s += acc[l];
    out[i] = s;
  }
}

static void lk_dist2_generic(const float *restrict q, const float *restrict x,
                             long n, float *restrict out)
{
  lk_dist2_body(q, x, n, out);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2")))
static void lk_dist2_avx2(const float *restrict q, const float *restrict x,
                          long n, float *restrict out)
{
  lk_dist2_body(q, x, n, out);
}

__attribute__((target("avx512f")))
static void lk_dist2_avx512(const float *restrict q, const float *restrict x,
                            long n, float *restrict out)
{
  lk_dist2_body(q, x, n, out);
}

static lk_dist2_fn lk_dist2_pick(void)
{
  __builtin_cpu_init();
  if(__builtin_cpu_supports("avx512f"))
    return lk_dist2_avx512;
  if(__builtin_cpu_supports("avx2"))
    return lk_dist2_avx2;
  return lk_dist2_generic;
}
#else
static lk_dist2_fn lk_dist2_pick(void)
{
  return lk_dist2_generic;
}
#endif

float lk_store_distance(const float *a, const float *b)
{
  float d2;
  lk_dist2_body(a, b, 1, &d2);
  return sqrtf(d2);
}

struct lk_cand {
  float d2;
  int64_t face;
  long row;
};

/* Nearer first; equal distances go to the lower face id. */
static int lk_cand_before(const struct lk_cand *a, const struct lk_cand *b)
{
  return a->d2 < b->d2 || (a->d2 == b->d2 && a->face < b->face);
}

static int lk_cand_cmp(const void *pa, const void *pb)
{
  const struct lk_cand *a = pa, *b = pb;
  return lk_cand_before(a, b) ? -1 : lk_cand_before(b, a) ? 1 : 0;
}

/* The k best candidates seen: filled in order, then a max-heap with the
 * worst kept candidate at the root. */
struct lk_topk {
  struct lk_cand *c;
  long n, k;
};

static void lk_topk_sift(struct lk_topk *t, long i)
{
  for(;;) {
    long l = 2 * i + 1, r = l + 1, m = i;
    struct lk_cand tmp;
    if(l < t->n && lk_cand_before(&t->c[m], &t->c[l]))
      m = l;
    if(r < t->n && lk_cand_before(&t->c[m], &t->c[r]))
      m = r;
    if(m == i)
      return;
    tmp = t->c[i];
    t->c[i] = t->c[m];
    t->c[m] = tmp;
    i = m;
  }
}

static void lk_topk_push(struct lk_topk *t, const struct lk_cand *x)
{
  long i;
  if(!t->k)
    return;
  if(t->n < t->k) {
    t->c[t->n++] = *x;
    if(t->n == t->k)
      for(i = t->n / 2 - 1; i >= 0; i--)
        lk_topk_sift(t, i);
    return;
  }
  if(lk_cand_before(x, &t->c[0])) {
    t->c[0] = *x;
    lk_topk_sift(t, 0);
  }
}

static lk_err lk_topk_init(struct lk_topk *t, long k, long avail,
                           struct lk_arena *a)
{
  t->n = 0;
  t->k = k <= 0 || k > avail ? avail : k;
  t->c = lk_arena_alloc(a, (size_t)(t->k ? t->k : 1) * sizeof *t->c);
  return t->c ? LK_OK : LK_ERR_NOMEM;
}

/* Sorted candidates into caller-visible matches (names copied, since a
 * rename may free them once the read lock is gone). */
static lk_err lk_topk_emit(struct lk_index *ix, struct lk_topk *t,
                           struct lk_arena *a, struct lk_store_match **out,
                           int *n)
{
  struct lk_store_match *m;
  long i;
  qsort(t->c, (size_t)t->n, sizeof *t->c, lk_cand_cmp);
  m = lk_arena_alloc(a, (size_t)(t->n ? t->n : 1) * sizeof *m);
  if(!m)
    return LK_ERR_NOMEM;
  for(i = 0; i < t->n; i++) {
    const struct lk_index_person *p = &ix->people[ix->face_slot[t->c[i].row]];
    m[i].face_id = t->c[i].face;
    m[i].person_id = p->id;
    m[i].distance = sqrtf(t->c[i].d2);
    m[i].person = lk_arena_strdup(a, p->name);
    if(!m[i].person)
      return LK_ERR_NOMEM;
  }
  *out = m;
  *n = (int)t->n;
  return LK_OK;
}

/* Distances are computed a block at a time into a stack buffer, so a scan
 * allocates nothing per face. */
#define LK_BLOCK 256

static void lk_scan_faces(struct lk_index *ix, const float *q,
                          struct lk_topk *t)
{
  float d2[LK_BLOCK];
  long i, j;
  for(i = 0; i < ix->n; i += LK_BLOCK) {
    long m = ix->n - i < LK_BLOCK ? ix->n - i : LK_BLOCK;
    ix->dist2(q, ix->desc + i * LK_STORE_DIM, m, d2);
    for(j = 0; j < m; j++) {
      struct lk_cand c = { d2[j], ix->face_id[i + j], i + j };
      if(t->n == t->k && d2[j] > t->c[0].d2)
        continue;   /* the common case once the heap is full */
      lk_topk_push(t, &c);
    }
  }
}

/* best[slot] ends as each person's nearest face (row -1: no faces). */
static void lk_scan_people(struct lk_index *ix, const float *q,
                           struct lk_cand *best)
{
  float d2[LK_BLOCK];
  long i, j;
  for(i = 0; i < ix->n_people; i++) {
    best[i].d2 = INFINITY;
    best[i].face = INT64_MAX;
    best[i].row = -1;
  }
  for(i = 0; i < ix->n; i += LK_BLOCK) {
    long m = ix->n - i < LK_BLOCK ? ix->n - i : LK_BLOCK;
    ix->dist2(q, ix->desc + i * LK_STORE_DIM, m, d2);
    for(j = 0; j < m; j++) {
      struct lk_cand *b = &best[ix->face_slot[i + j]];
      if(d2[j] > b->d2 || (d2[j] == b->d2 && ix->face_id[i + j] > b->face))
        continue;
      b->d2 = d2[j];
      b->face = ix->face_id[i + j];
      b->row = i + j;
    }
  }
}

static lk_err lk_match_people(struct lk_index *ix, const float *q, int k,
                              struct lk_arena *a, struct lk_store_match **out,
                              int *n)
{
  struct lk_cand *best;
  struct lk_topk t;
  long i, with_faces = 0;
  lk_err err;
  best = lk_arena_alloc(a, (size_t)(ix->n_people + 1) * sizeof *best);
  if(!best)
    return LK_ERR_NOMEM;
  lk_scan_people(ix, q, best);
  for(i = 0; i < ix->n_people; i++)
    with_faces += best[i].row >= 0;
  err = lk_topk_init(&t, k, with_faces, a);
  if(err)
    return err;
  for(i = 0; i < ix->n_people; i++)
    if(best[i].row >= 0)
      lk_topk_push(&t, &best[i]);
  return lk_topk_emit(ix, &t, a, out, n);
}

lk_err lk_index_match(struct lk_index *ix, const float *d, int k,
                      unsigned flags, struct lk_arena *a,
                      struct lk_store_match **out, int *n)
{
  struct lk_topk t;
  lk_err err;
  pthread_rwlock_rdlock(&ix->lock);
  if(!(flags & LK_STORE_MATCH_FACES)) {
    err = lk_match_people(ix, d, k, a, out, n);
    goto out_unlock;
  }
  err = lk_topk_init(&t, k, ix->n, a);
  if(err)
    goto out_unlock;
  lk_scan_faces(ix, d, &t);
  err = lk_topk_emit(ix, &t, a, out, n);
out_unlock:
  pthread_rwlock_unlock(&ix->lock);
  return err;
}

static long lk_index_find_name(struct lk_index *ix, const char *name)
{
  long i;
  for(i = 0; i < ix->n_people; i++)
    if(!strcmp(ix->people[i].name, name))
      return i;
  return -1;
}

lk_err lk_index_match_person(struct lk_index *ix, const float *d,
                             const char *person, struct lk_arena *a,
                             struct lk_store_match **out, int *n)
{
  struct lk_topk t;
  long slot, i;
  lk_err err = LK_ERR_NOT_FOUND;
  pthread_rwlock_rdlock(&ix->lock);
  slot = lk_index_find_name(ix, person);
  if(slot < 0)
    goto out_unlock;
  err = lk_topk_init(&t, 0, ix->people[slot].n_faces, a);
  if(err)
    goto out_unlock;
  for(i = 0; i < ix->n; i++) {
    struct lk_cand c;
    if(ix->face_slot[i] != slot)
      continue;
    ix->dist2(d, ix->desc + i * LK_STORE_DIM, 1, &c.d2);
    c.face = ix->face_id[i];
    c.row = i;
    lk_topk_push(&t, &c);
  }
  err = lk_topk_emit(ix, &t, a, out, n);
out_unlock:
  pthread_rwlock_unlock(&ix->lock);
  return err;
}
