/* bench/events.c: Frigate event generator for likeness's Double Take
 * service (127.0.0.1 only).
 *
 *   cc -std=c11 -O2 -pthread -o events bench/events.c -lmosquitto
 *   events --mqtt-port P --api-port H [--mode sequential|burst]
 *          [--events N] [--rate R] [--cameras "a b c"] [--topic T]
 *          [--timeout-s S] [--gap-ms MS] [--no-warmup]
 *
 * It connects to the MQTT broker on 127.0.0.1:P, subscribes to
 * double-take/matches/#, and publishes Frigate `new` events on T (default
 * frigate/events), each with a unique Frigate-style id
 * (`<unix time>.<us>-<6 chars>`), the cameras taken in turn. A match
 * message names its event by "id", so each one is paired with its own
 * publish time.
 *
 *   sequential: one event at a time; the next is published --gap-ms
 *               (default 0) after the previous one's match (or unknown)
 *               arrives, or after --timeout-s. Latency: publish to
 *               arrival of double-take/matches/<name>.
 *   burst:      N events back to back (--rate 0, the default), or at a
 *               fixed offered rate R events/s; then it waits until the
 *               server's GET /api/status (on 127.0.0.1:H) says every
 *               event was taken in and processed or dropped.
 *               Throughput: matches received / (last match - first publish).
 *
 * Before measuring, one warm-up event must come back as a match (so the
 * service is subscribed and the person known); its numbers are left out.
 * The server's counters (received, skipped, processed, dropped, failed,
 * matched) are read before and after; the differences are printed.
 *
 * Prints a human-readable summary and, last, one line
 *   RESULT mode=.. events=N rate=R published=.. matched=.. unknown=..
 *          lost=.. received=.. skipped=.. processed=.. dropped=..
 *          failed=.. pub_s=.. elapsed_s=.. eps=.. p50_ms=.. p90_ms=..
 *          p99_ms=.. max_ms=.. srv_p50_ms=..
 * with latency percentiles over the matched events only, and srv_p50_ms
 * the median of the "duration" the service reports in its match messages.
 * Not part of the test run; see bench/README.md ("Double Take events").
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef EVENTS_CFLAGS
#define EVENTS_CFLAGS "unknown"
#endif

#define MAX_EVENTS 100000L
#define MAX_CAMERAS 32
#define MATCH_PREFIX "double-take/matches/"

enum ev_state { EV_WAITING, EV_MATCH, EV_UNKNOWN };

struct ev {
  double t_pub;         /* monotonic seconds */
  double t_done;
  double srv_s;         /* the payload's "duration" */
  int state;            /* enum ev_state */
};

/* The counters of GET /api/status ("events"). */
struct status {
  long received, skipped, processed, dropped, failed, matched;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static struct ev *g_ev;         /* the phase's events */
static long g_n;
static char g_tag[3];           /* the phase's id tag: 2 base-36 chars */
static long g_done;             /* matches + unknowns of the phase */
static long g_matched, g_unknown;
static double g_last_done;
static int g_subscribed;
static int g_connect_rc = -1;

static unsigned short g_api_port;
static const char *g_topic = "frigate/events";
static const char *g_cameras[MAX_CAMERAS];
static int g_n_cameras;

static const char B36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
  struct timespec ts;
  if(s <= 0)
    return;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
  while(nanosleep(&ts, &ts) && errno == EINTR)
    ;
}

static void die(const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "events: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

/* ---- ids -------------------------------------------------------------- */

/* Frigate's id: "<start time>-<6 chars>"; here the 6 chars are the phase
 * tag and the event's index in base 36, so a match names its event. */
static void make_id(char *out, size_t size, const char *tag, long idx)
{
  struct timespec ts;
  char s[7];
  int i;
  clock_gettime(CLOCK_REALTIME, &ts);
  s[0] = tag[0];
  s[1] = tag[1];
  for(i = 5; i >= 2; i--) {
    s[i] = B36[idx % 36];
    idx /= 36;
  }
  s[6] = 0;
  snprintf(out, size, "%lld.%06ld-%s", (long long)ts.tv_sec,
           ts.tv_nsec / 1000, s);
}

static int b36(char c)
{
  const char *p = c ? strchr(B36, c) : NULL;
  return p ? (int)(p - B36) : -1;
}

/* The event index of an id of this phase, or -1. */
static long parse_id(const char *id, size_t len)
{
  const char *dash = memchr(id, '-', len);
  long idx = 0;
  int i, d;
  if(!dash || (size_t)(dash - id) + 7 != len || dash[1] != g_tag[0] ||
     dash[2] != g_tag[1])
    return -1;
  for(i = 3; i < 7; i++) {
    if((d = b36(dash[i])) < 0)
      return -1;
    idx = idx * 36 + d;
  }
  return idx;
}

/* ---- MQTT ------------------------------------------------------------- */

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
  (void)obj;
  pthread_mutex_lock(&g_lock);
  g_connect_rc = rc;
  pthread_cond_broadcast(&g_cond);
  pthread_mutex_unlock(&g_lock);
  if(rc == 0)
    mosquitto_subscribe(m, NULL, MATCH_PREFIX "#", 0);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n,
                         const int *qos)
{
  (void)m;
  (void)obj;
  (void)mid;
  (void)n;
  (void)qos;
  pthread_mutex_lock(&g_lock);
  g_subscribed = 1;
  pthread_cond_broadcast(&g_cond);
  pthread_mutex_unlock(&g_lock);
}

