/* dt_queue.c - a ring of waiting jobs under one mutex, and workers that
 * take from its head. Dropping the oldest is a head advance, so push is
 * O(1) and never waits for a worker. */
#include "dt_queue.h"

#include <pthread.h>

#include "base/mem.h"

struct lk_dt_queue {
  pthread_mutex_t lock;
  pthread_cond_t more;          /* a job came, or stopping */
  pthread_cond_t idle;          /* a job finished (destroy waits) */
  void **ring;
  int capacity, head, count;
  int stopping, drain;
  int running;
  long pushed, done, dropped;
  lk_dt_job_run run;
  lk_dt_job_drop drop;
  void *ctx;
  pthread_t *threads;
  int n_threads;
};

static void *lk_dt_queue_take(struct lk_dt_queue *q)
{
  void *job = q->ring[q->head];
  q->head = (q->head + 1) % q->capacity;
  q->count--;
  return job;
}

static void *lk_dt_queue_worker(void *arg)
{
  struct lk_dt_queue *q = arg;
  void *job;
  pthread_mutex_lock(&q->lock);
  for(;;) {
    while(!q->count && !q->stopping)
      pthread_cond_wait(&q->more, &q->lock);
    if(!q->count || (q->stopping && !q->drain))
      break;
    job = lk_dt_queue_take(q);
    q->running++;
    pthread_mutex_unlock(&q->lock);
    q->run(job, q->ctx);
    pthread_mutex_lock(&q->lock);
    q->running--;
    q->done++;
    pthread_cond_broadcast(&q->idle);
  }
  pthread_mutex_unlock(&q->lock);
  return NULL;
}

static void lk_dt_queue_free(struct lk_dt_queue *q)
{
  pthread_cond_destroy(&q->more);
  pthread_cond_destroy(&q->idle);
  pthread_mutex_destroy(&q->lock);
  lk_free(q->threads);
  lk_free(q->ring);
  lk_free(q);
}

lk_err lk_dt_queue_create(struct lk_dt_queue **out, int workers, int capacity,
                          lk_dt_job_run run, lk_dt_job_drop drop, void *ctx)
{
  struct lk_dt_queue *q;
  *out = NULL;
  if(workers < 1 || workers > 64 || capacity < 1 || capacity > 4096 ||
     !run || !drop)
    return LK_ERR_INVAL;
  if(!(q = lk_calloc(1, sizeof *q)))
    return LK_ERR_NOMEM;
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->more, NULL);
  pthread_cond_init(&q->idle, NULL);
  q->capacity = capacity;
  q->run = run;
  q->drop = drop;
  q->ctx = ctx;
  q->ring = lk_calloc((size_t)capacity, sizeof *q->ring);
  q->threads = lk_calloc((size_t)workers, sizeof *q->threads);
  if(!q->ring || !q->threads) {
    lk_dt_queue_free(q);
    return LK_ERR_NOMEM;
  }
  for(; q->n_threads < workers; q->n_threads++) {
    if(pthread_create(&q->threads[q->n_threads], NULL, lk_dt_queue_worker,
                      q)) {
      lk_dt_queue_destroy(q, 0);
      return LK_ERR_NOMEM;
    }
  }
  *out = q;
  return LK_OK;
}

lk_err lk_dt_queue_push(struct lk_dt_queue *q, void *job)
{
  void *old = NULL;
  pthread_mutex_lock(&q->lock);
  if(q->stopping) {
    pthread_mutex_unlock(&q->lock);
    q->drop(job, q->ctx);
    return LK_ERR_BUSY;
  }
  if(q->count == q->capacity) {
    old = lk_dt_queue_take(q);
    q->dropped++;
  }
  q->ring[(q->head + q->count) % q->capacity] = job;
  q->count++;
  q->pushed++;
  pthread_cond_signal(&q->more);
  pthread_mutex_unlock(&q->lock);
  if(old)                      /* outside the lock: drop may take time */
    q->drop(old, q->ctx);
  return LK_OK;
}

void lk_dt_queue_stats(struct lk_dt_queue *q, struct lk_dt_queue_stats *s)
{
  pthread_mutex_lock(&q->lock);
  s->pushed = q->pushed;
  s->done = q->done;
  s->dropped = q->dropped;
  s->running = q->running;
  s->waiting = q->count;
  pthread_mutex_unlock(&q->lock);
}

void lk_dt_queue_destroy(struct lk_dt_queue *q, int drain)
{
  int i;
  if(!q)
    return;
  pthread_mutex_lock(&q->lock);
  q->stopping = 1;
  q->drain = drain;
  pthread_cond_broadcast(&q->more);
  pthread_mutex_unlock(&q->lock);
  for(i = 0; i < q->n_threads; i++)
    pthread_join(q->threads[i], NULL);
  /* what no worker took (not draining, or no worker started) */
  while(q->count) {
    q->dropped++;
    q->drop(lk_dt_queue_take(q), q->ctx);
  }
  lk_dt_queue_free(q);
}
