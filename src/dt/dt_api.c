/* dt_api.c - Double Take's REST API: the route table (this file's routes
 * and those of dt_api_match.c and dt_api_train.c, under ui.path), its
 * error shape, and the routes that recognize (GET and POST /recognize,
 * uploads, camera webhooks and their latest images), the config and the
 * status. compat-apis.md §1.5; docs/dt-api.md. */
#include "dt_api_int.h"

#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "dt/dt_config.h"
#include "dt/dt_matches.h"
#include "dt/dt_service.h"
#include "fetch/fetch.h"

#define LK_DTAPI_CONFIG_MAX ((size_t)1 << 20)    /* config.yml bytes */
#define LK_DTAPI_VERSION_TIMEOUT_MS 5000L         /* Double Take's */

lk_err lk_dt_api_error(struct lk_http_req *req, struct lk_http_resp *resp,
                       int status, const char *message, void *ctx)
{
  char text[512];
  (void)ctx;
  /* express answers any path without a route (and any method) so */
  if(status == 404 || status == 405) {
    snprintf(text, sizeof text, "%s not found", lk_http_req_path(req));
    return lk_dtapi_error(resp, 404, text);
  }
  return lk_dtapi_error(resp, status, message);
}

/* ---- recognize ------------------------------------------------------- */

/* ?results=best|all; -1 for anything else. */
static int lk_dtapi_results(struct lk_http_req *req)
{
  const char *v = lk_http_req_query(req, "results");
  if(!v || !strcmp(v, "best"))
    return 0;
  return !strcmp(v, "all") ? 1 : -1;
}

/* Run rq and answer with Double Take's result, or its error. */
static lk_err lk_dtapi_run(struct lk_dt_api *api, struct lk_http_resp *resp,
                           const struct lk_dt_request *rq, int all)
{
  char why[LK_DT_SERVICE_ERRMAX] = "";
  cJSON *out;
  lk_err err = lk_dt_service_recognize(api->svc, rq, all, &out, why);
  if(err == LK_ERR_NOMEM)
    return err;
  if(err)
    return lk_dtapi_error(resp, err == LK_ERR_INVAL ? 400 : 500,
                          why[0] ? why : lk_strerror(err));
  return lk_http_resp_json(resp, 200, out);
}

/* GET /api/recognize?url=&camera=&attempts=&break=&results=&type= */
static lk_err lk_dtapi_recognize_url(struct lk_http_req *req,
                                     struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_dt_request rq;
  struct lk_fetch_policy p = api->fetch ? *api->fetch
                                        : lk_fetch_default_policy();
  long attempts;
  int stop = lk_dtapi_query_bool(req, "break", 1),
      all = lk_dtapi_results(req);

  memset(&rq, 0, sizeof rq);
  rq.url = lk_http_req_query(req, "url");
  if(!rq.url || !*rq.url)
    return lk_dtapi_invalid(resp, "query", "url", "Invalid value");
  if(lk_dtapi_query_int(req, "attempts", 1, 100, 1, &attempts))
    return lk_dtapi_invalid(resp, "query", "attempts", "Invalid value");
  if(stop < 0)
    return lk_dtapi_invalid(resp, "query", "break", "Invalid value");
  if(all < 0)
    return lk_dtapi_invalid(resp, "query", "results", "Invalid value");
  rq.camera = lk_http_req_query(req, "camera");
  rq.type = lk_http_req_query(req, "type");
  rq.policy = &p;           /* a client's URL: behind the guard */
  rq.attempts = (int)attempts;
  rq.stop_on_match = stop;
  return lk_dtapi_run(api, resp, &rq, all);
}

/* POST /api/recognize: Frigate's event, polled as one from MQTT. */
static lk_err lk_dtapi_recognize_event(struct lk_http_req *req,
                                       struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_request rq;
  size_t len = 0;
  int all = lk_dtapi_results(req);
  memset(&rq, 0, sizeof rq);
  if(all < 0)
    return lk_dtapi_invalid(resp, "query", "results", "Invalid value");
  if(!lk_http_req_json(req))
    return lk_dtapi_invalid(resp, "body", "type", "Invalid value");
  rq.event = lk_http_req_body(req, &len);
  rq.event_len = len;
  return lk_dtapi_run(LK_DTAPI(ctx), resp, &rq, all);
}

/* POST /api/recognize/upload: every file queued as a manual event;
 * the answer does not wait for them. */
