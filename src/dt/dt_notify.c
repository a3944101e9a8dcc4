/* dt_notify.c - Double Take's notifications (api/src/util/notify/ of
 * jakowenko/double-take and the skrashevich fork): the same text, the same
 * Gotify JSON and Telegram form, with the filters working as documented. */
#include "dt_notify.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "dt/dt_matches.h"
#include "fetch/fetch.h"
#include "http/api.h"

#define LK_DT_NOTIFY_ANSWER_MAX ((size_t)1 << 20)  /* a notifier's reply */
#define LK_DT_NOTIFY_CONNECT_MS 5000L

struct lk_dt_notify_opts lk_dt_notify_default_opts(void)
{
  struct lk_dt_notify_opts o;
  memset(&o, 0, sizeof o);
  o.telegram_url = LK_DT_NOTIFY_TELEGRAM_URL;
  o.timeout_ms = LK_DT_NOTIFY_TIMEOUT_MS;
  return o;
}

lk_err lk_dt_notify_store_image(void *ctx, const char *filename,
                                struct lk_arena *arena,
                                const unsigned char **data, size_t *len)
{
  return lk_dt_matches_image(ctx, filename, arena, data, len);
}

/* ---- filters ---------------------------------------------------------- */

static int lk_dt_listed(const struct lk_dt_strs *l, const char *s)
{
  size_t i;
  for(i = 0; i < l->n; i++)
    if(!strcmp(l->v[i], s))
      return 1;
  return 0;
}

/* notify.types: "frigate" stands for the two images Frigate's API gives.
 * The list has no word for a camera's webhook (camera-event): those pass,
 * as they do in Double Take, which has no such filter. */
static int lk_dt_type_ok(const struct lk_dt_config *c,
                         const struct lk_dt_face *f)
{
  const struct lk_dt_strs *t = &c->notify.types;
  const char *type = f->type ? f->type : "";
  if(!t->n || lk_dt_listed(t, type) || !strcmp(type, "camera-event"))
    return 1;
  return (!strcmp(type, "snapshot") || !strcmp(type, "latest")) &&
         lk_dt_listed(t, "frigate");
}

/* Zones bind only the cameras they name: another camera's events pass, as
 * in Double Take's factory.js checks (which were never given the zones). */
static int lk_dt_zone_ok(const struct lk_dt_zones *z,
                         const struct lk_dt_event *ev)
{
  size_t i, k;
  int named = 0;
  for(i = 0; i < z->n; i++) {
    if(strcmp(z->v[i].camera, ev->camera))
      continue;
    named = 1;
    for(k = 0; k < ev->n_zones; k++)
      if(!strcmp(z->v[i].zone, ev->zones[k]))
        return 1;
  }
  return !named;
}

/* Whether a notifier takes this event; why not goes to the debug log in
 * Double Take's words. */
static int lk_dt_notifier_ok(const struct lk_dt_notifier *n,
                             const char *name, int ready,
                             const struct lk_dt_event *ev)
{
  const char *why = NULL;
  if(!n->present)
    return 0;
  if(!ready)
    why = "not configured";
  else if(n->cameras.n && !lk_dt_listed(&n->cameras, ev->camera))
    why = "not on approved list";
  else if(!lk_dt_zone_ok(&n->zones, ev))
    why = "zone not on approved list";
  if(why)
    lk_log(LK_LOG_DEBUG, "dt", "%s: notify: %s: %s %s", ev->id ? ev->id : "",
           name, ev->camera, why);
  return !why;
}

/* ---- the text --------------------------------------------------------- */

/* "<camera>: a", "a and b", "a, b, and c" (helpers.util.js oxfordComma)
 * over "name - 93.5%" per match and "unknown" once. */
