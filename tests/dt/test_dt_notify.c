/* test_dt_notify.c - Double Take's notifications against a fake Gotify and
 * a fake Telegram Bot API on 127.0.0.1 (our own HTTP layer, which parses
 * the JSON and multipart bodies as a real server would): the text, the
 * Gotify JSON with its inline image, Telegram's sendPhoto form, the
 * filters (cameras, zones, only_unknown, types), a notifier that refuses,
 * is down or hangs, and the image read back from a real matches store. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dt/dt_notify.h"
#include "dt_test.h"
#include "fetch/fetch.h"
#include "http/api.h"
#include "http/http.h"
#include "matches_fixture.h"

/* ---- the fake notifiers ----------------------------------------------- */

#define SEEN_MAX 8

/* One request as it arrived. Copies are malloc'd (not lk_malloc), so the
 * leak count sees only the code under test. */
struct seen {
  char path[256];
  char token[256];              /* Gotify's ?token=, Telegram's path one */
  char type[160];               /* Content-Type */
  char *json;                   /* a JSON body */
  char chat_id[64], caption[2048];
  char photo_name[64], photo_type[64];
  unsigned char *photo;
  size_t photo_len;
};

static struct {
  struct lk_http_server *srv;
  char url[64];
  pthread_mutex_t lock;
  struct seen seen[SEEN_MAX];
  int n;
  int gotify_status, telegram_status;  /* 0: 200 */
  unsigned gotify_delay_ms;
} fake;

