/* test_mqtt_tls.c - the MQTT client over TLS against a real mosquitto with
 * a TLS listener, on certificates made for the run by the openssl tool (a
 * throwaway CA, a server certificate for 127.0.0.1, one for another name,
 * client certificates from the CA and from a stranger CA): a round trip
 * with the CA, a wrong CA and a wrong name refused (and let through by
 * tls_insecure, as Double Take's reject_unauthorized: false), mutual TLS
 * with and without a client certificate, and missing files. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "broker.h"
#include "mqtt/mqtt.h"
#include "test.h"

static char certs[] = "/tmp/lk_tls_XXXXXX";
static struct broker broker;
static char listener[1024];

/* ---- certificates ----------------------------------------------------- */

static const char openssl_cnf[] =
  "[req]\ndistinguished_name = dn\nprompt = no\n"
  "[dn]\nCN = likeness test\n"
  "[ca]\nbasicConstraints = critical,CA:TRUE\n"
  "keyUsage = critical,keyCertSign,cRLSign\n"
  "subjectKeyIdentifier = hash\n"
  "[server]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n"
  "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
  "[elsewhere]\nbasicConstraints = CA:FALSE\n"
  "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:broker.example\n"
  "[client]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\n";

/* ca: the test CA; other: a CA nobody trusts; server: 127.0.0.1 from ca;
 * elsewhere: broker.example from ca; client: from ca; stranger: from
 * other. EC P-256 keys, valid two days. */
static const char make_certs[] =
  "set -e; cd '%s'\n"
  "key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
  "ca() { openssl req -x509 -config openssl.cnf -extensions ca $key "
  "-days 2 -subj \"/CN=$2\" -keyout $1.key -out $1.crt; }\n"
  "leaf() { openssl req -new -config openssl.cnf $key -subj \"/CN=$1\" "
  "-keyout $1.key -out $1.csr && openssl x509 -req -in $1.csr "
  "-CA $2.crt -CAkey $2.key -CAcreateserial -days 2 "
  "-extfile openssl.cnf -extensions $3 -out $1.crt; }\n"
  "ca ca 'likeness test CA'\nca other 'another CA'\n"
  "leaf server ca server\nleaf elsewhere ca elsewhere\n"
  "leaf client ca client\nleaf stranger other client\n";

static int certs_make(void)
{
  char path[256], cmd[2048];
  FILE *f;
  if(system("command -v openssl >/dev/null 2>&1") != 0) {
    fprintf(stderr, "the openssl tool is needed (tools/setup-debian.sh)\n");
    return -1;
  }
  if(!mkdtemp(certs))
    return -1;
  snprintf(path, sizeof path, "%s/openssl.cnf", certs);
  if(!(f = fopen(path, "w")))
    return -1;
  fputs(openssl_cnf, f);
  fclose(f);
  snprintf(path, sizeof path, "%s/make.sh", certs);
  if(!(f = fopen(path, "w")))
    return -1;
  fprintf(f, make_certs, certs);
  fclose(f);
  snprintf(cmd, sizeof cmd, "sh '%s' > '%s/make.log' 2>&1", path, certs);
  if(system(cmd) != 0) {
    fprintf(stderr, "making certificates failed: see %s/make.log\n", certs);
    return -1;
  }
  return 0;
}

/* certs/name, in one of four rotating buffers */
static const char *cert(const char *name)
{
  static char buf[4][128];
  static int i;
  char *p = buf[i++ % 4];
  snprintf(p, sizeof buf[0], "%s/%s", certs, name);
  return p;
}

/* Restart the broker with a TLS listener presenting server (a name in
 * certs), asking clients for a certificate from ca.crt when mutual. */
static int broker_tls(const char *server, int mutual)
{
  broker_stop(&broker, SIGTERM);
  snprintf(listener, sizeof listener,
           "cafile %s/ca.crt\ncertfile %s/%s.crt\nkeyfile %s/%s.key\n"
           "require_certificate %s\n", certs, certs, server, certs, server,
           mutual ? "true" : "false");
  broker.listener_conf = listener;
  return broker_start(&broker, NULL);
}

/* ---- clients ---------------------------------------------------------- */

struct seen {
  pthread_mutex_t lock;
  char topic[96], payload[64];
  int n, ups, downs;
};

