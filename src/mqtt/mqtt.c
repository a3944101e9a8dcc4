/* mqtt.c - libmosquitto behind lk_mqtt: its threaded interface
 * (connect_async + loop_start), whose loop reconnects by itself with the
 * backoff set here; this file adds availability, the remembered
 * subscriptions and counters. */
#include "mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"

struct lk_mqtt_sub {
  char *filter;
  int qos;
};

struct lk_mqtt {
  struct mosquitto *mosq;
  struct lk_mqtt_config cfg;     /* strings point into owned */
  char *owned[10];
  char client_id[64];
  lk_mqtt_message_fn on_message;
  lk_mqtt_link_fn on_link;
  void *ctx;
  pthread_mutex_t lock;          /* subs */
  struct lk_mqtt_sub subs[LK_MQTT_MAX_SUBS];
  int n_subs;
  /* libmosquitto's loop reconnects a link that was up, but not one whose
   * first connect failed: until then this thread retries, then starts
   * the loop. */
  pthread_t starter;
  int has_starter;
  atomic_int stopping;
  atomic_int looping;                /* mosquitto_loop_start ran */
  atomic_int connected;
  atomic_long connects, disconnects, received, published, publish_failed;
};

static pthread_once_t lk_mqtt_once = PTHREAD_ONCE_INIT;

static void lk_mqtt_lib_init(void)
{
  mosquitto_lib_init();      /* process-wide; its cleanup would race others */
}

struct lk_mqtt_config lk_mqtt_default_config(void)
{
  struct lk_mqtt_config c;
  memset(&c, 0, sizeof c);
  c.host = "localhost";
  c.port = 1883;
  c.keepalive_s = 60;
  c.reconnect_min_s = 1;
  c.reconnect_max_s = 30;
  return c;
}

static void lk_mqtt_why(char *why, const char *fmt, const char *arg)
{
  if(why)
    snprintf(why, LK_MQTT_ERRMAX, fmt, arg);
}

static lk_err lk_mqtt_check(const struct lk_mqtt_config *c, char *why)
{
  const char *bad = NULL;
  if(!c->host || !c->host[0])
    bad = "host";
  else if(c->port < 1 || c->port > 65535)
    bad = "port (1..65535)";
  else if(c->keepalive_s < 5 || c->keepalive_s > 65535)
    bad = "keepalive (5..65535 s)";
  else if(c->reconnect_min_s < 1 || c->reconnect_max_s < c->reconnect_min_s)
    bad = "reconnect delays (1 <= min <= max)";
  else if(c->password && !c->username)
    bad = "password without a username";
  else if(c->client_id && (!c->client_id[0] || strlen(c->client_id) > 23 * 4))
    bad = "client id";
  else if(c->availability_topic &&
          mosquitto_pub_topic_check(c->availability_topic) != MOSQ_ERR_SUCCESS)
    bad = "availability topic";
  if(bad) {
    lk_mqtt_why(why, "mqtt: bad %s", bad);
    return LK_ERR_INVAL;
  }
  return LK_OK;
}

/* Copy the config's strings so the caller's may go. */
static lk_err lk_mqtt_own(struct lk_mqtt *m, const char **field)
{
  int i;
  if(!*field)
    return LK_OK;
  for(i = 0; i < 10 && m->owned[i]; i++)
    ;
  if(i == 10 || !(m->owned[i] = lk_strdup(*field)))
    return LK_ERR_NOMEM;
  *field = m->owned[i];
  return LK_OK;
}

static void lk_mqtt_link(struct lk_mqtt *m, int up, const char *why)
{
  if(m->on_link)
    m->on_link(m->ctx, up, why);
}