static void sleep_ms(unsigned ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static void fake_reset(void)
{
  int i;
  pthread_mutex_lock(&fake.lock);
  for(i = 0; i < fake.n; i++) {
    free(fake.seen[i].json);
    free(fake.seen[i].photo);
  }
  memset(fake.seen, 0, sizeof fake.seen);
  fake.n = 0;
  fake.gotify_status = fake.telegram_status = 0;
  fake.gotify_delay_ms = 0;
  pthread_mutex_unlock(&fake.lock);
}

static int fake_count(void)
{
  int n;
  pthread_mutex_lock(&fake.lock);
  n = fake.n;
  pthread_mutex_unlock(&fake.lock);
  return n;
}

static const struct seen *fake_find(const char *suffix)
{
  int i;
  for(i = 0; i < fake.n; i++) {
    size_t a = strlen(fake.seen[i].path), b = strlen(suffix);
    if(a >= b && !strcmp(fake.seen[i].path + a - b, suffix))
      return &fake.seen[i];
  }
  return NULL;
}

static void copy_text(char *out, size_t size, const char *s)
{
  snprintf(out, size, "%s", s ? s : "");
}

static void fake_record(struct lk_http_req *req, const char *token)
{
  const struct lk_http_part *p;
  const unsigned char *body;
  struct seen *s;
  size_t n = 0;
  pthread_mutex_lock(&fake.lock);
  if(fake.n == SEEN_MAX) {
    pthread_mutex_unlock(&fake.lock);
    return;
  }
  s = &fake.seen[fake.n++];
  copy_text(s->path, sizeof s->path, lk_http_req_path(req));
  copy_text(s->token, sizeof s->token, token);
  copy_text(s->type, sizeof s->type, lk_http_req_content_type(req));
  body = lk_http_req_body(req, &n);
  if(body && lk_http_req_body_kind(req) == LK_HTTP_BODY_JSON)
    s->json = strndup((const char *)body, n);
  copy_text(s->chat_id, sizeof s->chat_id, lk_http_req_form(req, "chat_id"));
  copy_text(s->caption, sizeof s->caption, lk_http_req_form(req, "caption"));
  p = lk_http_req_part(req, "photo");
  if(p && (s->photo = malloc(p->size + 1))) {
    memcpy(s->photo, p->data, p->size);
    s->photo_len = p->size;
    copy_text(s->photo_name, sizeof s->photo_name, p->filename);
    copy_text(s->photo_type, sizeof s->photo_type, p->content_type);
  }
  pthread_mutex_unlock(&fake.lock);
}

/* Gotify's answers: the message, or 401 with its error shape. */
static lk_err fake_gotify(struct lk_http_req *req, struct lk_http_resp *resp,
                          void *ctx)
{
  int status = fake.gotify_status;
  cJSON *o = cJSON_CreateObject();
  (void)ctx;
  if(fake.gotify_delay_ms)
    sleep_ms(fake.gotify_delay_ms);
  fake_record(req, lk_http_req_query(req, "token"));
  if(status) {
    cJSON_AddStringToObject(o, "error", "Unauthorized");
    cJSON_AddNumberToObject(o, "errorCode", status);
    cJSON_AddStringToObject(o, "errorDescription", "invalid token");
    return lk_http_resp_json(resp, status, o);
  }
  cJSON_AddNumberToObject(o, "id", 1);
  return lk_http_resp_json(resp, 200, o);
}

/* The Bot API's answers: {"ok":true,...} or {"ok":false,"description"}. */
static lk_err fake_telegram(struct lk_http_req *req,
                            struct lk_http_resp *resp, void *ctx)
{
  int status = fake.telegram_status;
  cJSON *o = cJSON_CreateObject();
  (void)ctx;
  fake_record(req, lk_http_req_param(req, "token"));
  cJSON_AddBoolToObject(o, "ok", !status);
  if(status)
    cJSON_AddStringToObject(o, "description", "Bad Request: chat not found");
  return lk_http_resp_json(resp, status ? status : 200, o);
}

static int fake_start(void)
{
  struct lk_http_config cfg = lk_http_config_default();
  struct lk_http_route routes[] = {
    { "POST", "/gotify/message", fake_gotify, NULL, 0, NULL },
    { "POST", "/bot{token}/sendPhoto", fake_telegram, NULL, 0, NULL },
    { "POST", "/bot{token}/sendMessage", fake_telegram, NULL, 0, NULL },
  };
  pthread_mutex_init(&fake.lock, NULL);
  cfg.bind = "127.0.0.1";
  cfg.port = 0;
  cfg.heavy_max = 0;
  if(lk_http_server_create(&fake.srv, &cfg, routes,
                           sizeof routes / sizeof routes[0]) ||
     lk_http_server_start(fake.srv, NULL))
    return -1;
  snprintf(fake.url, sizeof fake.url, "http://127.0.0.1:%u",
           lk_http_server_port(fake.srv));
  return 0;
}

static void fake_stop(void)
{
  fake_reset();
  lk_http_server_destroy(fake.srv);
  pthread_mutex_destroy(&fake.lock);
}

/* ---- fixtures --------------------------------------------------------- */

static unsigned char *jpg;     /* a real JPEG, lk_malloc'd */
static size_t jpg_len;

/* The notify: section, with Gotify at the fake (or at url). */
static lk_err load_notify(struct lk_arena *a, struct lk_dt_config *c,
                          const char *gotify_url, const char *extra)
{
  char text[2048];
  snprintf(text, sizeof text,
           "notify:\n%s"
           "  gotify:\n"
           "    url: %s/gotify/\n"
           "    token: \"tok/en+1\"\n"
           "    priority: 7\n"
           "    cameras: [front, back]\n"
           "    zones:\n"
           "      - camera: back\n"
           "        zone: porch\n"
           "  telegram:\n"
           "    token: \"123456:ABC-def_g\"\n"
           "    chat_id: \"-100123\"\n",
           extra ? extra : "", gotify_url ? gotify_url : fake.url);
  return load_text(text, NULL, a, c);
}

static struct lk_dt_face face(const char *name, double conf, int match,
                              const char *type, const char *file)
{
  struct lk_dt_face f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.confidence = conf;
  f.match = match;
  f.type = type;
  f.detector = "likeness";
  f.filename = file;
  f.box.width = f.box.height = 100;
  return f;
}

/* An event of camera (zones: NULL-terminated) with these matches and
 * unknowns. */
struct event {
  struct lk_dt_event ev;
  struct lk_dt_summary sum;
  struct lk_dt_face m[4], u[4];
};

static void event_init(struct event *e, const char *camera,
                       const char *const *zones)
{
  memset(e, 0, sizeof *e);
  e->ev.id = "1700000000.1-abcdef";
  e->ev.camera = camera;
  e->ev.zones = zones;
  while(zones && zones[e->ev.n_zones])
    e->ev.n_zones++;
  e->sum.matches = e->m;
  e->sum.unknowns = e->u;
}

static void add_match(struct event *e, struct lk_dt_face f)
{
  e->m[e->sum.n_matches++] = f;
}

static void add_unknown(struct event *e, struct lk_dt_face f)
{
  e->u[e->sum.n_unknowns++] = f;
}

static struct lk_dt_notice prepare(const struct lk_dt_config *c,
                                   struct event *e, struct lk_arena *a)
{
  struct lk_dt_notice n;
  CHECK(lk_dt_notify_prepare(c, &e->ev, &e->sum, a, &n) == LK_OK);
  return n;
}

static struct lk_dt_notify_opts opts(void)
{
  struct lk_dt_notify_opts o = lk_dt_notify_default_opts();
  o.telegram_url = fake.url;
  o.timeout_ms = 5000;
  return o;
}

/* "data:image/jpeg;base64,<b64>" holds exactly our JPEG, and it decodes. */
static int data_url_is_jpg(const char *s, size_t n, struct lk_arena *a)
{
  static const char prefix[] = "data:image/jpeg;base64,";
  struct lk_image_opts io = lk_image_default_opts();
  struct lk_image img;
  unsigned char *bytes = NULL;
  size_t len = 0;
  char why[LK_IMAGE_ERRMAX];
  if(n < sizeof prefix || strncmp(s, prefix, sizeof prefix - 1))
    return 0;
  s += sizeof prefix - 1;
  n -= sizeof prefix - 1;
  if(lk_api_base64(s, n, a, &bytes, &len) || len != jpg_len ||
     memcmp(bytes, jpg, len))
    return 0;
  return lk_image_decode(bytes, len, &io, a, &img, why) == LK_OK &&
         img.width == 64 && img.height == 48;
}

/* ---- the text and the choice of image --------------------------------- */

static void test_text(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_config c;
  struct lk_dt_notice n;
  struct event e;

  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  event_init(&e, "front", NULL);
  add_match(&e, face("david", 93.5, 1, "snapshot", "d.jpg"));
  n = prepare(&c, &e, a);
  CHECK_STR(n.text, "front: david - 93.5%");
  CHECK(n.face == &e.m[0] && n.targets == 3u);
  CHECK_STR(n.id, "1700000000.1-abcdef");

  add_unknown(&e, face("unknown", 20, 0, "latest", "u.jpg"));
  add_unknown(&e, face("unknown", 10, 0, "latest", "u2.jpg"));
  n = prepare(&c, &e, a);
  CHECK_STR(n.text, "front: david - 93.5% and unknown");
  CHECK(n.face == &e.m[0]);

  add_match(&e, face("ada", 81, 1, "latest", "a.jpg"));
  n = prepare(&c, &e, a);
  CHECK_STR(n.text, "front: david - 93.5%, ada - 81%, and unknown");

  /* only unknown faces notify (Double Take never sent these) */
  event_init(&e, "front", NULL);
  add_unknown(&e, face("unknown", 33.33, 0, "latest", "u.jpg"));
  n = prepare(&c, &e, a);
  CHECK_STR(n.text, "front: unknown");
  CHECK(n.face == &e.u[0] && n.targets == 3u);

  /* misses alone, or nothing: no notification */
  event_init(&e, "front", NULL);
  e.sum.misses = e.m;
  e.m[0] = face("david", 55, 0, "latest", "m.jpg");
  e.sum.n_misses = 1;
  n = prepare(&c, &e, a);
  CHECK(!n.targets && !n.text && !n.face);

  /* no notify section: nothing, and no error */
  CHECK(load_text("detect:\n  match:\n    confidence: 70\n", NULL, a, &c) ==
        LK_OK);
  event_init(&e, "front", NULL);
  add_match(&e, face("david", 93.5, 1, "snapshot", "d.jpg"));
  n = prepare(&c, &e, a);
  CHECK(!n.targets);
  CHECK(lk_dt_notify_prepare(NULL, &e.ev, &e.sum, a, &n) == LK_ERR_INVAL);
  CHECK(lk_dt_notify_prepare(&c, &e.ev, NULL, a, &n) == LK_ERR_INVAL);
  lk_arena_destroy(a);
}

/* ---- Gotify and Telegram on the wire ---------------------------------- */

static void test_send_with_image(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_notify_opts o = opts();
  struct lk_dt_config c;
  struct lk_dt_notice n;
  const struct seen *g, *t;
  const cJSON *x, *click;
  cJSON *j;
  struct event e;
  unsigned sent = 0;

  fake_reset();
  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  event_init(&e, "front", NULL);
  add_match(&e, face("david", 93.5, 1, "snapshot", "d.jpg"));
  add_unknown(&e, face("unknown", 20, 0, "latest", "u.jpg"));
  n = prepare(&c, &e, a);
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, jpg_len, &sent) == LK_OK);
  CHECK(sent == (LK_DT_NOTIFY_GOTIFY | LK_DT_NOTIFY_TELEGRAM));
  CHECK(fake_count() == 2);

  g = fake_find("/gotify/message");
  CHECK(g != NULL);
  if(g) {
    const char *want = "front: david - 93.5% and unknown ![Camera Image](";
    const char *msg;
    CHECK_STR(g->token, "tok/en+1");          /* percent-encoded, decoded */
    CHECK(!strncmp(g->type, "application/json", 16));
    j = cJSON_Parse(g->json ? g->json : "");
    msg = cJSON_GetStringValue(cJSON_GetObjectItem(j, "message"));
    CHECK(msg && !strncmp(msg, want, strlen(want)));
    CHECK(msg && msg[strlen(msg) - 1] == ')');
    if(msg && strlen(msg) > strlen(want))
      CHECK(data_url_is_jpg(msg + strlen(want),
                            strlen(msg) - strlen(want) - 1, a));
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "priority")) == 7);
    x = cJSON_GetObjectItem(j, "extras");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
                cJSON_GetObjectItem(x, "client::display"), "contentType")),
              "text/markdown");
    click = cJSON_GetObjectItem(cJSON_GetObjectItem(
              x, "client::notification"), "click");
    msg = cJSON_GetStringValue(cJSON_GetObjectItem(click, "url"));
    CHECK(msg && data_url_is_jpg(msg, strlen(msg), a));
    cJSON_Delete(j);
  }
  t = fake_find("/sendPhoto");
  CHECK(t != NULL);
  if(t) {
    CHECK_STR(t->path, "/bot123456:ABC-def_g/sendPhoto");
    CHECK(!strncmp(t->type, "multipart/form-data; boundary=", 30));
    CHECK_STR(t->chat_id, "-100123");
    CHECK_STR(t->caption, "front: david - 93.5% and unknown");
    CHECK_STR(t->photo_name, "photo.jpg");
    CHECK_STR(t->photo_type, "image/jpeg");
    CHECK(t->photo_len == jpg_len && !memcmp(t->photo, jpg, jpg_len));
  }
  lk_arena_destroy(a);
}

