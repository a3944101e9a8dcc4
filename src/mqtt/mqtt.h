/* mqtt.h - the MQTT client the integrations share (Frigate's events in,
 * Double Take's matches and Home Assistant discovery out): libmosquitto on
 * its own network thread, reconnecting with exponential backoff for as long
 * as the broker is away, announcing availability (a retained "online" on
 * every connect, the broker's will "offline" when the link drops, a
 * retained "offline" on a clean stop) and subscribing again after every
 * reconnect. docs/mqtt.md has the design.
 *
 * Threads: the callbacks run on the network thread, one at a time, and
 * must return quickly (hand work to a queue). Every other call is thread
 * safe and never blocks on the network: a publish while the broker is away
 * fails with LK_ERR_IO (counted), it is not queued for later.
 *
 *   struct lk_mqtt_config c = lk_mqtt_default_config();
 *   c.host = "broker.lan";  c.availability_topic = "double-take/available";
 *   err = lk_mqtt_create(&m, &c, on_message, on_link, ctx, why);
 *   lk_mqtt_subscribe(m, "frigate/events", 0);
 *   lk_mqtt_start(m, why);                  connects in the background
 *   lk_mqtt_publish(m, "double-take/matches/ada", json, len, 0, 0);
 *   lk_mqtt_destroy(m);                     "offline", disconnect, join
 */
#ifndef LK_MQTT_H
#define LK_MQTT_H

#include <stddef.h>

#include "base/err.h"

#define LK_MQTT_ERRMAX 256
#define LK_MQTT_MAX_SUBS 64

struct lk_mqtt;

struct lk_mqtt_config {
  const char *host;             /* "localhost" */
  int port;                     /* 1883; 8883 is usual with TLS */
  const char *username;         /* NULL: anonymous */
  const char *password;
  const char *client_id;        /* NULL: "likeness-" + 8 random hex */
  int keepalive_s;              /* 60 */
  /* TLS is on when any of these is set (PEM files; no CA file: the
   * system's CAs). tls_insecure checks neither the broker's certificate
   * chain nor its name, as Double Take's reject_unauthorized: false
   * (Node's rejectUnauthorized) does. */
  const char *ca_file;
  const char *cert_file;
  const char *key_file;
  int tls_insecure;
  /* NULL: no availability messages. Else "online" (retained) after each
   * connect, the will "offline" (retained) when the link drops, and a
   * retained "offline" on a clean stop. */
  const char *availability_topic;
  unsigned reconnect_min_s;     /* 1: first retry delay, doubling ... */
  unsigned reconnect_max_s;     /* 30: ... up to this */
};

struct lk_mqtt_config lk_mqtt_default_config(void);

/* A message on a subscribed topic. payload is not NUL-terminated; it and
 * topic live only during the call. */
typedef void (*lk_mqtt_message_fn)(void *ctx, const char *topic,
                                   const void *payload, size_t len,
                                   int retained);
/* The link came up (up = 1, after the availability message and the
 * subscriptions went out) or went down (up = 0; why says how). */
typedef void (*lk_mqtt_link_fn)(void *ctx, int up, const char *why);

/* Checks the config and copies it; connects nothing. Either callback may
 * be NULL. LK_ERR_INVAL (why says which field), LK_ERR_NOMEM. */
lk_err lk_mqtt_create(struct lk_mqtt **out, const struct lk_mqtt_config *cfg,
                      lk_mqtt_message_fn on_message, lk_mqtt_link_fn on_link,
                      void *ctx, char *why);
/* Subscribe to a topic filter (wildcards + and #), now if connected and
 * again after every reconnect. At most LK_MQTT_MAX_SUBS; LK_ERR_INVAL for
 * a malformed filter. */
lk_err lk_mqtt_subscribe(struct lk_mqtt *m, const char *filter, int qos);
/* Start the network thread and connect; a broker that is not there yet is
 * retried with backoff. LK_ERR_INVAL for a TLS file that cannot be used,
 * LK_ERR_IO when the thread cannot start. */
lk_err lk_mqtt_start(struct lk_mqtt *m, char *why);
/* Queue a message. LK_ERR_IO when not connected, LK_ERR_INVAL for a bad
 * topic, LK_ERR_TOO_LARGE past MQTT's 256 MB. */
lk_err lk_mqtt_publish(struct lk_mqtt *m, const char *topic,
                       const void *payload, size_t len, int qos, int retain);
int lk_mqtt_connected(const struct lk_mqtt *m);

struct lk_mqtt_stats {
  long connects;                /* successful CONNACKs */
  long disconnects;             /* links lost (or refused) */
  long received;                /* messages handed to on_message */
  long published;               /* publishes queued */
  long publish_failed;          /* refused: not connected or bad */
};
void lk_mqtt_stats(const struct lk_mqtt *m, struct lk_mqtt_stats *s);

/* Retained "offline" (when connected), disconnect, join the thread, free.
 * NULL is fine. */
void lk_mqtt_destroy(struct lk_mqtt *m);

/* Whether topic matches filter (MQTT wildcards). */
int lk_mqtt_topic_matches(const char *filter, const char *topic);

#endif