static void on_message(void *ctx, const char *topic, const void *payload,
                       size_t len, int retained)
{
  struct seen *s = ctx;
  (void)retained;
  pthread_mutex_lock(&s->lock);
  snprintf(s->topic, sizeof s->topic, "%s", topic);
  snprintf(s->payload, sizeof s->payload, "%.*s",
           (int)(len < 63 ? len : 63), (const char *)payload);
  s->n++;
  pthread_mutex_unlock(&s->lock);
}

static void on_link(void *ctx, int up, const char *why)
{
  struct seen *s = ctx;
  (void)why;
  pthread_mutex_lock(&s->lock);
  if(up)
    s->ups++;
  else
    s->downs++;
  pthread_mutex_unlock(&s->lock);
}

static int wait_connected(struct lk_mqtt *m, int ms)
{
  int t;
  for(t = 0; t < ms / 10 && !lk_mqtt_connected(m); t++)
    broker_sleep_ms(10);
  return lk_mqtt_connected(m);
}

static int wait_message(struct seen *s, const char *topic,
                        const char *payload)
{
  int t, ok = 0;
  for(t = 0; t < 500 && !ok; t++) {
    pthread_mutex_lock(&s->lock);
    ok = s->n && !strcmp(s->topic, topic) && !strcmp(s->payload, payload);
    pthread_mutex_unlock(&s->lock);
    if(!ok)
      broker_sleep_ms(10);
  }
  return ok;
}

/* A TLS client: ca (a name in certs, or NULL), client certificate and key
 * (a name, or NULL), insecure. Not started. */
static struct lk_mqtt *client(struct seen *s, const char *ca,
                              const char *crt, int insecure)
{
  struct lk_mqtt_config c = lk_mqtt_default_config();
  struct lk_mqtt *m = NULL;
  char why[LK_MQTT_ERRMAX] = "", cbuf[128], kbuf[128];
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  c.host = "127.0.0.1";
  c.port = broker.port;
  c.reconnect_max_s = 1;
  c.ca_file = ca ? cert(ca) : NULL;
  if(crt) {
    snprintf(cbuf, sizeof cbuf, "%s/%s.crt", certs, crt);
    snprintf(kbuf, sizeof kbuf, "%s/%s.key", certs, crt);
    c.cert_file = cbuf;
    c.key_file = kbuf;
  }
  c.tls_insecure = insecure;
  CHECK_MSG(lk_mqtt_create(&m, &c, on_message, on_link, s, why) == LK_OK,
            "%s", why);
  return m;
}

/* Started, it never gets a CONNACK: no link up, publishes refused, and it
 * stops cleanly while retrying. */
static void expect_refused(struct lk_mqtt *m, struct seen *s,
                           const char *what)
{
  struct lk_mqtt_stats st;
  char why[LK_MQTT_ERRMAX] = "";
  lk_err err = lk_mqtt_start(m, why);
  /* the handshake may fail at once (start says so) or on the loop */
  CHECK_MSG(err == LK_OK || err == LK_ERR_INVAL, "%s: %s", what, why);
  broker_sleep_ms(1500);
  CHECK_MSG(!lk_mqtt_connected(m), "%s: connected", what);
  CHECK(lk_mqtt_publish(m, "lk-test/tls", "x", 1, 0, 0) == LK_ERR_IO);
  lk_mqtt_stats(m, &st);
  CHECK_MSG(st.connects == 0, "%s: %ld connects", what, st.connects);
  pthread_mutex_lock(&s->lock);
  CHECK(s->ups == 0);
  pthread_mutex_unlock(&s->lock);
  lk_mqtt_destroy(m);
}

/* Started, it connects and a message goes through the broker to sub. */
static void expect_round_trip(struct lk_mqtt *m, const char *what)
{
  struct seen b;
  /* the receiver trusts any broker: only m's checks are under test */
  struct lk_mqtt *sub = client(&b, "ca.crt", NULL, 1);
  char why[LK_MQTT_ERRMAX] = "";
  CHECK(sub && lk_mqtt_subscribe(sub, "lk-test/tls/#", 1) == LK_OK);
  CHECK_MSG(lk_mqtt_start(m, why) == LK_OK, "%s: %s", what, why);
  CHECK(sub && lk_mqtt_start(sub, NULL) == LK_OK && wait_connected(sub,
                                                                    5000));
  CHECK_MSG(wait_connected(m, 5000), "%s: not connected", what);
  if(sub && lk_mqtt_connected(sub)) {
    broker_sleep_ms(200);                 /* the SUBACK */
    CHECK(lk_mqtt_publish(m, "lk-test/tls/a", what, strlen(what), 1, 0) ==
          LK_OK);
    CHECK_MSG(wait_message(&b, "lk-test/tls/a", what), "%s: no message",
              what);
  }
  lk_mqtt_destroy(m);
  lk_mqtt_destroy(sub);
}

