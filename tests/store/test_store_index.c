/* test_store_index.c - the in-memory index against a double-precision
 * brute force over what the database holds: nearest face per person, top-K
 * order, ties, faces of one person, and that deleted, moved, renamed or
 * merged faces show up only where they now belong, before and after a
 * reopen. */
#include <math.h>

#include "base/log.h"
#include "store_test.h"

#define TOL 1e-5   /* float sums of 128 squares against a double reference */

/* Every live face, from the database (not the index). */
static struct lk_store_face *ref_faces(struct lk_store *st, int *n)
{
  struct lk_store_face *f = NULL;
  *n = 0;
  CHECK_OK(lk_store_face_list(st, NULL, 0, LK_STORE_PAGE_MAX, arena, &f, n));
  return f;
}

/* The reference nearest face of person_id, or NULL. */
static const struct lk_store_face *ref_best(const struct lk_store_face *f,
                                            int n, int64_t person_id,
                                            const float *q)
{
  const struct lk_store_face *best = NULL;
  double bd = 0;
  int i;
  for(i = 0; i < n; i++) {
    double d = st_ref_dist(q, f[i].descriptor);
    if(f[i].person_id != person_id)
      continue;
    if(!best || d < bd) {
      best = &f[i];
      bd = d;
    }
  }
  return best;
}

static int ref_people_with_faces(const struct lk_store_face *f, int n)
{
  int i, j, k = 0;
  for(i = 0; i < n; i++) {
    for(j = 0; j < i && f[j].person_id != f[i].person_id; j++)
      ;
    k += j == i;
  }
  return k;
}

/* The index's answer for q agrees with the database's faces. */
static void check_against_db(struct lk_store *st, const float *q)
{
  struct lk_store_match *m;
  struct lk_store_face *f;
  int n, nm, i, j;
  f = ref_faces(st, &n);
  CHECK_OK(lk_store_match(st, q, 0, 0, arena, &m, &nm));
  CHECK_MSG(nm == ref_people_with_faces(f, n), "%d people", nm);
  for(i = 0; i < nm; i++) {
    const struct lk_store_face *b = ref_best(f, n, m[i].person_id, q);
    CHECK(b && fabs(st_ref_dist(q, b->descriptor) - m[i].distance) < TOL);
    CHECK(b && !strcmp(b->person, m[i].person));
    CHECK(i == 0 || m[i - 1].distance <= m[i].distance);
  }
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &nm));
  CHECK(nm == n);
  for(i = 0; i < nm; i++) {
    for(j = 0; j < n && f[j].id != m[i].face_id; j++)
      ;
    CHECK_MSG(j < n, "face %lld is not live", (long long)m[i].face_id);
    if(j < n)
      CHECK(fabs(st_ref_dist(q, f[j].descriptor) - m[i].distance) < TOL &&
            f[j].person_id == m[i].person_id);
    CHECK(i == 0 || m[i - 1].distance <= m[i].distance);
  }
}

/* People 0..4 with 4 faces each; person "Empty" with none. */
static struct lk_store *gallery(int64_t ids[5][4])
{
  struct lk_store *st = st_open();
  char name[16];
  int p, s;
  for(p = 0; p < 5; p++)
    for(s = 0; s < 4; s++) {
      struct lk_store_face_new f;
      float d[LK_STORE_DIM];
      memset(&f, 0, sizeof f);
      snprintf(name, sizeof name, "P%d", p);
      st_desc2(d, p, s, 0.05f);
      f.person = name;
      f.descriptor = d;
      CHECK_OK(lk_store_face_add(st, &f, &ids[p][s]));
    }
  CHECK_OK(lk_store_person_create(st, "Empty", NULL));
  return st;
}

static void test_match_people(void)
{
  struct lk_store_match *m;
  struct lk_store *st;
  int64_t ids[5][4];
  float q[LK_STORE_DIM];
  int n, i;
  st_begin();
  st = gallery(ids);
  st_desc2(q, 2, 99, 0.05f);
  CHECK_OK(lk_store_match(st, q, 3, 0, arena, &m, &n));
  CHECK(n == 3 && !strcmp(m[0].person, "P2"));
  for(i = 1; i < n; i++)
    CHECK(m[i - 1].distance <= m[i].distance && strcmp(m[i].person, "P2"));
  CHECK(m[0].face_id >= ids[2][0] && m[0].face_id <= ids[2][3]);
  CHECK_OK(lk_store_match(st, q, 0, 0, arena, &m, &n));
  CHECK(n == 5);   /* "Empty" has nothing to match */
  CHECK_OK(lk_store_match(st, q, 50, 0, arena, &m, &n));
  CHECK(n == 5);
  check_against_db(st, q);
  /* an exact copy of a stored face is at distance 0 */
  st_desc2(q, 4, 1, 0.05f);
  CHECK_OK(lk_store_match(st, q, 1, 0, arena, &m, &n));
  CHECK(n == 1 && m[0].face_id == ids[4][1] && m[0].distance == 0);
  lk_store_close(st);
  st_end();
}