static lk_err lk_dtapi_upload(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  const struct lk_http_part **files;
  struct lk_dt_request rq;
  size_t n, i;
  lk_err err = lk_api_files(req, &files, &n);
  if(err)
    return err;
  if(!n)
    return lk_dtapi_invalid(resp, "files", "files[]", "Invalid value");
  for(i = 0; i < n; i++) {
    memset(&rq, 0, sizeof rq);
    rq.image = (const unsigned char *)files[i]->data;
    rq.len = files[i]->size;
    if(!rq.len)
      return lk_dtapi_invalid(resp, "files", files[i]->name, "empty file");
    if((err = lk_dt_service_submit(api->svc, &rq)))
      return err;
  }
  return lk_dtapi_success(resp);
}

/* ---- cameras --------------------------------------------------------- */

static const struct lk_dt_camera *lk_dtapi_camera(const struct lk_dt_config *c,
                                                  const char *name)
{
  size_t i;
  for(i = 0; i < c->n_cameras; i++)
    if(!strcmp(c->cameras[i].name, name))
      return &c->cameras[i];
  return NULL;
}

/* GET /api/camera/<camera>: a webhook ("motion detected"): the camera's
 * snapshot URL from the config, fetched and recognized now. */
static lk_err lk_dtapi_camera_event(struct lk_http_req *req,
                                    struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  const struct lk_dt_camera *cam =
      lk_dtapi_camera(api->cfg, lk_http_req_param(req, "camera"));
  struct lk_dt_request rq;
  long attempts;
  int stop = lk_dtapi_query_bool(req, "break", 1),
      all = lk_dtapi_results(req);
  if(!cam)
    return lk_dtapi_error(resp, 400, "camera config not found");
  if(!cam->snapshot.url)
    return lk_dtapi_error(resp, 400, "camera snapshot URL not found");
  if(lk_dtapi_query_int(req, "attempts", 1, 100, 1, &attempts))
    return lk_dtapi_invalid(resp, "query", "attempts", "Invalid value");
  if(stop < 0)
    return lk_dtapi_invalid(resp, "query", "break", "Invalid value");
  if(all < 0)
    return lk_dtapi_invalid(resp, "query", "results", "Invalid value");
  memset(&rq, 0, sizeof rq);
  rq.camera = cam->name;
  rq.type = "camera-event";
  rq.url = cam->snapshot.url;       /* the admin's: trusted */
  rq.attempts = (int)attempts;
  rq.stop_on_match = stop;
  return lk_dtapi_run(api, resp, &rq, all);
}

/* GET /api/camera/<camera>/latest.jpg: the camera's last detection with
 * its boxes and names (the blog's last-detection.jpg). */
static lk_err lk_dtapi_camera_latest(struct lk_http_req *req,
                                     struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  const unsigned char *data;
  char file[256];
  size_t len;
  lk_err err;
  if(lk_dt_matches_latest_file(file, sizeof file,
                               lk_http_req_param(req, "camera")) < 0)
    return lk_dtapi_error(resp, 404, "no detection for this camera yet");
  err = lk_dt_matches_latest_read(api->matches, file,
                                  lk_http_req_arena(req), &data, &len);
  if(err == LK_ERR_NOT_FOUND)
    return lk_dtapi_error(resp, 404, "no detection for this camera yet");
  if(err)
    return err;
  if((err = lk_http_resp_header(resp, "Cache-Control", "no-store")))
    return err;
  return lk_http_resp_bytes(resp, 200, "image/jpeg", data, len);
}

/* ---- config and status ------------------------------------------------ */

/* GET /api/config?format=json|yaml|yaml-with-defaults&redact */
static lk_err lk_dtapi_config(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  const char *format = lk_http_req_query(req, "format");
  int redact = lk_http_req_query(req, "redact") != NULL;
  cJSON *o;
  char *text;
  lk_err err;

  if(format && !strcmp(format, "yaml")) {
    const unsigned char *data = (const unsigned char *)"";
    size_t len = 0;
    if(api->cfg->file &&
       (err = lk_file_read_arena(api->cfg->file, LK_DTAPI_CONFIG_MAX,
                                 lk_http_req_arena(req), &data, &len)))
      return lk_dtapi_error(resp, 500, "cannot read the config file");
    return lk_http_resp_bytes(resp, 200, "text/yaml; charset=utf-8", data,
                              len);
  }
  if(format && strcmp(format, "json") && strcmp(format, "yaml-with-defaults"))
    return lk_dtapi_invalid(resp, "query", "format", "Invalid value");
  if(!(o = lk_dt_config_json(api->cfg, redact)))
    return LK_ERR_NOMEM;
  if(!format || !strcmp(format, "json"))
    return lk_http_resp_json(resp, 200, o);
  /* JSON is YAML (1.2): the merged config, every default written out */
  text = cJSON_Print(o);
  cJSON_Delete(o);
  if(!text)
    return LK_ERR_NOMEM;
  err = lk_http_resp_bytes(resp, 200, "text/yaml; charset=utf-8", text,
                           strlen(text));
  cJSON_free(text);
  return err;
}