/* No image (not kept, or too large): the text alone. */
static void test_send_text_only(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_notify_opts o = opts();
  struct lk_dt_config c;
  struct lk_dt_notice n;
  const struct seen *g, *t;
  cJSON *j;
  struct event e;
  unsigned sent = 0;

  fake_reset();
  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  event_init(&e, "back", NULL);
  add_unknown(&e, face("unknown", 20, 0, "mqtt", NULL));
  n = prepare(&c, &e, a);
  /* back names porch in gotify's zones; this event has none */
  CHECK(n.targets == LK_DT_NOTIFY_TELEGRAM);
  n.targets |= LK_DT_NOTIFY_GOTIFY;
  /* bytes over the ceiling are left out, not sent */
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, LK_DT_NOTIFY_IMAGE_MAX + 1,
                          &sent) == LK_OK);
  CHECK(sent == 3u && fake_count() == 2);
  g = fake_find("/gotify/message");
  j = cJSON_Parse(g && g->json ? g->json : "");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "message")),
            "back: unknown");
  CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(j, "extras"),
                             "client::notification"));
  cJSON_Delete(j);
  t = fake_find("/sendMessage");
  CHECK(t != NULL);
  j = cJSON_Parse(t && t->json ? t->json : "");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "chat_id")),
            "-100123");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "text")),
            "back: unknown");
  cJSON_Delete(j);
  lk_arena_destroy(a);
}