/* ---- cases ------------------------------------------------------------ */

static void test_ca(void)
{
  struct seen a;
  CHECK(broker_tls("server", 0) == 0);
  expect_round_trip(client(&a, "ca.crt", NULL, 0), "with the CA");
  /* a client certificate the broker does not ask for is fine */
  expect_round_trip(client(&a, "ca.crt", "client", 0), "with a cert");
}

static void test_wrong_ca(void)
{
  struct seen a;
  struct lk_mqtt *m = client(&a, "other.crt", NULL, 0);
  expect_refused(m, &a, "wrong CA");
  /* reject_unauthorized: false (Node's rejectUnauthorized) trusts any
   * certificate */
  expect_round_trip(client(&a, "other.crt", NULL, 1), "wrong CA, insecure");
}

static void test_wrong_name(void)
{
  struct seen a;
  struct lk_mqtt *m;
  CHECK(broker_tls("elsewhere", 0) == 0);    /* broker.example's cert */
  m = client(&a, "ca.crt", NULL, 0);
  expect_refused(m, &a, "wrong name");
  expect_round_trip(client(&a, "ca.crt", NULL, 1), "wrong name, insecure");
}

static void test_mutual(void)
{
  struct seen a, b;
  struct lk_mqtt *sub;
  CHECK(broker_tls("server", 1) == 0);
  expect_refused(client(&a, "ca.crt", NULL, 0), &a, "no client cert");
  expect_refused(client(&a, "ca.crt", "stranger", 0), &a,
                 "untrusted client cert");
  /* the subscriber needs a certificate too */
  sub = client(&b, "ca.crt", "client", 0);
  CHECK(sub && lk_mqtt_subscribe(sub, "lk-test/tls/#", 1) == LK_OK &&
        lk_mqtt_start(sub, NULL) == LK_OK && wait_connected(sub, 5000));
  {
    struct lk_mqtt *m = client(&a, "ca.crt", "client", 0);
    CHECK(m && lk_mqtt_start(m, NULL) == LK_OK && wait_connected(m, 5000));
    broker_sleep_ms(200);
    CHECK(lk_mqtt_publish(m, "lk-test/tls/m", "mutual", 6, 1, 0) == LK_OK);
    CHECK(wait_message(&b, "lk-test/tls/m", "mutual"));
    lk_mqtt_destroy(m);
  }
  lk_mqtt_destroy(sub);
}

static void test_files(void)
{
  struct lk_mqtt *m;
  char why[LK_MQTT_ERRMAX] = "";
  /* a key that is not there, a certificate without its key */
  {
    struct lk_mqtt_config c = lk_mqtt_default_config();
    c.port = broker.port;
    c.ca_file = cert("ca.crt");
    c.cert_file = cert("client.crt");
    c.key_file = cert("missing.key");
    CHECK(lk_mqtt_create(&m, &c, NULL, NULL, NULL, why) == LK_OK);
    CHECK(lk_mqtt_start(m, why) == LK_ERR_INVAL && strstr(why, "TLS"));
    lk_mqtt_destroy(m);
    c.key_file = NULL;
    CHECK(lk_mqtt_create(&m, &c, NULL, NULL, NULL, why) == LK_OK);
    CHECK(lk_mqtt_start(m, why) == LK_ERR_INVAL);
    lk_mqtt_destroy(m);
  }
}

int main(void)
{
  size_t mem0 = lk_mem_in_use();
  char cmd[128];
  int rc;
  signal(SIGPIPE, SIG_IGN);
  if(certs_make() || broker_tls("server", 0)) {
    fprintf(stderr, "cannot start mosquitto with TLS (%s)\n",
            broker_binary());
    broker_cleanup(&broker);
    return 1;
  }
  RUN(test_ca);
  RUN(test_wrong_ca);
  RUN(test_wrong_name);
  RUN(test_mutual);
  RUN(test_files);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes still allocated",
            lk_mem_in_use() - mem0);
  broker_cleanup(&broker);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", certs);
  if(system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", certs);
  rc = test_report();
  return rc;
}