static void test_match_faces(void)
{
  struct lk_store_match *m, *all;
  struct lk_store *st;
  int64_t ids[5][4];
  float q[LK_STORE_DIM];
  int n, na, i;
  st_begin();
  st = gallery(ids);
  st_desc2(q, 1, 77, 0.05f);
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &all, &na));
  CHECK(na == 20);
  CHECK_OK(lk_store_match(st, q, 6, LK_STORE_MATCH_FACES, arena, &m, &n));
  CHECK(n == 6);
  for(i = 0; i < n && na == 20; i++)
    CHECK(m[i].face_id == all[i].face_id && m[i].distance == all[i].distance);
  /* the four faces of P1 come first */
  for(i = 0; i < 4; i++)
    CHECK(!strcmp(all[i].person, "P1"));
  lk_store_close(st);
  st_end();
}

static void test_match_person(void)
{
  struct lk_store_match *m;
  struct lk_store *st;
  int64_t ids[5][4];
  float q[LK_STORE_DIM];
  int n, i;
  st_begin();
  st = gallery(ids);
  st_desc2(q, 3, 0, 0.05f);
  CHECK_OK(lk_store_match_person(st, q, "P3", arena, &m, &n));
  CHECK(n == 4 && m[0].face_id == ids[3][0] && m[0].distance == 0);
  for(i = 1; i < n; i++)
    CHECK(m[i - 1].distance <= m[i].distance && !strcmp(m[i].person, "P3"));
  CHECK_OK(lk_store_match_person(st, q, "Empty", arena, &m, &n));
  CHECK(n == 0);
  CHECK_ERR(lk_store_match_person(st, q, "Nobody", arena, &m, &n),
            LK_ERR_NOT_FOUND);
  CHECK_ERR(lk_store_match_person(st, q, "", arena, &m, &n), LK_ERR_INVAL);
  lk_store_close(st);
  st_end();
}

static void test_match_after_changes(void)
{
  struct lk_store_face_update u;
  struct lk_store_match *m;
  struct lk_store *st;
  int64_t ids[5][4];
  float q[LK_STORE_DIM];
  int n, i;
  st_begin();
  st = gallery(ids);
  st_desc2(q, 2, 0, 0.05f);
  /* deleted faces and people are never returned */
  CHECK_OK(lk_store_face_delete(st, ids[2][0]));
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &n));
  CHECK(n == 19);
  for(i = 0; i < n; i++)
    CHECK(m[i].face_id != ids[2][0]);
  CHECK_OK(lk_store_person_delete(st, "P2", NULL));
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &n));
  CHECK(n == 16);
  for(i = 0; i < n; i++)
    CHECK(strcmp(m[i].person, "P2"));
  CHECK_ERR(lk_store_match_person(st, q, "P2", arena, &m, &n),
            LK_ERR_NOT_FOUND);
  /* renamed and merged people answer to their new names */
  CHECK_OK(lk_store_person_rename(st, "P1", "Q1", 0));
  CHECK_OK(lk_store_person_rename(st, "P3", "P4", LK_STORE_MERGE));
  st_desc2(q, 3, 2, 0.05f);
  CHECK_OK(lk_store_match(st, q, 1, 0, arena, &m, &n));
  CHECK(n == 1 && !strcmp(m[0].person, "P4") && m[0].face_id == ids[3][2]);
  CHECK_OK(lk_store_match_person(st, q, "P4", arena, &m, &n));
  CHECK(n == 8);
  /* a new descriptor and a new person for one face */
  memset(&u, 0, sizeof u);
  u.descriptor = q;
  u.person = "Moved";
  CHECK_OK(lk_store_face_update(st, ids[0][0], &u));
  CHECK_OK(lk_store_match(st, q, 0, LK_STORE_MATCH_FACES, arena, &m, &n));
  CHECK(n >= 2 && m[0].distance == 0 && m[1].distance == 0);
  /* equal distances: the lower id first */
  CHECK(n >= 2 && m[0].face_id == ids[0][0] && m[1].face_id == ids[3][2]);
  CHECK(n >= 1 && !strcmp(m[0].person, "Moved"));
  check_against_db(st, q);
  /* the index rebuilt from the file answers the same */
  lk_store_close(st);
  st = st_open();
  check_against_db(st, q);
  CHECK_OK(lk_store_match(st, q, 1, 0, arena, &m, &n));
  CHECK(n == 1 && m[0].face_id == ids[0][0] && !strcmp(m[0].person, "Moved"));
  lk_store_close(st);
  st_end();
}