static void lk_mqtt_on_connect(struct mosquitto *mosq, void *obj, int rc)
{
  struct lk_mqtt *m = obj;
  int i;
  if(rc) {
    /* refused (bad credentials, ...): the loop retries with backoff */
    atomic_fetch_add(&m->disconnects, 1);
    lk_mqtt_link(m, 0, mosquitto_connack_string(rc));
    return;
  }
  atomic_fetch_add(&m->connects, 1);
  atomic_store(&m->connected, 1);
  if(m->cfg.availability_topic)
    mosquitto_publish(mosq, NULL, m->cfg.availability_topic, 6, "online", 1,
                      true);
  pthread_mutex_lock(&m->lock);
  for(i = 0; i < m->n_subs; i++)
    mosquitto_subscribe(mosq, NULL, m->subs[i].filter, m->subs[i].qos);
  pthread_mutex_unlock(&m->lock);
  lk_mqtt_link(m, 1, "connected");
}

static void lk_mqtt_on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
  struct lk_mqtt *m = obj;
  (void)mosq;
  if(!atomic_exchange(&m->connected, 0))
    return;
  atomic_fetch_add(&m->disconnects, 1);
  lk_mqtt_link(m, 0, rc ? mosquitto_strerror(rc) : "disconnected");
}

static void lk_mqtt_on_message(struct mosquitto *mosq, void *obj,
                               const struct mosquitto_message *msg)
{
  struct lk_mqtt *m = obj;
  (void)mosq;
  atomic_fetch_add(&m->received, 1);
  if(m->on_message)
    m->on_message(m->ctx, msg->topic, msg->payload,
                  msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0,
                  msg->retain);
}