/* A caption longer than Telegram takes is cut at a character boundary. */
static void test_long_caption(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_notify_opts o = opts();
  struct lk_dt_config c;
  struct lk_dt_notice n;
  const struct seen *t;
  struct event e;
  char name[700];
  size_t i;

  fake_reset();
  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  for(i = 0; i + 2 < sizeof name; i += 2)
    memcpy(name + i, "\xc3\xa9", 2);       /* é, two bytes each */
  name[i] = '\0';
  event_init(&e, "front", NULL);
  add_match(&e, face(name, 90, 1, "latest", NULL));
  add_match(&e, face(name, 80, 1, "latest", NULL));
  n = prepare(&c, &e, a);
  n.targets = LK_DT_NOTIFY_TELEGRAM;
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, jpg_len, NULL) == LK_OK);
  t = fake_find("/sendPhoto");
  CHECK(t && strlen(t->caption) <= LK_DT_NOTIFY_CAPTION_MAX &&
        strlen(t->caption) > LK_DT_NOTIFY_CAPTION_MAX - 4);
  CHECK(t && !strncmp(t->caption, n.text, strlen(t->caption)));
  CHECK(t && ((unsigned char)n.text[strlen(t->caption)] & 0xc0) != 0x80);
  lk_arena_destroy(a);
}

