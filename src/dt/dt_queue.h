/* dt_queue.h - a bounded queue of jobs with its own worker threads, for
 * the events the integrations take in (Frigate events, MQTT snapshots,
 * camera webhooks). Each job runs on its own: a second event never waits
 * for the first, unlike Double Take's "still processing previous request".
 * When the queue is full the OLDEST waiting job is dropped, and counted:
 * a newer picture of a scene is worth more than an older one, and memory
 * stays bounded however fast events arrive.
 *
 * Threads: push, stats and destroy may be called from any thread; jobs
 * run on the queue's workers, several at once.
 *
 *   err = lk_dt_queue_create(&q, 2, 16, run, drop, ctx);
 *   err = lk_dt_queue_push(q, job);     never blocks; job is now the queue's
 *   lk_dt_queue_destroy(q, 1);          runs what waits, joins the workers
 */
#ifndef LK_DT_QUEUE_H
#define LK_DT_QUEUE_H

#include "base/err.h"

struct lk_dt_queue;

/* Runs a job on a worker; the job is the function's from then on. */
typedef void (*lk_dt_job_run)(void *job, void *ctx);
/* Frees a job that will never run (dropped, or left at destroy). */
typedef void (*lk_dt_job_drop)(void *job, void *ctx);

struct lk_dt_queue_stats {
  long pushed;        /* accepted by push */
  long done;          /* finished running */
  long dropped;       /* pushed out by newer jobs, or left at destroy */
  int running;        /* on a worker now */
  int waiting;        /* in the queue now */
};

/* workers 1..64 threads, capacity 1..4096 waiting jobs. */
lk_err lk_dt_queue_create(struct lk_dt_queue **out, int workers, int capacity,
                          lk_dt_job_run run, lk_dt_job_drop drop, void *ctx);
/* Queue job; when capacity jobs wait already, the oldest of them is
 * dropped first. LK_ERR_BUSY once destroy has begun (the job is dropped).
 * Never blocks on the workers. */
lk_err lk_dt_queue_push(struct lk_dt_queue *q, void *job);
void lk_dt_queue_stats(struct lk_dt_queue *q, struct lk_dt_queue_stats *s);
/* Stop taking jobs; drain: run every waiting job first, else drop them;
 * wait for the running ones; free. NULL is fine. */
void lk_dt_queue_destroy(struct lk_dt_queue *q, int drain);

#endif
