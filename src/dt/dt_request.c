/* dt_request.c - recognitions asked over HTTP: Double Take's
 * GET /api/recognize?url=, POST /api/recognize (a Frigate event), the
 * camera webhooks and uploads. They run as events do (dt_event.c), on
 * the calling thread when the client waits for the answer, on the queue
 * when it does not. */
#include "dt_service_int.h"

#include <stdio.h>
#include <string.h>

#define LK_DT_REQUEST_ATTEMPTS_MAX 100

static void lk_dt_why(char *why, const char *text)
{
  if(why)
    snprintf(why, LK_DT_SERVICE_ERRMAX, "%s", text);
}

/* A job for rq, with a new UUID as its id (Double Take's for manual,
 * camera and MQTT events). */
static lk_err lk_dt_request_job(const struct lk_dt_request *rq,
                                struct lk_dt_job **out, char *why)
{
  struct lk_dt_job *job;
  char id[40];
  *out = NULL;
  if(rq->url ? rq->image != NULL : !rq->image || !rq->len) {
    lk_dt_why(why, "give one of url and image");
    return LK_ERR_INVAL;
  }
  if(rq->attempts < 0 || rq->attempts > LK_DT_REQUEST_ATTEMPTS_MAX) {
    lk_dt_why(why, "attempts must be 1..100");
    return LK_ERR_INVAL;
  }
  if(!(job = lk_dt_job_new()))
    return LK_ERR_NOMEM;
  lk_dt_uuid(id);
  job->ev.id = lk_arena_strdup(job->arena, id);
  job->ev.camera = lk_arena_strdup(job->arena,
                                   rq->camera ? rq->camera : "manual");
  job->ev.label = "person";
  job->type = lk_arena_strdup(job->arena, rq->type ? rq->type : "manual");
  job->url = rq->url ? lk_arena_strdup(job->arena, rq->url) : NULL;
  job->policy = rq->policy;
  job->attempts = rq->attempts ? rq->attempts : 1;
  job->stop_on_match = rq->stop_on_match;
  if(rq->image && (job->image = lk_malloc(rq->len)))
    memcpy(job->image, rq->image, rq->len);
  job->len = rq->len;
  if(!job->ev.id || !job->ev.camera || !job->type ||
     (rq->url && !job->url) || (rq->image && !job->image)) {
    lk_dt_job_free(job);
    return LK_ERR_NOMEM;
  }
  *out = job;
  return LK_OK;
}

/* A Frigate event, checked as frigate/events' are. */
static lk_err lk_dt_request_event(struct lk_dt_service *s,
                                  const struct lk_dt_request *rq,
                                  struct lk_dt_job **out, char *why)
{
  struct lk_dt_frigate_zone zones[64];
  struct lk_dt_frigate_filter f;
  struct lk_dt_job *job = lk_dt_job_new();
  char msg[LK_DT_FRIGATE_ERRMAX] = "";
  const char *skip = NULL;
  *out = NULL;
  if(!job)
    return LK_ERR_NOMEM;
  atomic_fetch_add(&s->received, 1);
  if(!s->cfg->frigate.url.n)
    skip = "Frigate URL not configured";
  else if(lk_dt_frigate_parse(rq->event, rq->event_len, job->arena, &job->ev,
                              msg))
    skip = msg;
  else {
    lk_dt_filter(s->cfg, &f, zones, 64);
    skip = lk_dt_frigate_check(&job->ev, &f, job->arena);
    if(!skip && lk_dt_scheduled_off(s, job->ev.camera)) {
      snprintf(msg, sizeof msg, "%.100s - %.100s disabled by schedule",
               job->ev.id, job->ev.camera);
      skip = msg;
    }
  }
  if(skip) {
    atomic_fetch_add(&s->skipped, 1);
    lk_dt_why(why, skip);
    lk_dt_job_free(job);
    return LK_ERR_INVAL;
  }
  lk_dt_seen_event(s, job->ev.camera);
  *out = job;
  return LK_OK;
}

lk_err lk_dt_service_recognize(struct lk_dt_service *s,
                               const struct lk_dt_request *rq,
                               int all_results, cJSON **out, char *why)
{
  struct lk_dt_outcome o;
  struct lk_dt_job *job;
  lk_err err;
  *out = NULL;
  err = rq->event ? lk_dt_request_event(s, rq, &job, why)
                  : lk_dt_request_job(rq, &job, why);
  if(err)
    return err;
  if(!rq->event)
    atomic_fetch_add(&s->received, 1);
  lk_dt_event_process(s, job, &o);
  if(!o.done) {
    lk_dt_why(why, o.error ? o.error : "no image");
    err = LK_ERR_IO;
  } else if(!(*out = lk_dt_result_json(&o.ev, &o.sum, all_results))) {
    err = LK_ERR_NOMEM;
  }
  lk_dt_job_free(job);
  return err;
}

lk_err lk_dt_service_submit(struct lk_dt_service *s,
                            const struct lk_dt_request *rq)
{
  struct lk_dt_job *job;
  lk_err err;
  if(rq->url || rq->event)
    return LK_ERR_INVAL;
  err = lk_dt_request_job(rq, &job, NULL);
  if(err)
    return err;
  atomic_fetch_add(&s->received, 1);
  lk_dt_push(s, job);
  return LK_OK;
}