static char *lk_dt_notify_text(struct lk_arena *a, const char *camera,
                               const struct lk_dt_face *const *m, size_t n,
                               int unknown)
{
  size_t items = n + (unknown ? 1 : 0), i, cap = strlen(camera) + 32, at;
  char num[LK_DT_NUMBER_MAX], *s;
  for(i = 0; i < n; i++)
    cap += strlen(m[i]->name) + LK_DT_NUMBER_MAX + 16;
  if(!(s = lk_arena_alloc(a, cap)))
    return NULL;
  at = (size_t)snprintf(s, cap, "%s: ", camera);
  for(i = 0; i < items; i++) {
    const char *sep = !i ? "" : items == 2 ? " and " : ", ";
    const char *last = items > 2 && i + 1 == items ? "and " : "";
    if(i < n) {
      lk_dt_number_text(m[i]->confidence, num);
      at += (size_t)snprintf(s + at, cap - at, "%s%s%s - %s%%", sep, last,
                             m[i]->name, num);
    } else {
      at += (size_t)snprintf(s + at, cap - at, "%s%sunknown", sep, last);
    }
  }
  return s;
}

lk_err lk_dt_notify_prepare(const struct lk_dt_config *c,
                            const struct lk_dt_event *ev,
                            const struct lk_dt_summary *s,
                            struct lk_arena *arena, struct lk_dt_notice *out)
{
  const struct lk_dt_face **m, *unknown = NULL;
  const struct lk_dt_notifier *g, *t;
  size_t n = 0, i;

  if(!c || !ev || !ev->camera || !s || !arena || !out)
    return LK_ERR_INVAL;
  memset(out, 0, sizeof *out);
  out->id = ev->id;
  g = &c->notify.gotify;
  t = &c->notify.telegram;
  if(!g->present && !t->present)
    return LK_OK;
  if(!(m = lk_arena_alloc(arena, (s->n_matches + 1) * sizeof *m)))
    return LK_ERR_NOMEM;
  for(i = 0; i < s->n_matches; i++)
    if(lk_dt_type_ok(c, &s->matches[i]))
      m[n++] = &s->matches[i];
  for(i = 0; i < s->n_unknowns && !unknown; i++)
    if(lk_dt_type_ok(c, &s->unknowns[i]))
      unknown = &s->unknowns[i];
  /* Double Take meant to notify unknowns too, and only them with
   * only_unknown; it read output.unknown, which is never set. */
  if((!n && !unknown) || (c->notify.only_unknown && !unknown))
    return LK_OK;
  out->text = lk_dt_notify_text(arena, ev->camera, m, n, unknown != NULL);
  if(!out->text)
    return LK_ERR_NOMEM;
  out->face = n ? m[0] : unknown;
  if(lk_dt_notifier_ok(g, "gotify", g->url != NULL, ev))
    out->targets |= LK_DT_NOTIFY_GOTIFY;
  if(lk_dt_notifier_ok(t, "telegram", t->token && t->chat_id, ev))
    out->targets |= LK_DT_NOTIFY_TELEGRAM;
  return LK_OK;
}

/* ---- requests --------------------------------------------------------- */

/* base without trailing slashes, then the rest; tokens percent-encoded
 * (':' kept: Telegram's tokens are "<bot id>:<secret>"). */
static int lk_dt_notify_url(char *out, size_t size, const char *base,
                            const char *mid, const char *token,
                            const char *tail)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(base), k;
  int w;
  while(n && base[n - 1] == '/')
    n--;
  w = snprintf(out, size, "%.*s%s", (int)n, base, mid);
  if(w < 0 || (size_t)w >= size)
    return -1;
  k = (size_t)w;
  for(; token && *token; token++) {
    unsigned char c = (unsigned char)*token;
    int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || strchr("-._~:", c);
    if(k + 4 >= size)
      return -1;
    if(plain) {
      out[k++] = (char)c;
    } else {
      out[k++] = '%';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    }
  }
  w = snprintf(out + k, size - k, "%s", tail);
  return w < 0 || (size_t)w >= size - k ? -1 : 0;
}

/* A refusal's reason: Gotify's errorDescription, Telegram's description. */
static void lk_dt_notify_reason(const unsigned char *data, size_t len,
                                char *out, size_t size)
{
  static const char *const keys[] = { "errorDescription", "description",
                                      "error", NULL };
  cJSON *j = data ? cJSON_ParseWithLength((const char *)data, len) : NULL;
  const cJSON *v = NULL;
  int i;
  for(i = 0; keys[i] && !cJSON_IsString(v); i++)
    v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
  snprintf(out, size, "%s", cJSON_IsString(v) ? v->valuestring : "");
  cJSON_Delete(j);
}