/* ---- filters ---------------------------------------------------------- */

static unsigned targets(const struct lk_dt_config *c, const char *camera,
                        const char *const *zones, const char *mtype,
                        const char *utype, struct lk_arena *a,
                        const char **text)
{
  struct event e;
  struct lk_dt_notice n;
  event_init(&e, camera, zones);
  if(mtype)
    add_match(&e, face("david", 93.5, 1, mtype, "d.jpg"));
  if(utype)
    add_unknown(&e, face("unknown", 20, 0, utype, "u.jpg"));
  n = prepare(c, &e, a);
  if(text)
    *text = n.text;
  return n.targets;
}

static void test_filters(void)
{
  static const char *const porch[] = { "yard", "porch", NULL };
  static const char *const yard[] = { "yard", NULL };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_notify_opts o = opts();
  struct lk_dt_config c;
  const char *text = NULL;
  struct event e;
  unsigned sent = 5;

  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  /* cameras: side is not on gotify's list; telegram has no list */
  CHECK(targets(&c, "side", NULL, "latest", NULL, a, NULL) ==
        LK_DT_NOTIFY_TELEGRAM);
  CHECK(targets(&c, "Front", NULL, "latest", NULL, a, NULL) ==
        LK_DT_NOTIFY_TELEGRAM);            /* names match exactly */
  /* zones bind back only; front has no zone rule */
  CHECK(targets(&c, "back", porch, "latest", NULL, a, NULL) == 3u);
  CHECK(targets(&c, "back", yard, "latest", NULL, a, NULL) ==
        LK_DT_NOTIFY_TELEGRAM);
  CHECK(targets(&c, "front", yard, "latest", NULL, a, NULL) == 3u);

  /* camera not listed: nothing reaches Gotify on the wire */
  fake_reset();
  CHECK(load_text("notify:\n  gotify:\n    url: http://127.0.0.1:1\n"
                  "    cameras: [back]\n", NULL, a, &c) == LK_OK);
  event_init(&e, "front", NULL);
  add_match(&e, face("david", 93.5, 1, "latest", NULL));
  CHECK(lk_dt_notify_event(&c, &o, &e.ev, &e.sum, a, &sent) == LK_OK);
  CHECK(sent == 0 && fake_count() == 0);

  /* only_unknown: matches alone are quiet, any unknown notifies */
  CHECK_MSG(load_notify(a, &c, NULL, "  only_unknown: true\n") == LK_OK,
            "%s", why);
  CHECK(targets(&c, "front", NULL, "latest", NULL, a, NULL) == 0);
  CHECK(targets(&c, "front", NULL, NULL, "latest", a, &text) == 3u);
  CHECK_STR(text, "front: unknown");
  CHECK(targets(&c, "front", NULL, "latest", "latest", a, &text) == 3u);
  CHECK_STR(text, "front: david - 93.5% and unknown");

  /* types: faces from other images are left out of the notification */
  CHECK_MSG(load_notify(a, &c, NULL, "  types: [mqtt]\n") == LK_OK, "%s",
            why);
  CHECK(targets(&c, "front", NULL, "snapshot", NULL, a, NULL) == 0);
  CHECK(targets(&c, "front", NULL, "mqtt", NULL, a, NULL) == 3u);
  CHECK(targets(&c, "front", NULL, "latest", "mqtt", a, &text) == 3u);
  CHECK_STR(text, "front: unknown");
  CHECK_MSG(load_notify(a, &c, NULL, "  types: [frigate]\n") == LK_OK, "%s",
            why);
  CHECK(targets(&c, "front", NULL, "snapshot", NULL, a, NULL) == 3u);
  CHECK(targets(&c, "front", NULL, "latest", NULL, a, NULL) == 3u);
  CHECK(targets(&c, "front", NULL, "mqtt", NULL, a, NULL) == 0);
  CHECK(targets(&c, "front", NULL, "manual", "snapshot", a, &text) == 3u);
  CHECK_STR(text, "front: unknown");
  lk_arena_destroy(a);
}