/* PATCH /api/config and /api/config/secrets: Double Take rewrites its
 * files and restarts; likeness's config is the admin's file. */
static lk_err lk_dtapi_config_edit(struct lk_http_req *req,
                                   struct lk_http_resp *resp, void *ctx)
{
  (void)req;
  (void)ctx;
  return lk_dtapi_error(resp, 400, "the config is read-only here: edit "
                        "config.yml and restart likeness");
}

static lk_err lk_dtapi_status_mqtt(struct lk_http_req *req,
                                   struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_dt_service_stats st;
  cJSON *o = cJSON_CreateObject();
  (void)req;
  lk_dt_service_stats(api->svc, &st);
  o = lk_api_json_add(o, "connected", cJSON_CreateBool(st.mqtt_connected));
  o = lk_api_json_add(o, "status", cJSON_CreateString(
        !api->cfg->mqtt.enabled ? "not configured"
        : st.mqtt_connected ? "connected" : "disconnected"));
  return o ? lk_http_resp_json(resp, 200, o) : LK_ERR_NOMEM;
}

/* Frigate's version (GET <frigate>/api/version), or NULL. */
static const char *lk_dtapi_frigate_version(struct lk_dt_api *api,
                                            struct lk_arena *arena)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char url[LK_FETCH_URL_MAX], *text;
  unsigned char *data = NULL;
  size_t len = 0;
  if(!api->cfg->frigate.url.n)
    return NULL;
  snprintf(url, sizeof url, "%s/api/version", api->cfg->frigate.url.v[0]);
  p.timeout_ms = LK_DTAPI_VERSION_TIMEOUT_MS;
  p.max_bytes = 4096;
  if(lk_fetch_trusted(&p, NULL, url, &data, &len, NULL, NULL))
    return NULL;
  text = lk_arena_alloc(arena, len + 1);
  if(text) {
    memcpy(text, data, len);
    text[len] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
  }
  lk_free(data);
  return text;
}

static lk_err lk_dtapi_status_frigate(struct lk_http_req *req,
                                      struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_dt_service_stats st;
  const char *version;
  cJSON *o, *last;
  if(!api->cfg->frigate.url.n)
    return lk_dtapi_error(resp, 400, "Frigate URL not configured");
  version = lk_dtapi_frigate_version(api, lk_http_req_arena(req));
  lk_dt_service_stats(api->svc, &st);
  last = cJSON_CreateObject();
  last = lk_api_json_add(last, "time", lk_dtapi_time(st.last_event));
  last = lk_api_json_add(last, "camera", st.last_event > 0
                         ? cJSON_CreateString(st.last_camera)
                         : cJSON_CreateNull());
  o = cJSON_CreateObject();
  o = lk_api_json_add(o, "version", version ? cJSON_CreateString(version)
                                            : cJSON_CreateNull());
  o = lk_api_json_add(o, "last", last);
  return o ? lk_http_resp_json(resp, 200, o) : LK_ERR_NOMEM;
}

static lk_err lk_dtapi_status_auth(struct lk_http_req *req,
                                   struct lk_http_resp *resp, void *ctx)
{
  cJSON *o = cJSON_CreateObject();
  (void)req;
  (void)ctx;
  o = lk_api_json_add(o, "auth", cJSON_CreateFalse());
  return o ? lk_http_resp_json(resp, 200, o) : LK_ERR_NOMEM;
}

/* The config loaded, or likeness would not have started: no errors. */
static lk_err lk_dtapi_status_config(struct lk_http_req *req,
                                     struct lk_http_resp *resp, void *ctx)
{
  cJSON *a = cJSON_CreateArray();
  (void)req;
  (void)ctx;
  return a ? lk_http_resp_json(resp, 200, a) : LK_ERR_NOMEM;
}

static cJSON *lk_dtapi_num(long x)
{
  return cJSON_CreateNumber((double)x);
}