/* One request; LK_OK for a 2xx answer, else LK_ERR_IO, logged. */
static lk_err lk_dt_notify_post(const struct lk_dt_notify_opts *o,
                                const char *name, const char *id,
                                const char *url, const char *type,
                                const void *body, size_t len)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  struct lk_fetch_body b;
  char why[LK_FETCH_ERRMAX] = "", reason[200] = "";
  unsigned char *data = NULL;
  size_t n = 0;
  long status = 0;
  lk_err err;

  memset(&b, 0, sizeof b);
  b.content_type = type;
  b.data = body;
  b.len = len;
  b.any_status = 1;
  p.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : LK_DT_NOTIFY_TIMEOUT_MS;
  p.connect_timeout_ms = p.timeout_ms < LK_DT_NOTIFY_CONNECT_MS
                         ? p.timeout_ms : LK_DT_NOTIFY_CONNECT_MS;
  p.max_bytes = LK_DT_NOTIFY_ANSWER_MAX;
  err = lk_fetch_trusted_send(&p, NULL, url, &b, &status, &data, &n, why);
  if(!err && (status < 200 || status > 299)) {
    lk_dt_notify_reason(data, n, reason, sizeof reason);
    snprintf(why, sizeof why, "HTTP %ld%s%s", status, reason[0] ? ": " : "",
             reason);
    err = LK_ERR_IO;
  }
  lk_free(data);
  if(err)
    lk_log(LK_LOG_WARN, "dt", "%s: notify: %s: %s", id ? id : "", name,
           why[0] ? why : lk_strerror(err));
  else
    lk_log(LK_LOG_DEBUG, "dt", "%s: notify: %s: sent", id ? id : "", name);
  return err ? LK_ERR_IO : LK_OK;
}

/* ---- Gotify ----------------------------------------------------------- */

/* {"message":"<text> ![Camera Image](data:...)","priority":P,"extras":
 * {"client::display":{"contentType":"text/markdown"},
 *  "client::notification":{"click":{"url":"data:..."}}}} (gotify.js) */
static char *lk_dt_gotify_json(const struct lk_dt_notifier *g,
                               const char *message, const char *image)
{
  cJSON *o = cJSON_CreateObject(), *x, *click;
  char *text;
  o = lk_api_json_add(o, "message", cJSON_CreateStringReference(message));
  o = lk_api_json_add(o, "priority", cJSON_CreateNumber((double)g->priority));
  x = lk_api_json_add(cJSON_CreateObject(), "contentType",
                      cJSON_CreateString("text/markdown"));
  x = lk_api_json_add(cJSON_CreateObject(), "client::display", x);
  if(image) {
    click = lk_api_json_add(cJSON_CreateObject(), "url",
                            cJSON_CreateStringReference(image));
    click = lk_api_json_add(cJSON_CreateObject(), "click", click);
    x = lk_api_json_add(x, "client::notification", click);
  }
  o = lk_api_json_add(o, "extras", x);
  text = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return text;
}

static lk_err lk_dt_gotify(const struct lk_dt_config *c,
                           const struct lk_dt_notify_opts *o,
                           const struct lk_dt_notice *n, const void *jpeg,
                           size_t len)
{
  static const char prefix[] = "data:image/jpeg;base64,";
  const struct lk_dt_notifier *g = &c->notify.gotify;
  char url[LK_FETCH_URL_MAX], *image = NULL, *message = NULL, *json = NULL;
  size_t tl = strlen(n->text), il = 0;
  lk_err err = LK_ERR_NOMEM;

  if(lk_dt_notify_url(url, sizeof url, g->url,
                      g->token ? "/message?token=" : "/message", g->token,
                      "")) {
    lk_log(LK_LOG_WARN, "dt", "notify: gotify: URL too long");
    return LK_ERR_INVAL;
  }
  if(jpeg) {
    if(!(image = lk_malloc(sizeof prefix + LK_API_BASE64_LEN(len))))
      goto out;
    memcpy(image, prefix, sizeof prefix - 1);
    il = sizeof prefix - 1 + lk_api_base64_encode(jpeg, len,
                                                  image + sizeof prefix - 1);
  }
  if(!(message = lk_malloc(tl + il + 32)))
    goto out;
  snprintf(message, tl + il + 32, image ? "%s ![Camera Image](%s)" : "%s",
           n->text, image);
  json = lk_dt_gotify_json(g, message, image);
  if(json)
    err = lk_dt_notify_post(o, "gotify", n->id, url, "application/json",
                            json, strlen(json));
out:
  cJSON_free(json);
  lk_free(message);
  lk_free(image);
  return err;
}