/* double-take/matches/<name> or /unknown: {"id":"..","duration":..,...} */
static void on_message(struct mosquitto *m, void *obj,
                       const struct mosquitto_message *msg)
{
  double t = now_s();
  const char *p = msg->payload, *id, *end, *dur;
  char buf[512];
  size_t len;
  long idx;
  int unknown;
  (void)m;
  (void)obj;
  if(!p || msg->payloadlen <= 0 || strncmp(msg->topic, MATCH_PREFIX,
                                           strlen(MATCH_PREFIX)))
    return;
  /* the id and duration come first; a prefix is enough */
  len = (size_t)msg->payloadlen < sizeof buf - 1 ? (size_t)msg->payloadlen
                                                 : sizeof buf - 1;
  memcpy(buf, p, len);
  buf[len] = 0;
  if(!(id = strstr(buf, "\"id\":\"")))
    return;
  id += 6;
  if(!(end = strchr(id, '"')))
    return;
  unknown = !strcmp(msg->topic + strlen(MATCH_PREFIX), "unknown");
  dur = strstr(end, "\"duration\":");
  pthread_mutex_lock(&g_lock);
  idx = parse_id(id, (size_t)(end - id));
  if(idx >= 0 && idx < g_n && g_ev[idx].state == EV_WAITING) {
    g_ev[idx].state = unknown ? EV_UNKNOWN : EV_MATCH;
    g_ev[idx].t_done = t;
    g_ev[idx].srv_s = dur ? strtod(dur + 11, NULL) : 0;
    g_done++;
    if(unknown)
      g_unknown++;
    else
      g_matched++;
    g_last_done = t;
    pthread_cond_broadcast(&g_cond);
  }
  pthread_mutex_unlock(&g_lock);
}

/* A new phase: n events, a fresh tag. */
static void phase_start(long n)
{
  static int counter;
  pthread_mutex_lock(&g_lock);
  free(g_ev);
  g_ev = calloc((size_t)(n ? n : 1), sizeof *g_ev);
  if(!g_ev)
    die("%s", "out of memory");
  g_n = n;
  g_tag[0] = B36[(getpid() + counter) % 36];
  g_tag[1] = B36[(time(NULL) / 7 + counter * 5) % 36];
  counter++;
  g_done = g_matched = g_unknown = 0;
  g_last_done = 0;
  pthread_mutex_unlock(&g_lock);
}

static int publish(struct mosquitto *m, long idx)
{
  char id[64], json[512];
  const char *cam = g_cameras[idx % g_n_cameras];
  int len, rc;
  make_id(id, sizeof id, g_tag, idx);
  /* Frigate's `new` event (compat-apis.md §5.1), what Double Take reads
   * and a little more */
  len = snprintf(json, sizeof json,
                 "{\"type\":\"new\",\"before\":{},\"after\":{\"id\":\"%s\","
                 "\"camera\":\"%s\",\"frame_time\":%.6f,\"label\":\"person\","
                 "\"sub_label\":null,\"top_score\":0.91,"
                 "\"false_positive\":false,\"start_time\":%.6f,"
                 "\"end_time\":null,\"score\":0.88,\"box\":[432,96,744,854],"
                 "\"area\":236964,\"ratio\":0.41,\"region\":[218,40,893,915],"
                 "\"current_zones\":[],\"entered_zones\":[],"
                 "\"has_snapshot\":true,\"has_clip\":false,\"active\":true,"
                 "\"stationary\":false}}",
                 id, cam, strtod(id, NULL), strtod(id, NULL));
  pthread_mutex_lock(&g_lock);
  g_ev[idx].t_pub = now_s();
  pthread_mutex_unlock(&g_lock);
  rc = mosquitto_publish(m, NULL, g_topic, len, json, 0, false);
  if(rc != MOSQ_ERR_SUCCESS)
    fprintf(stderr, "events: publish: %s\n", mosquitto_strerror(rc));
  return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

/* Wait until event idx is answered or the deadline passes; 1 if answered. */
static int wait_event(long idx, double deadline)
{
  int done;
  pthread_mutex_lock(&g_lock);
  while(g_ev[idx].state == EV_WAITING && now_s() < deadline) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if(ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&g_cond, &g_lock, &ts);
  }
  done = g_ev[idx].state != EV_WAITING;
  pthread_mutex_unlock(&g_lock);
  return done;
}

