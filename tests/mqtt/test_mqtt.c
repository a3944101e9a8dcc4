/* test_mqtt.c - the MQTT client against a real mosquitto broker: publish
 * and subscribe (wildcards, binary payloads, retained), availability
 * (retained online, the will when a client dies, offline on a clean stop),
 * a broker that starts late, a broker restart (reconnect, resubscribe,
 * online again), credentials refused and accepted, and bad arguments. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "base/mem.h"
#include "mqtt/mqtt.h"
#include "test.h"

#define AVAIL "lk-test/available"

/* What a client saw: messages (topic and payload as text) and links. */
struct seen {
  pthread_mutex_t lock;
  char topics[64][96];
  char payloads[64][64];
  int retained[64];
  int n;
  int ups, downs;
  char last_why[128];
};

static void seen_init(struct seen *s)
{
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
}

static void on_message(void *ctx, const char *topic, const void *payload,
                       size_t len, int retained)
{
  struct seen *s = ctx;
  pthread_mutex_lock(&s->lock);
  if(s->n < 64) {
    snprintf(s->topics[s->n], sizeof s->topics[0], "%s", topic);
    snprintf(s->payloads[s->n], sizeof s->payloads[0], "%.*s",
             (int)(len < 63 ? len : 63), (const char *)payload);
    s->retained[s->n++] = retained;
  }
  pthread_mutex_unlock(&s->lock);
}

static void on_link(void *ctx, int up, const char *why)
{
  struct seen *s = ctx;
  pthread_mutex_lock(&s->lock);
  if(up)
    s->ups++;
  else
    s->downs++;
  snprintf(s->last_why, sizeof s->last_why, "%s", why);
  pthread_mutex_unlock(&s->lock);
}

/* Index of the first message on topic with payload (NULL: any) at or
 * after `from`, waiting up to 5 s; -1 if none came. */
static int wait_msg(struct seen *s, int from, const char *topic,
                    const char *payload)
{
  int t, i;
  for(t = 0; t < 500; t++) {
    pthread_mutex_lock(&s->lock);
    for(i = from; i < s->n; i++) {
      if(!strcmp(s->topics[i], topic) &&
         (!payload || !strcmp(s->payloads[i], payload))) {
        pthread_mutex_unlock(&s->lock);
        return i;
      }
    }
    pthread_mutex_unlock(&s->lock);
    broker_sleep_ms(10);
  }
  return -1;
}

static int wait_connected(struct lk_mqtt *m, int want, int ms)
{
  int t;
  for(t = 0; t < ms / 10; t++) {
    if(lk_mqtt_connected(m) == want)
      return 1;
    broker_sleep_ms(10);
  }
  return lk_mqtt_connected(m) == want;
}

static struct broker broker;

static struct lk_mqtt *client(struct seen *s, const char *avail,
                              const char *user, const char *pass)
{
  struct lk_mqtt_config c = lk_mqtt_default_config();
  struct lk_mqtt *m = NULL;
  char why[LK_MQTT_ERRMAX] = "";
  c.host = "127.0.0.1";
  c.port = broker.port;
  c.availability_topic = avail;
  c.username = user;
  c.password = pass;
  c.reconnect_max_s = 1;
  CHECK_MSG(lk_mqtt_create(&m, &c, on_message, on_link, s, why) == LK_OK,
            "%s", why);
  return m;
}

