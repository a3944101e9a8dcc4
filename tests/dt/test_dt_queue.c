/* test_dt_queue.c - the bounded job queue: jobs run on their own workers
 * at once, a burst past capacity drops the oldest waiting jobs (counted,
 * freed) and every job is accounted for, memory stays bounded during the
 * burst, destroy drains or drops, and bad arguments. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "dt/dt_queue.h"
#include "test.h"

struct job {
  int n;
  char payload[4096];           /* an event's worth of memory */
};

static atomic_int ran, dropped_jobs, concurrent, most_concurrent;
static atomic_int order[256];
static atomic_int n_order;
static int hold_ms;
static int meet;          /* jobs wait (up to 5 s) until this many run */

static void sleep_ms(int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static void run(void *p, void *ctx)
{
  struct job *j = p;
  int now = atomic_fetch_add(&concurrent, 1) + 1, seen;
  (void)ctx;
  seen = atomic_load(&most_concurrent);
  while(now > seen && !atomic_compare_exchange_weak(&most_concurrent, &seen,
                                                     now))
    ;
  /* a job that could not run beside another would wait here in vain:
   * the check does not depend on how the threads are scheduled */
  for(seen = 0; seen < 500 && atomic_load(&most_concurrent) < meet; seen++)
    sleep_ms(10);
  sleep_ms(hold_ms);
  atomic_store(&order[atomic_fetch_add(&n_order, 1) & 255], j->n);
  atomic_fetch_sub(&concurrent, 1);
  atomic_fetch_add(&ran, 1);
  lk_free(j);
}

static void drop(void *p, void *ctx)
{
  (void)ctx;
  atomic_fetch_add(&dropped_jobs, 1);
  lk_free(p);
}

static struct job *job(int n)
{
  struct job *j = lk_calloc(1, sizeof *j);
  if(j)
    j->n = n;
  return j;
}

static void reset(int hold)
{
  meet = 0;
  atomic_store(&ran, 0);
  atomic_store(&dropped_jobs, 0);
  atomic_store(&concurrent, 0);
  atomic_store(&most_concurrent, 0);
  atomic_store(&n_order, 0);
  hold_ms = hold;
}

/* Two events at once run at once: neither waits for the other. */
static void test_parallel(void)
{
  struct lk_dt_queue *q = NULL;
  reset(10);
  meet = 2;
  CHECK(lk_dt_queue_create(&q, 2, 8, run, drop, NULL) == LK_OK);
  CHECK(lk_dt_queue_push(q, job(1)) == LK_OK);
  CHECK(lk_dt_queue_push(q, job(2)) == LK_OK);
  lk_dt_queue_destroy(q, 1);
  CHECK(atomic_load(&ran) == 2 && atomic_load(&most_concurrent) == 2);
}

/* 100 events in a burst on 2 slow workers and 8 places: every one runs
 * or is dropped, the dropped are the oldest waiting, memory is bounded. */
static void test_burst(void)
{
  struct lk_dt_queue *q = NULL;
  struct lk_dt_queue_stats s;
  size_t base = lk_mem_in_use(), most = 0;
  int i, last[8], k;
  reset(20);
  CHECK(lk_dt_queue_create(&q, 2, 8, run, drop, NULL) == LK_OK);
  base = lk_mem_in_use();
  for(i = 0; i < 100; i++) {
    CHECK(lk_dt_queue_push(q, job(i)) == LK_OK);
    if(lk_mem_in_use() - base > most)
      most = lk_mem_in_use() - base;
  }
  lk_dt_queue_stats(q, &s);
  CHECK(s.pushed == 100 && s.waiting <= 8 && s.running <= 2);
  lk_dt_queue_destroy(q, 1);
  CHECK_MSG(atomic_load(&ran) + atomic_load(&dropped_jobs) == 100,
            "ran %d dropped %d", atomic_load(&ran),
            atomic_load(&dropped_jobs));
  CHECK(atomic_load(&dropped_jobs) >= 80);
  /* at most 2 running + 8 waiting jobs held at any time */
  CHECK_MSG(most <= 10 * (sizeof(struct job) + 64), "%zu bytes", most);
  /* the last 8 pushed were never dropped: they were the last to run (two
   * workers finish them in pairs, so as a set) */
  k = atomic_load(&n_order);
  for(i = 0; i < 8; i++)
    last[i] = atomic_load(&order[(k - 8 + i) & 255]);
  for(i = 0; i < 8; i++) {
    int j, found = 0;
    for(j = 0; j < 8; j++)
      found |= last[j] == 92 + i;
    CHECK_MSG(found, "job %d is not among the last 8 run", 92 + i);
  }
}

static void test_destroy_drops(void)
{
  struct lk_dt_queue *q = NULL;
  int i;
  reset(50);
  CHECK(lk_dt_queue_create(&q, 1, 16, run, drop, NULL) == LK_OK);
  for(i = 0; i < 10; i++)
    CHECK(lk_dt_queue_push(q, job(i)) == LK_OK);
  lk_dt_queue_destroy(q, 0);
  /* at most the one running finished; the rest were dropped, none lost */
  CHECK(atomic_load(&ran) <= 1);
  CHECK(atomic_load(&dropped_jobs) >= 9);
  CHECK(atomic_load(&ran) + atomic_load(&dropped_jobs) == 10);
}

static void test_bad_arguments(void)
{
  struct lk_dt_queue *q = NULL;
  CHECK(lk_dt_queue_create(&q, 0, 8, run, drop, NULL) == LK_ERR_INVAL);
  CHECK(lk_dt_queue_create(&q, 2, 0, run, drop, NULL) == LK_ERR_INVAL);
  CHECK(lk_dt_queue_create(&q, 2, 8, NULL, drop, NULL) == LK_ERR_INVAL);
  CHECK(lk_dt_queue_create(&q, 65, 8, run, drop, NULL) == LK_ERR_INVAL);
  CHECK(q == NULL);
  lk_dt_queue_destroy(NULL, 1);
}

int main(void)
{
  size_t mem0 = lk_mem_in_use();
  RUN(test_parallel);
  RUN(test_burst);
  RUN(test_destroy_drops);
  RUN(test_bad_arguments);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left",
            lk_mem_in_use() - mem0);
  return test_report();
}