/* Many random writes; the index must stay what the database says. The
 * choices use their own generator: st_desc2 reseeds st_rng on every add. */
static uint64_t ops_rng = 12345;

static int pick(int n)
{
  ops_rng = ops_rng * 6364136223846793005u + 1442695040888963407u;
  return (int)((ops_rng >> 33) % (uint64_t)n);
}

struct op_counts {
  int added, deleted, people_deleted, merged;
};

static void random_ops(struct lk_store *st, int rounds, struct op_counts *c)
{
  char name[16], to[16];
  int64_t next_id = 1;
  int r;
  lk_err err;
  for(r = 0; r < rounds; r++) {
    int op = pick(20), p = pick(30);
    snprintf(name, sizeof name, "R%d", p);
    snprintf(to, sizeof to, "R%d", (p + 7) % 30);
    if(op == 0) {
      err = lk_store_person_delete(st, name, NULL);
      c->people_deleted += err == LK_OK;
    } else if(op == 1) {
      err = lk_store_person_rename(st, name, to, LK_STORE_MERGE);
      c->merged += err == LK_OK;
    } else if(op < 7) {
      err = lk_store_face_delete(st, 1 + pick((int)next_id));
      c->deleted += err == LK_OK;
    } else {
      next_id = st_add(st, name, p, 0.1f) + 1;
      c->added++;
      err = LK_OK;
    }
    CHECK(err == LK_OK || err == LK_ERR_NOT_FOUND);
  }
}

static void test_index_random(void)
{
  struct op_counts c = { 0, 0, 0, 0 };
  struct lk_store *st;
  float q[LK_STORE_DIM];
  int i;
  st_begin();
  st = st_open();
  random_ops(st, 800, &c);
  /* enough of each kind of change to mean something */
  CHECK_MSG(c.added > 400 && c.deleted > 100 && c.people_deleted > 10 &&
            c.merged > 10, "%d added, %d deleted, %d people deleted, "
            "%d merged", c.added, c.deleted, c.people_deleted, c.merged);
  for(i = 0; i < 5; i++) {
    st_desc2(q, i * 5, 1000 + i, 0.1f);
    check_against_db(st, q);
  }
  lk_store_close(st);
  st = st_open();
  st_desc2(q, 3, 2000, 0.1f);
  check_against_db(st, q);
  lk_store_close(st);
  st_end();
}

static void test_match_input(void)
{
  struct lk_store_match *m = NULL;
  struct lk_store *st;
  float q[LK_STORE_DIM];
  int n = -1;
  st_begin();
  st = st_open();
  st_desc(q, 1, 0);
  CHECK_OK(lk_store_match(st, q, 5, 0, arena, &m, &n));
  CHECK(n == 0);
  CHECK_OK(lk_store_match(st, q, 5, LK_STORE_MATCH_FACES, arena, &m, &n));
  CHECK(n == 0);
  CHECK_ERR(lk_store_match(st, q, 5, 0, NULL, &m, &n), LK_ERR_INVAL);
  CHECK_ERR(lk_store_match(st, NULL, 5, 0, arena, &m, &n), LK_ERR_INVAL);
  q[127] = NAN;
  CHECK_ERR(lk_store_match(st, q, 5, 0, arena, &m, &n), LK_ERR_INVAL);
  CHECK_ERR(lk_store_match_person(st, q, "x", arena, &m, &n), LK_ERR_INVAL);
  lk_store_close(st);
  st_end();
}

static void test_distance(void)
{
  float a[LK_STORE_DIM], b[LK_STORE_DIM];
  int i, k;
  for(k = 0; k < 50; k++) {
    st_desc2(a, k, 1, 0.3f);
    st_desc2(b, k + 1, 2, 0.3f);
    for(i = 0; i < LK_STORE_DIM; i++)
      b[i] *= (float)(k + 1);
    CHECK_NEAR(lk_store_distance(a, b), st_ref_dist(a, b),
               1e-6 * st_ref_dist(a, b));
  }
  CHECK(lk_store_distance(a, a) == 0);
}

int main(void)
{
  lk_log_set_level(LK_LOG_WARN);
  RUN(test_match_people);
  RUN(test_match_faces);
  RUN(test_match_person);
  RUN(test_match_after_changes);
  RUN(test_index_random);
  RUN(test_match_input);
  RUN(test_distance);
  return test_report();
}