static void test_pub_sub(void)
{
  struct seen a, b;
  struct lk_mqtt *ma, *mb;
  unsigned char bin[5] = { 'x', 0, 'y', 0xff, 'z' };
  int i;

  seen_init(&a);
  seen_init(&b);
  ma = client(&a, AVAIL, NULL, NULL);
  mb = client(&b, NULL, NULL, NULL);
  CHECK(lk_mqtt_subscribe(mb, "lk-test/+/person", 0) == LK_OK);
  CHECK(lk_mqtt_subscribe(mb, "lk-test/events/#", 1) == LK_OK);
  CHECK(lk_mqtt_subscribe(mb, AVAIL, 1) == LK_OK);
  CHECK(lk_mqtt_start(mb, NULL) == LK_OK);
  CHECK(wait_connected(mb, 1, 5000));
  CHECK(lk_mqtt_publish(ma, "lk-test/x", "1", 1, 0, 0) == LK_ERR_IO);
  CHECK(lk_mqtt_start(ma, NULL) == LK_OK);
  CHECK(wait_connected(ma, 1, 5000));
  /* availability: online, retained for those who come later */
  CHECK(wait_msg(&b, 0, AVAIL, "online") >= 0);
  CHECK(lk_mqtt_publish(ma, "lk-test/front/person", "2", 1, 0, 0) == LK_OK);
  CHECK(lk_mqtt_publish(ma, "lk-test/events/a/b", bin, sizeof bin, 1, 0) ==
        LK_OK);
  CHECK(lk_mqtt_publish(ma, "lk-test/other", "3", 1, 0, 0) == LK_OK);
  CHECK(lk_mqtt_publish(ma, "lk-test/front/person", "", 0, 0, 0) == LK_OK);
  CHECK(lk_mqtt_publish(ma, "bad/+/topic", "4", 1, 0, 0) == LK_ERR_INVAL);
  CHECK(wait_msg(&b, 0, "lk-test/front/person", "2") >= 0);
  i = wait_msg(&b, 0, "lk-test/events/a/b", NULL);
  CHECK(i >= 0 && !memcmp(b.payloads[i], "x", 2));    /* cut at the NUL */
  CHECK(wait_msg(&b, 0, "lk-test/front/person", "") >= 0);
  broker_sleep_ms(100);
  CHECK(wait_msg(&b, 0, "lk-test/other", NULL) < 0);  /* not subscribed */

  /* a late subscriber gets the retained online */
  {
    struct seen c;
    struct lk_mqtt *mc;
    seen_init(&c);
    mc = client(&c, NULL, NULL, NULL);
    CHECK(lk_mqtt_subscribe(mc, AVAIL, 0) == LK_OK);
    CHECK(lk_mqtt_start(mc, NULL) == LK_OK);
    i = wait_msg(&c, 0, AVAIL, "online");
    CHECK(i >= 0 && c.retained[i]);
    lk_mqtt_destroy(mc);
  }
  /* a clean stop says offline, retained */
  lk_mqtt_destroy(ma);
  CHECK(wait_msg(&b, 0, AVAIL, "offline") >= 0);
  {
    struct lk_mqtt_stats st;
    lk_mqtt_stats(mb, &st);
    CHECK(st.connects == 1 && st.received >= 5 && st.publish_failed == 0);
  }
  lk_mqtt_destroy(mb);
}

/* A client process that dies without a DISCONNECT: the broker publishes
 * its will, "offline". */
static void test_will(void)
{
  struct seen b;
  struct lk_mqtt *mb;
  pid_t pid;
  int at;

  seen_init(&b);
  mb = client(&b, NULL, NULL, NULL);
  CHECK(lk_mqtt_subscribe(mb, AVAIL "/dying", 1) == LK_OK);
  CHECK(lk_mqtt_start(mb, NULL) == LK_OK);
  CHECK(wait_connected(mb, 1, 5000));
  pid = fork();
  if(pid == 0) {
    struct seen d;
    struct lk_mqtt *md;
    seen_init(&d);
    md = client(&d, AVAIL "/dying", NULL, NULL);
    if(md && !lk_mqtt_start(md, NULL) && wait_connected(md, 1, 5000))
      broker_sleep_ms(300);
    _exit(0);              /* no destroy: the socket just closes */
  }
  at = wait_msg(&b, 0, AVAIL "/dying", "online");
  CHECK(at >= 0);
  CHECK(wait_msg(&b, at + 1, AVAIL "/dying", "offline") >= 0);
  waitpid(pid, NULL, 0);
  lk_mqtt_destroy(mb);
}

/* Started before the broker, through a broker restart: connects when it
 * comes, reconnects after, subscribes again, says online again. */
static void test_reconnect(void)
{
  struct seen a, b;
  struct lk_mqtt *ma, *mb;
  struct lk_mqtt_stats st;
  int at;

  broker_stop(&broker, SIGKILL);
  seen_init(&a);
  seen_init(&b);
  ma = client(&a, AVAIL "/r", NULL, NULL);
  mb = client(&b, NULL, NULL, NULL);
  CHECK(lk_mqtt_subscribe(mb, "lk-test/r/#", 0) == LK_OK);
  CHECK(lk_mqtt_subscribe(mb, AVAIL "/r", 0) == LK_OK);
  CHECK(lk_mqtt_start(ma, NULL) == LK_OK);
  CHECK(lk_mqtt_start(mb, NULL) == LK_OK);
  broker_sleep_ms(300);
  CHECK(!lk_mqtt_connected(ma));
  CHECK(broker_start(&broker, NULL) == 0);
  CHECK(wait_connected(ma, 1, 8000) && wait_connected(mb, 1, 8000));
  at = wait_msg(&b, 0, AVAIL "/r", "online");
  CHECK(at >= 0 || lk_mqtt_connected(mb));

  broker_stop(&broker, SIGKILL);
  CHECK(wait_connected(ma, 0, 5000));
  CHECK(lk_mqtt_publish(ma, "lk-test/r/x", "lost", 4, 0, 0) == LK_ERR_IO);
  CHECK(broker_start(&broker, NULL) == 0);
  CHECK(wait_connected(ma, 1, 8000) && wait_connected(mb, 1, 8000));
  broker_sleep_ms(200);        /* the resubscription's SUBACK */
  CHECK(lk_mqtt_publish(ma, "lk-test/r/x", "after", 5, 1, 0) == LK_OK);
  CHECK(wait_msg(&b, 0, "lk-test/r/x", "after") >= 0);
  CHECK(wait_msg(&b, 0, "lk-test/r/x", "lost") < 0);
  lk_mqtt_stats(ma, &st);
  CHECK_MSG(st.connects == 2 && st.disconnects >= 1 && st.publish_failed == 1,
            "connects %ld disconnects %ld failed %ld", st.connects,
            st.disconnects, st.publish_failed);
  CHECK(a.ups == 2 && a.downs >= 1);
  lk_mqtt_destroy(ma);
  lk_mqtt_destroy(mb);
}