/* ---- failures --------------------------------------------------------- */

static int closed_port(void)
{
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) &&
     !getsockname(fd, (struct sockaddr *)&sa, &len))
    port = ntohs(sa.sin_port);
  if(fd >= 0)
    close(fd);
  return port;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_refusals(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_notify_opts o = opts();
  struct lk_dt_config c;
  struct lk_dt_notice n;
  struct event e;
  char down[64];
  unsigned sent = 0;
  double t0;
  int i;

  event_init(&e, "front", NULL);
  add_match(&e, face("david", 93.5, 1, "latest", NULL));

  /* Gotify answers 401: logged, Telegram still sent */
  fake_reset();
  fake.gotify_status = 401;
  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  n = prepare(&c, &e, a);
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, jpg_len, &sent) == LK_ERR_IO);
  CHECK(sent == LK_DT_NOTIFY_TELEGRAM && fake_find("/sendPhoto"));

  /* Gotify answers 500, Telegram 400: both fail, nothing else does */
  fake_reset();
  fake.gotify_status = 500;
  fake.telegram_status = 400;
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, jpg_len, &sent) == LK_ERR_IO);
  CHECK(sent == 0 && fake_count() == 2);

  /* Gotify down */
  fake_reset();
  snprintf(down, sizeof down, "http://127.0.0.1:%d", closed_port());
  CHECK_MSG(load_notify(a, &c, down, NULL) == LK_OK, "%s", why);
  n = prepare(&c, &e, a);
  CHECK(n.targets == 3u);
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, jpg_len, &sent) == LK_ERR_IO);
  CHECK(sent == LK_DT_NOTIFY_TELEGRAM && fake_count() == 1);

  /* Gotify hangs: the timeout ends it and Telegram goes out */
  fake_reset();
  fake.gotify_delay_ms = 3000;
  o.timeout_ms = 300;
  CHECK_MSG(load_notify(a, &c, NULL, NULL) == LK_OK, "%s", why);
  n = prepare(&c, &e, a);
  t0 = now_s();
  CHECK(lk_dt_notify_send(&c, &o, &n, jpg, jpg_len, &sent) == LK_ERR_IO);
  CHECK_MSG(now_s() - t0 < 2.5, "took %.2f s", now_s() - t0);
  CHECK(sent == LK_DT_NOTIFY_TELEGRAM && fake_find("/sendPhoto"));
  for(i = 0; i < 100 && fake_count() < 2; i++)
    sleep_ms(50);                 /* the hung request, answered late */

  CHECK(lk_dt_notify_send(NULL, &o, &n, NULL, 0, &sent) == LK_ERR_INVAL);
  lk_arena_destroy(a);
}