static void lk_mqtt_client_id(struct lk_mqtt *m)
{
  unsigned char r[4] = { 0, 0, 0, 0 };
  if(m->cfg.client_id) {
    snprintf(m->client_id, sizeof m->client_id, "%s", m->cfg.client_id);
    return;
  }
  if(getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
    memset(r, 0x5a, sizeof r);
  snprintf(m->client_id, sizeof m->client_id, "likeness-%02x%02x%02x%02x",
           r[0], r[1], r[2], r[3]);
}

static lk_err lk_mqtt_setup(struct lk_mqtt *m, char *why)
{
  const struct lk_mqtt_config *c = &m->cfg;
  lk_mqtt_client_id(m);
  m->mosq = mosquitto_new(m->client_id, true, m);
  if(!m->mosq)
    return errno == ENOMEM ? LK_ERR_NOMEM : LK_ERR_INVAL;
  mosquitto_connect_callback_set(m->mosq, lk_mqtt_on_connect);
  mosquitto_disconnect_callback_set(m->mosq, lk_mqtt_on_disconnect);
  mosquitto_message_callback_set(m->mosq, lk_mqtt_on_message);
  mosquitto_reconnect_delay_set(m->mosq, c->reconnect_min_s,
                                c->reconnect_max_s, true);
  if(c->username &&
     mosquitto_username_pw_set(m->mosq, c->username, c->password))
    return LK_ERR_NOMEM;
  if(c->availability_topic &&
     mosquitto_will_set(m->mosq, c->availability_topic, 7, "offline", 1,
                        true)) {
    lk_mqtt_why(why, "mqtt: cannot set the will on %s",
                c->availability_topic);
    return LK_ERR_INVAL;
  }
  return LK_OK;
}

lk_err lk_mqtt_create(struct lk_mqtt **out, const struct lk_mqtt_config *cfg,
                      lk_mqtt_message_fn on_message, lk_mqtt_link_fn on_link,
                      void *ctx, char *why)
{
  struct lk_mqtt *m;
  lk_err err;

  *out = NULL;
  err = lk_mqtt_check(cfg, why);
  if(err)
    return err;
  pthread_once(&lk_mqtt_once, lk_mqtt_lib_init);
  m = lk_calloc(1, sizeof *m);
  if(!m)
    return LK_ERR_NOMEM;
  pthread_mutex_init(&m->lock, NULL);
  m->cfg = *cfg;
  m->on_message = on_message;
  m->on_link = on_link;
  m->ctx = ctx;
  err = lk_mqtt_own(m, &m->cfg.host);
  if(!err) err = lk_mqtt_own(m, &m->cfg.username);
  if(!err) err = lk_mqtt_own(m, &m->cfg.password);
  if(!err) err = lk_mqtt_own(m, &m->cfg.client_id);
  if(!err) err = lk_mqtt_own(m, &m->cfg.ca_file);
  if(!err) err = lk_mqtt_own(m, &m->cfg.cert_file);
  if(!err) err = lk_mqtt_own(m, &m->cfg.key_file);
  if(!err) err = lk_mqtt_own(m, &m->cfg.availability_topic);
  if(!err)
    err = lk_mqtt_setup(m, why);
  if(err) {
    lk_mqtt_destroy(m);
    return err;
  }
  *out = m;
  return LK_OK;
}

lk_err lk_mqtt_subscribe(struct lk_mqtt *m, const char *filter, int qos)
{
  char *copy;
  if(!filter || mosquitto_sub_topic_check(filter) != MOSQ_ERR_SUCCESS ||
     qos < 0 || qos > 2)
    return LK_ERR_INVAL;
  if(!(copy = lk_strdup(filter)))
    return LK_ERR_NOMEM;
  pthread_mutex_lock(&m->lock);
  if(m->n_subs == LK_MQTT_MAX_SUBS) {
    pthread_mutex_unlock(&m->lock);
    lk_free(copy);
    return LK_ERR_INVAL;
  }
  m->subs[m->n_subs].filter = copy;
  m->subs[m->n_subs++].qos = qos;
  /* while connected now; else on_connect sends it with the others */
  if(atomic_load(&m->connected))
    mosquitto_subscribe(m->mosq, NULL, copy, qos);
  pthread_mutex_unlock(&m->lock);
  return LK_OK;
}

static lk_err lk_mqtt_tls(struct lk_mqtt *m, char *why)
{
  const struct lk_mqtt_config *c = &m->cfg;
  int rc;
  if(!c->ca_file && !c->cert_file && !c->key_file)
    return LK_OK;
  /* no CA file: the system's CAs (OpenSSL's defaults) */
  if(!c->ca_file)
    mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
  rc = mosquitto_tls_set(m->mosq, c->ca_file, NULL, c->cert_file,
                         c->key_file, NULL);
  /* insecure as Node's rejectUnauthorized: false, which Double Take's
   * reject_unauthorized: false sets: neither the chain nor the name is
   * checked (libmosquitto's insecure flag alone skips only the name) */
  if(!rc && c->tls_insecure)
    rc = mosquitto_tls_insecure_set(m->mosq, true);
  if(!rc && c->tls_insecure)
    rc = mosquitto_tls_opts_set(m->mosq, 0, NULL, NULL);
  if(rc) {
    lk_mqtt_why(why, "mqtt: TLS files: %s", mosquitto_strerror(rc));
    return LK_ERR_INVAL;
  }
  return LK_OK;
}

static int lk_mqtt_connect(struct lk_mqtt *m)
{
  return mosquitto_connect_async(m->mosq, m->cfg.host, m->cfg.port,
                                 m->cfg.keepalive_s);
}

static void lk_mqtt_log_retry(const struct lk_mqtt *m, int rc, unsigned s)
{
  lk_log(LK_LOG_WARN, "mqtt", "%s:%d: %s; retrying in %u s", m->cfg.host,
         m->cfg.port, rc == MOSQ_ERR_ERRNO ? strerror(errno)
                                           : mosquitto_strerror(rc), s);
}

/* Sleep s seconds, or less when stopping. */
static void lk_mqtt_nap(struct lk_mqtt *m, unsigned s)
{
  struct timespec step = { 0, 50 * 1000000L };
  unsigned i;
  for(i = 0; i < s * 20 && !atomic_load(&m->stopping); i++)
    nanosleep(&step, NULL);
}

static void *lk_mqtt_starter_main(void *arg)
{
  struct lk_mqtt *m = arg;
  unsigned delay = m->cfg.reconnect_min_s;
  int rc;
  for(;;) {
    lk_mqtt_nap(m, delay);
    if(atomic_load(&m->stopping))
      return NULL;
    rc = lk_mqtt_connect(m);
    if(!rc)
      break;
    delay = delay * 2 > m->cfg.reconnect_max_s ? m->cfg.reconnect_max_s
                                                : delay * 2;
    lk_mqtt_log_retry(m, rc, delay);
  }
  if(mosquitto_loop_start(m->mosq) == MOSQ_ERR_SUCCESS)
    atomic_store(&m->looping, 1);
  else
    lk_log(LK_LOG_ERROR, "mqtt", "cannot start the network thread");
  return NULL;
}

lk_err lk_mqtt_start(struct lk_mqtt *m, char *why)
{
  lk_err err = lk_mqtt_tls(m, why);
  int rc;
  if(err)
    return err;
  if(m->has_starter || atomic_load(&m->looping))
    return LK_OK;
  rc = lk_mqtt_connect(m);
  if(rc && rc != MOSQ_ERR_ERRNO && rc != MOSQ_ERR_EAI) {
    lk_mqtt_why(why, "mqtt: %s", mosquitto_strerror(rc));
    return LK_ERR_INVAL;
  }
  if(rc) {           /* no broker yet (or no name): keep trying */
    lk_mqtt_log_retry(m, rc, m->cfg.reconnect_min_s);
    if(pthread_create(&m->starter, NULL, lk_mqtt_starter_main, m)) {
      lk_mqtt_why(why, "mqtt: %s", "cannot start a thread");
      return LK_ERR_IO;
    }
    m->has_starter = 1;
    return LK_OK;
  }
  if(mosquitto_loop_start(m->mosq)) {
    lk_mqtt_why(why, "mqtt: %s", "cannot start the network thread");
    return LK_ERR_IO;
  }
  atomic_store(&m->looping, 1);
  return LK_OK;
}

lk_err lk_mqtt_publish(struct lk_mqtt *m, const char *topic,
                       const void *payload, size_t len, int qos, int retain)
{
  int rc;
  if(len > 268435455u) {
    atomic_fetch_add(&m->publish_failed, 1);
    return LK_ERR_TOO_LARGE;
  }
  if(!atomic_load(&m->connected)) {
    atomic_fetch_add(&m->publish_failed, 1);
    return LK_ERR_IO;
  }
  rc = mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, qos,
                         retain != 0);
  if(rc) {
    atomic_fetch_add(&m->publish_failed, 1);
    return rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_MALFORMED_UTF8
           ? LK_ERR_INVAL : rc == MOSQ_ERR_NOMEM ? LK_ERR_NOMEM : LK_ERR_IO;
  }
  atomic_fetch_add(&m->published, 1);
  return LK_OK;
}