/* ---- GET /api/status ---------------------------------------------------- */

static long json_long(const char *s, const char *key)
{
  char k[64];
  const char *p;
  snprintf(k, sizeof k, "\"%s\":", key);
  p = strstr(s, k);
  return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static int status_get(struct status *st)
{
  struct sockaddr_in a;
  struct timeval tv = { 5, 0 };
  static const char req[] = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Connection: close\r\n\r\n";
  char buf[8192];
  size_t got = 0;
  ssize_t r;
  const char *ev;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if(fd < 0)
    return -1;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(g_api_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if(connect(fd, (struct sockaddr *)&a, sizeof a) ||
     write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
    close(fd);
    return -1;
  }
  while(got < sizeof buf - 1 && (r = read(fd, buf + got,
                                          sizeof buf - 1 - got)) > 0)
    got += (size_t)r;
  close(fd);
  buf[got] = 0;
  if(strncmp(buf, "HTTP/1.1 200", 12) || !(ev = strstr(buf, "\"events\":")))
    return -1;
  st->received = json_long(ev, "received");
  st->skipped = json_long(ev, "skipped");
  st->processed = json_long(ev, "processed");
  st->dropped = json_long(ev, "dropped");
  st->failed = json_long(ev, "failed");
  st->matched = json_long(ev, "matched");
  return st->processed < 0 || st->dropped < 0 ? -1 : 0;
}

static void status_must(struct status *st)
{
  if(status_get(st))
    die("GET http://127.0.0.1:%u/api/status failed (is it likeness serve "
        "with a Double Take config?)", (unsigned)g_api_port);
}

/* ---- numbers ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
  size_t i;
  if(!n)
    return 0;
  i = (size_t)(p / 100.0 * (double)n + 0.999999);
  if(i < 1)
    i = 1;
  return v[(i > n ? n : i) - 1];
}

/* ---- main ------------------------------------------------------------- */

static void usage(void)
{
  fprintf(stderr,
          "usage: events --mqtt-port P --api-port H [--mode sequential|burst]"
          " [--events N] [--rate R] [--cameras \"a b\"] [--topic T]"
          " [--timeout-s S] [--gap-ms MS] [--no-warmup]\n");
  exit(2);
}

static void split_cameras(char *s)
{
  char *tok, *save = NULL;
  for(tok = strtok_r(s, " ,", &save); tok && g_n_cameras < MAX_CAMERAS;
      tok = strtok_r(NULL, " ,", &save))
    g_cameras[g_n_cameras++] = tok;
}

int main(int argc, char **argv)
{
  int mqtt_port = 0, sequential = 0, warmup = 1, i, rc;
  long n = 0, k, published = 0, lost = 0;
  double rate = 0, timeout_s = 30, gap_s = 0, t0, t1, t_end, pub_s;
  char cams[] = "front_door driveway back_yard garage";
  struct status s0, s1;
  struct mosquitto *m;
  double *lat, *srv;
  size_t n_lat = 0;
  char client_id[64];

  for(i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if(!strcmp(a, "--no-warmup")) {
      warmup = 0;
      continue;
    }
    if(!v)
      usage();
    i++;
    if(!strcmp(a, "--mqtt-port"))
      mqtt_port = atoi(v);
    else if(!strcmp(a, "--api-port"))
      g_api_port = (unsigned short)atoi(v);
    else if(!strcmp(a, "--mode")) {
      if(!strcmp(v, "sequential"))
        sequential = 1;
      else if(strcmp(v, "burst"))
        usage();
    } else if(!strcmp(a, "--events"))
      n = atol(v);
    else if(!strcmp(a, "--rate"))
      rate = atof(v);
    else if(!strcmp(a, "--cameras"))
      split_cameras(argv[i]);
    else if(!strcmp(a, "--topic"))
      g_topic = v;
    else if(!strcmp(a, "--timeout-s"))
      timeout_s = atof(v);
    else if(!strcmp(a, "--gap-ms"))
      gap_s = atof(v) / 1000;
    else
      usage();
  }
  if(mqtt_port <= 0 || mqtt_port > 65535 || !g_api_port || rate < 0 ||
     timeout_s <= 0 || gap_s < 0)
    usage();
  if(!n)
    n = sequential ? 50 : 200;
  if(n < 1 || n > MAX_EVENTS)
    die("--events must be 1..%ld", MAX_EVENTS);
  if(!g_n_cameras)
    split_cameras(cams);

  mosquitto_lib_init();
  snprintf(client_id, sizeof client_id, "likeness-bench-%ld", (long)getpid());
  if(!(m = mosquitto_new(client_id, true, NULL)))
    die("%s", "mosquitto_new failed");
  mosquitto_connect_callback_set(m, on_connect);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  mosquitto_message_callback_set(m, on_message);
  if((rc = mosquitto_connect(m, "127.0.0.1", mqtt_port, 30)) !=
     MOSQ_ERR_SUCCESS)
    die("cannot connect to the broker: %s", mosquitto_strerror(rc));
  if((rc = mosquitto_loop_start(m)) != MOSQ_ERR_SUCCESS)
    die("mosquitto_loop_start: %s", mosquitto_strerror(rc));
  t0 = now_s() + 10;
  pthread_mutex_lock(&g_lock);
  while(!g_subscribed && g_connect_rc <= 0 && now_s() < t0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec++;
    pthread_cond_timedwait(&g_cond, &g_lock, &ts);
  }
  rc = g_subscribed;
  pthread_mutex_unlock(&g_lock);
  if(!rc)
    die("%s", "no MQTT session with the broker (CONNACK/SUBACK) in 10 s");

  /* Warm-up: the service is subscribed, the person is known, the engine
   * has run once. Up to 6 tries, 5 s each. */
  if(warmup) {
    phase_start(1);
    for(i = 0; i < 6; i++) {
      if(publish(m, 0))
        die("%s", "cannot publish the warm-up event");
      if(wait_event(0, now_s() + 5))
        break;
    }
    if(g_ev[0].state != EV_MATCH) {
      if(!status_get(&s0))
        fprintf(stderr, "events: server: received %ld skipped %ld processed "
                "%ld failed %ld matched %ld\n", s0.received, s0.skipped,
                s0.processed, s0.failed, s0.matched);
      die("%s", g_ev[0].state == EV_UNKNOWN
                ? "the warm-up event came back unknown: is the person "
                  "registered, and in the image?"
                : "no match for the warm-up event in 30 s: is the service "
                  "subscribed to frigate/events and Frigate's URL right?");
    }
  }

  /* the warm-up's tail (its sub_label) and any earlier events are done */
  t0 = now_s() + timeout_s;
  for(;;) {
    status_must(&s0);
    if(s0.processed + s0.dropped + s0.skipped >= s0.received ||
       now_s() > t0)
      break;
    sleep_s(0.05);
  }
  phase_start(n);
  t0 = now_s();
  if(sequential) {
    for(k = 0; k < n; k++) {
      if(k)
        sleep_s(gap_s);
      if(!publish(m, k))
        published++;
      if(!wait_event(k, now_s() + timeout_s))
        fprintf(stderr, "events: event %ld (%s): no answer in %.0f s\n", k,
                g_cameras[k % g_n_cameras], timeout_s);
    }
    pub_s = now_s() - t0;
  } else {
    for(k = 0; k < n; k++) {
      if(rate > 0) {
        double due = t0 + (double)k / rate, wait = due - now_s();
        sleep_s(wait);
      }
      if(!publish(m, k))
        published++;
    }
    pub_s = now_s() - t0;
    /* Done when the server took in every event and processed or dropped
     * each, and the matches it counted arrived (or 2 s passed). Give up
     * after timeout_s without progress. */
    {
      double last_change = now_s(), settled = 0;
      long last_seen = -1;
      for(;;) {
        long done, matched;
        int st_ok;
        sleep_s(0.1);
        st_ok = !status_get(&s1);
        pthread_mutex_lock(&g_lock);
        done = g_done;
        matched = g_matched;
        pthread_mutex_unlock(&g_lock);
        if(st_ok && s1.processed + s1.dropped + s1.skipped + done !=
                    last_seen) {
          last_seen = s1.processed + s1.dropped + s1.skipped + done;
          last_change = now_s();
        }
        if(st_ok && s1.received - s0.received >= published &&
           (s1.processed - s0.processed) + (s1.dropped - s0.dropped) +
           (s1.skipped - s0.skipped) >= s1.received - s0.received) {
          if(matched >= s1.matched - s0.matched)
            break;
          if(!settled)
            settled = now_s();
          else if(now_s() - settled > 2)
            break;
        }
        if(now_s() - last_change > timeout_s) {
          fprintf(stderr, "events: no progress in %.0f s, giving up\n",
                  timeout_s);
          break;
        }
      }
    }
  }
  t1 = now_s();
  status_must(&s1);

  pthread_mutex_lock(&g_lock);
  lat = calloc((size_t)n, sizeof *lat);
  srv = calloc((size_t)n, sizeof *srv);
  if(!lat || !srv)
    die("%s", "out of memory");
  for(k = 0; k < n; k++) {
    if(g_ev[k].state == EV_MATCH) {
      lat[n_lat] = (g_ev[k].t_done - g_ev[k].t_pub) * 1000;
      srv[n_lat++] = g_ev[k].srv_s * 1000;
    } else if(g_ev[k].state == EV_WAITING) {
      lost++;
    }
  }
  t_end = g_matched ? g_last_done : t1;
  pthread_mutex_unlock(&g_lock);
  qsort(lat, n_lat, sizeof *lat, cmp_double);
  qsort(srv, n_lat, sizeof *srv, cmp_double);

  {
    double elapsed = t_end - t0, eps = elapsed > 0 ? (double)g_matched / elapsed
                                                   : 0;
    const char *mode = sequential ? "sequential" : "burst";
    printf("events: %s, %ld events on %s over %d cameras", mode, n, g_topic,
           g_n_cameras);
    if(!sequential)
      printf(rate > 0 ? ", offered %.1f/s" : ", back to back", rate);
    printf("; published in %.2f s\n", pub_s);
    printf("events: matched %ld, unknown %ld, no answer %ld; server: received"
           " %ld, skipped %ld, processed %ld, dropped %ld, failed %ld\n",
           g_matched, g_unknown, lost, s1.received - s0.received,
           s1.skipped - s0.skipped, s1.processed - s0.processed,
           s1.dropped - s0.dropped, s1.failed - s0.failed);
    printf("events: %.2f matches/s over %.2f s (first publish to last match)"
           "\n", eps, elapsed);
    printf("events: publish -> match ms: p50 %.1f  p90 %.1f  p99 %.1f  max "
           "%.1f; service's own duration p50 %.0f ms\n", pct(lat, n_lat, 50),
           pct(lat, n_lat, 90), pct(lat, n_lat, 99), pct(lat, n_lat, 100),
           pct(srv, n_lat, 50));
    printf("events: built %s, cc %s, libmosquitto %d.%d.%d\n", EVENTS_CFLAGS,
           __VERSION__, LIBMOSQUITTO_MAJOR, LIBMOSQUITTO_MINOR,
           LIBMOSQUITTO_REVISION);
    printf("RESULT mode=%s events=%ld rate=%g published=%ld matched=%ld "
           "unknown=%ld lost=%ld received=%ld skipped=%ld processed=%ld "
           "dropped=%ld failed=%ld pub_s=%.3f elapsed_s=%.3f eps=%.2f "
           "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f srv_p50_ms=%.0f"
           "\n", mode, n, sequential ? 0 : rate, published, g_matched,
           g_unknown, lost, s1.received - s0.received,
           s1.skipped - s0.skipped, s1.processed - s0.processed,
           s1.dropped - s0.dropped, s1.failed - s0.failed, pub_s, elapsed,
           eps, pct(lat, n_lat, 50), pct(lat, n_lat, 90),
           pct(lat, n_lat, 99), pct(lat, n_lat, 100), pct(srv, n_lat, 50));
  }
  fflush(stdout);
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, false);
  mosquitto_destroy(m);
  mosquitto_lib_cleanup();
  free(lat);
  free(srv);
  free(g_ev);
  return 0;
}