/* ---- the image from a real matches store ------------------------------ */

static void test_store_image(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_notify_opts o = opts();
  struct lk_dt_match_face mf = mf_face("david", 93.5, 1, 100, 100);
  struct lk_dt_match_new row;
  struct lk_dt_matches *m;
  struct lk_dt_config c;
  struct event e;
  char file[LK_DT_MATCHES_FILE_SIZE] = "", mwhy[LK_DT_MATCHES_ERRMAX] = "";
  const struct seen *t;
  unsigned sent = 0;

  mf_setup();
  m = mf_open();
  row = mf_row("1700000000.1-abcdef", "front", "latest", &mf, 1, jpg,
               jpg_len);
  CHECK_MSG(m && lk_dt_matches_save(m, &row, NULL, file, mwhy) == LK_OK,
            "%s", mwhy);
  CHECK(load_text("notify:\n  telegram:\n    token: \"1:x\"\n"
                  "    chat_id: \"@door\"\n", NULL, a, &c) == LK_OK);
  o.image = lk_dt_notify_store_image;
  o.image_ctx = m;

  fake_reset();
  event_init(&e, "front", NULL);
  add_match(&e, face("david", 93.5, 1, "latest", file));
  CHECK(lk_dt_notify_event(&c, &o, &e.ev, &e.sum, a, &sent) == LK_OK);
  CHECK(sent == LK_DT_NOTIFY_TELEGRAM);
  t = fake_find("/bot1:x/sendPhoto");
  CHECK(t && t->photo_len == jpg_len && !memcmp(t->photo, jpg, jpg_len));
  CHECK(t && !strcmp(t->chat_id, "@door"));

  /* a file the store does not have: the text goes alone */
  fake_reset();
  e.m[0].filename = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.jpg";
  CHECK(lk_dt_notify_event(&c, &o, &e.ev, &e.sum, a, &sent) == LK_OK);
  CHECK(sent == LK_DT_NOTIFY_TELEGRAM && fake_find("/bot1:x/sendMessage"));

  lk_dt_matches_close(m);
  mf_teardown();
  lk_arena_destroy(a);
}

int main(void)
{
  if(lk_fetch_init())
    return 1;
  dt_test_begin();
  if(fake_start())
    return 1;
  jpg = mf_jpeg(64, 48, 200, 120, 40, &jpg_len);
  RUN(test_text);
  RUN(test_send_with_image);
  RUN(test_send_text_only);
  RUN(test_long_caption);
  RUN(test_filters);
  RUN(test_refusals);
  RUN(test_store_image);
  lk_free(jpg);
  fake_stop();
  return dt_test_end();
}