int lk_mqtt_connected(const struct lk_mqtt *m)
{
  return atomic_load(&m->connected);
}

void lk_mqtt_stats(const struct lk_mqtt *m, struct lk_mqtt_stats *s)
{
  s->connects = atomic_load(&m->connects);
  s->disconnects = atomic_load(&m->disconnects);
  s->received = atomic_load(&m->received);
  s->published = atomic_load(&m->published);
  s->publish_failed = atomic_load(&m->publish_failed);
}

void lk_mqtt_destroy(struct lk_mqtt *m)
{
  int i;
  if(!m)
    return;
  atomic_store(&m->stopping, 1);
  if(m->has_starter)
    pthread_join(m->starter, NULL);
  if(m->mosq && atomic_load(&m->looping)) {
    if(atomic_load(&m->connected) && m->cfg.availability_topic)
      mosquitto_publish(m->mosq, NULL, m->cfg.availability_topic, 7,
                        "offline", 1, true);
    /* DISCONNECT goes out after what is queued; the loop then ends */
    mosquitto_disconnect(m->mosq);
    mosquitto_loop_stop(m->mosq, false);
  }
  if(m->mosq)
    mosquitto_destroy(m->mosq);
  for(i = 0; i < m->n_subs; i++)
    lk_free(m->subs[i].filter);
  for(i = 0; i < 10; i++)
    lk_free(m->owned[i]);
  pthread_mutex_destroy(&m->lock);
  lk_free(m);
}

int lk_mqtt_topic_matches(const char *filter, const char *topic)
{
  bool match = false;
  return mosquitto_topic_matches_sub(filter, topic, &match) ==
         MOSQ_ERR_SUCCESS && match;
}