/* ---- Telegram --------------------------------------------------------- */

#define LK_DT_TELEGRAM_TEXT_MAX 4096        /* sendMessage's limit */

/* text cut to max bytes at a UTF-8 character boundary. */
static void lk_dt_notify_cut(char *out, size_t max, const char *text)
{
  size_t n = strlen(text);
  if(n > max) {
    n = max;
    while(n && ((unsigned char)text[n] & 0xc0) == 0x80)
      n--;
  }
  memcpy(out, text, n);
  out[n] = '\0';
}

static int lk_dt_notify_has(const void *hay, size_t n, const char *needle)
{
  const unsigned char *h = hay, *p;
  size_t k = strlen(needle);
  while(n >= k && (p = memchr(h, needle[0], n - k + 1))) {
    if(!memcmp(p, needle, k))
      return 1;
    n -= (size_t)(p - h) + 1;
    h = p + 1;
  }
  return 0;
}

/* A random boundary that occurs in none of the parts. */
static void lk_dt_notify_boundary(char out[48], const char *caption,
                                  const void *jpeg, size_t len)
{
  unsigned char r[12];
  size_t i;
  int k;
  do {
    if(getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
      memset(r, 0x5a, sizeof r);
    k = snprintf(out, 48, "likeness-");
    for(i = 0; i < sizeof r; i++)
      k += snprintf(out + k, (size_t)(48 - k), "%02x", r[i]);
  } while(lk_dt_notify_has(jpeg, len, out) ||
          lk_dt_notify_has(caption, strlen(caption), out));
}

/* sendPhoto's form: chat_id, caption, photo (telegram.js). */
static lk_err lk_dt_telegram_photo(const struct lk_dt_notify_opts *o,
                                   const struct lk_dt_notice *n,
                                   const char *url, const char *chat_id,
                                   const char *caption, const void *jpeg,
                                   size_t len)
{
  static const char fmt[] =
    "--%s\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n%s\r\n"
    "--%s\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n%s\r\n"
    "--%s\r\nContent-Disposition: form-data; name=\"photo\"; "
    "filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
  char boundary[48], type[96], tail[64];
  unsigned char *body;
  int head, tl;
  lk_err err;

  lk_dt_notify_boundary(boundary, caption, jpeg, len);
  snprintf(type, sizeof type, "multipart/form-data; boundary=%s", boundary);
  tl = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", boundary);
  head = snprintf(NULL, 0, fmt, boundary, chat_id, boundary, caption,
                  boundary);
  if(head < 0 || !(body = lk_malloc((size_t)head + 1 + len + (size_t)tl)))
    return LK_ERR_NOMEM;
  snprintf((char *)body, (size_t)head + 1, fmt, boundary, chat_id, boundary,
           caption, boundary);
  memcpy(body + head, jpeg, len);
  memcpy(body + (size_t)head + len, tail, (size_t)tl);
  err = lk_dt_notify_post(o, "telegram", n->id, url, type, body,
                          (size_t)head + len + (size_t)tl);
  lk_free(body);
  return err;
}

/* Without an image: sendMessage {"chat_id":..., "text":...}. */
static lk_err lk_dt_telegram_text(const struct lk_dt_notify_opts *o,
                                  const struct lk_dt_notice *n,
                                  const char *url, const char *chat_id,
                                  const char *text)
{
  cJSON *j = cJSON_CreateObject();
  char *body;
  lk_err err = LK_ERR_NOMEM;
  j = lk_api_json_add(j, "chat_id", cJSON_CreateString(chat_id));
  j = lk_api_json_add(j, "text", cJSON_CreateString(text));
  body = j ? cJSON_PrintUnformatted(j) : NULL;
  cJSON_Delete(j);
  if(body)
    err = lk_dt_notify_post(o, "telegram", n->id, url, "application/json",
                            body, strlen(body));
  cJSON_free(body);
  return err;
}

static lk_err lk_dt_telegram(const struct lk_dt_config *c,
                             const struct lk_dt_notify_opts *o,
                             const struct lk_dt_notice *n, const void *jpeg,
                             size_t len)
{
  const struct lk_dt_notifier *t = &c->notify.telegram;
  const char *base = o->telegram_url ? o->telegram_url
                                     : LK_DT_NOTIFY_TELEGRAM_URL;
  char url[LK_FETCH_URL_MAX], text[LK_DT_TELEGRAM_TEXT_MAX + 1];

  if(lk_dt_notify_url(url, sizeof url, base, "/bot", t->token,
                      jpeg ? "/sendPhoto" : "/sendMessage")) {
    lk_log(LK_LOG_WARN, "dt", "notify: telegram: URL too long");
    return LK_ERR_INVAL;
  }
  if(!jpeg) {
    lk_dt_notify_cut(text, LK_DT_TELEGRAM_TEXT_MAX, n->text);
    return lk_dt_telegram_text(o, n, url, t->chat_id, text);
  }
  lk_dt_notify_cut(text, LK_DT_NOTIFY_CAPTION_MAX, n->text);
  return lk_dt_telegram_photo(o, n, url, t->chat_id, text, jpeg, len);
}

/* ---- sending ---------------------------------------------------------- */

lk_err lk_dt_notify_send(const struct lk_dt_config *c,
                         const struct lk_dt_notify_opts *opts,
                         const struct lk_dt_notice *n, const void *jpeg,
                         size_t len, unsigned *sent)
{
  struct lk_dt_notify_opts def = lk_dt_notify_default_opts();
  const struct lk_dt_notify_opts *o = opts ? opts : &def;
  unsigned ok = 0;

  if(sent)
    *sent = 0;
  if(!c || !n || (n->targets && !n->text))
    return LK_ERR_INVAL;
  if(jpeg && (!len || len > LK_DT_NOTIFY_IMAGE_MAX)) {
    if(len)
      lk_log(LK_LOG_INFO, "dt", "%s: notify: image of %zu bytes left out",
             n->id ? n->id : "", len);
    jpeg = NULL;
  }
  /* one after the other: a notifier that fails never stops the next */
  if((n->targets & LK_DT_NOTIFY_GOTIFY) && !lk_dt_gotify(c, o, n, jpeg, len))
    ok |= LK_DT_NOTIFY_GOTIFY;
  if((n->targets & LK_DT_NOTIFY_TELEGRAM) &&
     !lk_dt_telegram(c, o, n, jpeg, len))
    ok |= LK_DT_NOTIFY_TELEGRAM;
  if(sent)
    *sent = ok;
  return ok == n->targets ? LK_OK : LK_ERR_IO;
}

lk_err lk_dt_notify_event(const struct lk_dt_config *c,
                          const struct lk_dt_notify_opts *opts,
                          const struct lk_dt_event *ev,
                          const struct lk_dt_summary *s,
                          struct lk_arena *arena, unsigned *sent)
{
  struct lk_dt_notice n;
  const unsigned char *jpeg = NULL;
  size_t len = 0;
  lk_err err;

  if(sent)
    *sent = 0;
  err = lk_dt_notify_prepare(c, ev, s, arena, &n);
  if(err || !n.targets)
    return err;
  if(opts && opts->image && n.face && n.face->filename &&
     (err = opts->image(opts->image_ctx, n.face->filename, arena, &jpeg,
                        &len))) {
    lk_log(LK_LOG_INFO, "dt", "%s: notify: image %s: %s; sending the text",
           n.id ? n.id : "", n.face->filename, lk_strerror(err));
    jpeg = NULL;
    len = 0;
  }
  return lk_dt_notify_send(c, opts, &n, jpeg, len, sent);
}
