/* dt_reset.c - Double Take's 30-second reset: reset_s after a camera's
 * last result its person count goes back to "0" (and its Home Assistant
 * sensor to zero counts), so automations see people leave. One thread
 * sleeps until the earliest deadline; each camera has at most one pending
 * reset, replaced by its next event. */
#include "dt_service_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"

struct lk_dt_reset {
  struct lk_dt_reset *next;
  char *camera;
  struct lk_dt_message *msgs;        /* topic and payload lk_malloc'd */
  size_t n;
  double due;                        /* monotonic seconds */
};

struct lk_dt_resets {
  struct lk_dt_service *s;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  struct lk_dt_reset *list;
  int stopping;
  pthread_t thread;
};

static void lk_dt_reset_free(struct lk_dt_reset *e)
{
  size_t i;
  for(i = 0; i < e->n; i++) {
    lk_free((char *)e->msgs[i].topic);
    lk_free((char *)e->msgs[i].payload);
  }
  lk_free(e->msgs);
  lk_free(e->camera);
  lk_free(e);
}

static struct lk_dt_reset *lk_dt_reset_copy(const char *camera,
                                            const struct lk_dt_message *m,
                                            size_t n)
{
  struct lk_dt_reset *e = lk_calloc(1, sizeof *e);
  if(!e)
    return NULL;
  e->camera = lk_strdup(camera);
  e->msgs = lk_calloc(n ? n : 1, sizeof *e->msgs);
  if(!e->camera || !e->msgs) {
    lk_dt_reset_free(e);
    return NULL;
  }
  for(; e->n < n; e->n++) {
    struct lk_dt_message *d = &e->msgs[e->n];
    char *payload = lk_malloc(m[e->n].len + 1);
    d->topic = lk_strdup(m[e->n].topic);
    d->payload = payload;
    if(!d->topic || !payload) {
      e->n++;
      lk_dt_reset_free(e);
      return NULL;
    }
    memcpy(payload, m[e->n].payload, m[e->n].len);
    payload[m[e->n].len] = '\0';
    d->len = m[e->n].len;
    d->retain = m[e->n].retain;
  }
  return e;
}

/* Unlink and return the first entry due by now, or NULL. */
static struct lk_dt_reset *lk_dt_reset_due(struct lk_dt_resets *r,
                                           double now, double *next)
{
  struct lk_dt_reset **p;
  *next = 0;
  for(p = &r->list; *p; p = &(*p)->next) {
    struct lk_dt_reset *e = *p;
    if(e->due <= now || r->stopping) {
      *p = e->next;
      return e;
    }
    if(!*next || e->due < *next)
      *next = e->due;
  }
  return NULL;
}

static void lk_dt_reset_wait(struct lk_dt_resets *r, double next)
{
  struct timespec ts;
  double wait = next ? next - lk_dt_now() : 3600;
  if(wait <= 0)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)wait;
  ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
  if(ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&r->cond, &r->lock, &ts);
}

static void *lk_dt_resets_main(void *arg)
{
  struct lk_dt_resets *r = arg;
  struct lk_dt_reset *e;
  double next;
  pthread_mutex_lock(&r->lock);
  for(;;) {
    e = lk_dt_reset_due(r, lk_dt_now(), &next);
    if(e) {
      pthread_mutex_unlock(&r->lock);
      lk_dt_publish(r->s, e->msgs, e->n);
      lk_dt_reset_free(e);
      pthread_mutex_lock(&r->lock);
      continue;
    }
    if(r->stopping)
      break;
    lk_dt_reset_wait(r, next);
  }
  pthread_mutex_unlock(&r->lock);
  return NULL;
}

lk_err lk_dt_resets_create(struct lk_dt_service *s, struct lk_dt_resets **out)
{
  struct lk_dt_resets *r = lk_calloc(1, sizeof *r);
  *out = NULL;
  if(!r)
    return LK_ERR_NOMEM;
  r->s = s;
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->cond, NULL);
  if(pthread_create(&r->thread, NULL, lk_dt_resets_main, r)) {
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    lk_free(r);
    return LK_ERR_NOMEM;
  }
  *out = r;
  return LK_OK;
}

void lk_dt_resets_schedule(struct lk_dt_resets *r, const char *camera,
                           const struct lk_dt_message *m, size_t n)
{
  struct lk_dt_reset *e = lk_dt_reset_copy(camera, m, n), **p, *old = NULL;
  if(!e)
    return;              /* out of memory: the count stays, as it was */
  e->due = lk_dt_now() + r->s->o.reset_s;
  pthread_mutex_lock(&r->lock);
  for(p = &r->list; *p; p = &(*p)->next) {
    if(!strcmp((*p)->camera, camera)) {
      old = *p;
      *p = old->next;
      break;
    }
  }
  e->next = r->list;
  r->list = e;
  pthread_cond_signal(&r->cond);
  pthread_mutex_unlock(&r->lock);
  if(old)
    lk_dt_reset_free(old);
}

void lk_dt_resets_destroy(struct lk_dt_resets *r)
{
  if(!r)
    return;
  pthread_mutex_lock(&r->lock);
  r->stopping = 1;
  pthread_cond_signal(&r->cond);
  pthread_mutex_unlock(&r->lock);
  pthread_join(r->thread, NULL);
  pthread_cond_destroy(&r->cond);
  pthread_mutex_destroy(&r->lock);
  lk_free(r);
}