/* GET /api/status: what the event service has done since start. */
static lk_err lk_dtapi_status(struct lk_http_req *req,
                              struct lk_http_resp *resp, void *ctx)
{
  struct lk_dt_api *api = LK_DTAPI(ctx);
  struct lk_dt_service_stats st;
  cJSON *o = cJSON_CreateObject(), *ev = cJSON_CreateObject();
  (void)req;
  lk_dt_service_stats(api->svc, &st);
  ev = lk_api_json_add(ev, "received", lk_dtapi_num(st.received));
  ev = lk_api_json_add(ev, "skipped", lk_dtapi_num(st.skipped));
  ev = lk_api_json_add(ev, "processed", lk_dtapi_num(st.processed));
  ev = lk_api_json_add(ev, "dropped", lk_dtapi_num(st.dropped));
  ev = lk_api_json_add(ev, "failed", lk_dtapi_num(st.failed));
  ev = lk_api_json_add(ev, "matched", lk_dtapi_num(st.matched));
  ev = lk_api_json_add(ev, "images", lk_dtapi_num(st.images));
  ev = lk_api_json_add(ev, "published", lk_dtapi_num(st.published));
  ev = lk_api_json_add(ev, "sub_labels", lk_dtapi_num(st.sub_labels));
  o = lk_api_json_add(o, "events", ev);
  o = lk_api_json_add(o, "mqtt", cJSON_CreateBool(st.mqtt_connected));
  o = lk_api_json_add(o, "last_event", lk_dtapi_time(st.last_event));
  return o ? lk_http_resp_json(resp, 200, o) : LK_ERR_NOMEM;
}

/* ---- the table -------------------------------------------------------- */

static const struct lk_api_route lk_dtapi_rows[] = {
  { "GET", "/api/recognize", lk_dtapi_recognize_url, LK_HTTP_HEAVY },
  { "POST", "/api/recognize", lk_dtapi_recognize_event, LK_HTTP_HEAVY },
  { "POST", "/api/recognize/upload", lk_dtapi_upload, 0 },
  { "GET", "/api/camera/{camera}", lk_dtapi_camera_event, LK_HTTP_HEAVY },
  { "GET", "/api/camera/{camera}/latest.jpg", lk_dtapi_camera_latest, 0 },
  { "GET", "/api/config", lk_dtapi_config, 0 },
  { "PATCH", "/api/config", lk_dtapi_config_edit, 0 },
  { "PATCH", "/api/config/secrets", lk_dtapi_config_edit, 0 },
  { "GET", "/api/status", lk_dtapi_status, 0 },
  { "GET", "/api/status/mqtt", lk_dtapi_status_mqtt, 0 },
  { "GET", "/api/status/frigate", lk_dtapi_status_frigate, 0 },
  { "GET", "/api/status/auth", lk_dtapi_status_auth, 0 },
  { "GET", "/api/status/config", lk_dtapi_status_config, 0 },
};

/* t's rows into out[*n..max), their patterns under ui.path. */
static int lk_dtapi_add(struct lk_dt_api *api, struct lk_arena *arena,
                        const struct lk_dtapi_table t,
                        struct lk_http_route *out, size_t max, size_t *n)
{
  const char *base = api->cfg->ui.path ? api->cfg->ui.path : "";
  size_t i, blen = strlen(base);
  for(i = 0; i < t.n; i++) {
    size_t plen = strlen(t.rows[i].pattern);
    char *p;
    if(*n >= max || !(p = lk_arena_alloc(arena, blen + plen + 1)))
      return -1;
    memcpy(p, base, blen);
    memcpy(p + blen, t.rows[i].pattern, plen + 1);
    out[*n].method = t.rows[i].method;
    out[*n].pattern = p;
    out[*n].handler = t.rows[i].handler;
    out[*n].ctx = api;
    out[*n].flags = t.rows[i].flags;
    out[*n].on_error = lk_dt_api_error;
    (*n)++;
  }
  return 0;
}

size_t lk_dt_api_routes(struct lk_dt_api *api, struct lk_arena *arena,
                        struct lk_http_route *out, size_t max)
{
  const struct lk_dtapi_table own = {
    lk_dtapi_rows, sizeof lk_dtapi_rows / sizeof lk_dtapi_rows[0]
  };
  size_t n = 0;
  if(lk_dtapi_add(api, arena, own, out, max, &n) ||
     lk_dtapi_add(api, arena, lk_dtapi_match_table(), out, max, &n) ||
     lk_dtapi_add(api, arena, lk_dtapi_train_table(), out, max, &n))
    return 0;
  return n;
}