static void test_credentials(void)
{
  struct seen a, b;
  struct lk_mqtt *ma, *mb;

  broker_stop(&broker, SIGTERM);
  CHECK(broker_start(&broker, "frigate:s3cret") == 0);
  seen_init(&a);
  seen_init(&b);
  ma = client(&a, NULL, "frigate", "wrong");
  mb = client(&b, NULL, "frigate", "s3cret");
  CHECK(lk_mqtt_start(ma, NULL) == LK_OK && lk_mqtt_start(mb, NULL) == LK_OK);
  CHECK(wait_connected(mb, 1, 5000));
  broker_sleep_ms(500);
  CHECK(!lk_mqtt_connected(ma));
  pthread_mutex_lock(&a.lock);
  CHECK_MSG(a.downs >= 1 && strstr(a.last_why, "authori") != NULL,
            "downs %d why '%s'", a.downs, a.last_why);
  pthread_mutex_unlock(&a.lock);
  lk_mqtt_destroy(ma);     /* refused and retrying: still stops cleanly */
  lk_mqtt_destroy(mb);
  broker_stop(&broker, SIGTERM);
  CHECK(broker_start(&broker, NULL) == 0);
}

static void test_bad_arguments(void)
{
  struct lk_mqtt_config c = lk_mqtt_default_config();
  struct lk_mqtt *m = NULL;
  char why[LK_MQTT_ERRMAX];

  c.port = 0;
  CHECK(lk_mqtt_create(&m, &c, NULL, NULL, NULL, why) == LK_ERR_INVAL);
  CHECK(strstr(why, "port") != NULL && m == NULL);
  c = lk_mqtt_default_config();
  c.availability_topic = "a/#";
  CHECK(lk_mqtt_create(&m, &c, NULL, NULL, NULL, why) == LK_ERR_INVAL);
  c = lk_mqtt_default_config();
  c.password = "x";
  CHECK(lk_mqtt_create(&m, &c, NULL, NULL, NULL, why) == LK_ERR_INVAL);
  c = lk_mqtt_default_config();
  c.ca_file = "/nonexistent/ca.pem";
  CHECK(lk_mqtt_create(&m, &c, NULL, NULL, NULL, why) == LK_OK);
  CHECK(lk_mqtt_subscribe(m, "a/#/b", 0) == LK_ERR_INVAL);
  CHECK(lk_mqtt_subscribe(m, "a/+", 3) == LK_ERR_INVAL);
  CHECK(lk_mqtt_start(m, why) == LK_ERR_INVAL);
  lk_mqtt_destroy(m);
  CHECK(lk_mqtt_topic_matches("frigate/+/person/snapshot",
                              "frigate/front/person/snapshot"));
  CHECK(!lk_mqtt_topic_matches("frigate/+/person", "frigate/a/b/person"));
  CHECK(lk_mqtt_topic_matches("double-take/#", "double-take/matches/ada"));
}

int main(void)
{
  size_t mem0 = lk_mem_in_use();
  int rc;
  signal(SIGPIPE, SIG_IGN);
  if(broker_start(&broker, NULL)) {
    fprintf(stderr, "cannot start mosquitto (%s)\n", broker_binary());
    broker_cleanup(&broker);
    return 1;
  }
  RUN(test_bad_arguments);
  RUN(test_pub_sub);
  RUN(test_will);
  RUN(test_reconnect);
  RUN(test_credentials);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes still allocated",
            lk_mem_in_use() - mem0);
  broker_cleanup(&broker);
  rc = test_report();
  return rc;
}
