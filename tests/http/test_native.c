/* test_native.c - the native API's gallery and documents over real HTTP
 * (native_fixture.h): people (unicode and path-like names), registering
 * by multipart, raw body and base64 with metadata, every refusal of a
 * bad image or field, faces and their pages, kept images served and
 * deleted with their faces, rename and merge, the API key, the layer's
 * own errors in this API's shape, and the OpenAPI document against the
 * route table both ways, with /docs free of external assets.
 * test_native_vision.c has recognize, detect, compare, URLs, 503 and
 * concurrent writes. */
#include "native_fixture.h"

/* ---- routes and documents --------------------------------------------- */

static void test_routes(void)
{
  static const char *const foreign[] = { "/api/v1/recognition",
    "/api/v1/detection", "/api/v1/verification", "/api/v1/static" };
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  size_t i, k, n = lk_api_native_routes(&api, routes, LK_API_MAX_ROUTES);
  CHECK(n >= 18);
  CHECK(lk_api_native_routes(&api, routes, n - 1) == 0);
  for(i = 0; i < n; i++) {
    int heavy = !strcmp(routes[i].method, "POST") &&
                strcmp(routes[i].pattern, "/api/v1/people") != 0;
    CHECK(routes[i].ctx == &api);
    CHECK(routes[i].on_error == lk_api_native_error);
    CHECK_MSG(!!(routes[i].flags & LK_HTTP_HEAVY) == heavy, "%s %s",
              routes[i].method, routes[i].pattern);
    /* CompreFace's prefixes belong to its adapter */
    for(k = 0; k < 4; k++)
      CHECK_MSG(strncmp(routes[i].pattern, foreign[k],
                        strlen(foreign[k])) != 0, "%s", routes[i].pattern);
  }
}

/* Every "$ref" in the document points at something in it. */
static int refs_ok(const cJSON *doc, const cJSON *node)
{
  const cJSON *c;
  int ok = 1;
  if(cJSON_IsString(node) && node->string && !strcmp(node->string, "$ref")) {
    const char *p = node->valuestring;
    const cJSON *at_ = doc;
    char key[128];
    if(strncmp(p, "#/", 2))
      return 0;
    for(p += 2; at_ && *p;) {
      size_t len = strcspn(p, "/");
      snprintf(key, sizeof key, "%.*s", (int)len, p);
      at_ = item(at_, key);
      p += len + (p[len] == '/');
    }
    CHECK_MSG(at_ != NULL, "dangling $ref %s", node->valuestring);
    return at_ != NULL;
  }
  cJSON_ArrayForEach(c, node)
    ok &= refs_ok(doc, c);
  return ok;
}

static void lower(const char *s, char *out, size_t n)
{
  size_t i;
  for(i = 0; s[i] && i + 1 < n; i++)
    out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
  out[i] = '\0';
}

/* The route table and the document's paths are the same set. */
static void test_openapi(void)
{
  static const char *const methods[] = { "get", "put", "post", "delete",
                                         "patch", "head", "options" };
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  size_t i, k, n = lk_api_native_routes(&api, routes, LK_API_MAX_ROUTES);
  const cJSON *path, *paths;
  char m[16];
  cJSON *doc;

  CHECK(get("/openapi.json", &doc) == 200);
  CHECK(!strncmp(json_str(doc, "openapi"), "3.0.", 4));
  CHECK(!strcmp(json_str(item(doc, "info"), "version"), LK_VERSION));
  paths = item(doc, "paths");
  for(i = 0; i < n; i++) {
    const cJSON *op;
    lower(routes[i].method, m, sizeof m);
    op = item(item(paths, routes[i].pattern), m);
    CHECK_MSG(cJSON_IsObject(op), "%s %s is not documented", m,
              routes[i].pattern);
    /* a /api/v1 route documents its 401 */
    CHECK_MSG(cJSON_IsObject(item(op, "responses")) &&
              (strncmp(routes[i].pattern, "/api/", 5) != 0 ||
               cJSON_IsObject(item(item(op, "responses"), "401"))),
              "%s %s: responses", m, routes[i].pattern);
  }
  cJSON_ArrayForEach(path, paths) {
    for(k = 0; k < sizeof methods / sizeof methods[0]; k++) {
      int found = 0;
      if(!item(path, methods[k]))
        continue;
      for(i = 0; i < n; i++) {
        lower(routes[i].method, m, sizeof m);
        found |= !strcmp(m, methods[k]) &&
                 !strcmp(routes[i].pattern, path->string);
      }
      CHECK_MSG(found, "%s %s is documented but not routed", methods[k],
                path->string);
    }
  }
  CHECK(refs_ok(doc, doc));
  cJSON_Delete(doc);
}

/* /docs: HTML from the binary that loads nothing from elsewhere. */
static void test_docs(void)
{
  struct reply r;
  char type[128], csp[256];
  const char *body;
  CHECK(call_on(port, "GET", "/docs", NULL, NULL, 0, NULL, NULL, &r) == 200);
  body = (const char *)r.body;
  CHECK(reply_header(&r, "Content-Type", type, sizeof type) &&
        !strncmp(type, "text/html", 9));
  CHECK(reply_header(&r, "Content-Security-Policy", csp, sizeof csp) &&
        strstr(csp, "default-src 'none'"));
  CHECK(r.len > 2000 && strstr(body, "<script>") &&
        strstr(body, "fetch(\"/openapi.json\")"));
  CHECK_MSG(!strstr(body, "http://") && !strstr(body, "https://") &&
            !strstr(body, "src=\"//") && !strstr(body, "href=\"//"),
            "an external URL in /docs");
  CHECK(strlen(body) == r.len);    /* no stray NUL from the embedding */
  reply_free(&r);
}

/* ---- people ----------------------------------------------------------- */

static void test_status(void)
{
  cJSON *j;
  CHECK(get("/api/v1/status", &j) == 200);
  CHECK(!strcmp(json_str(j, "version"), LK_VERSION));
  CHECK(json_num(j, "people") == 0 && json_num(j, "faces") == 0 &&
        json_num(j, "deleted_faces") == 0);
  CHECK(!strcmp(json_str(j, "detector"), "ssd"));
  CHECK(!strcmp(json_str(j, "align"), "similarity"));
  cJSON_Delete(j);
}

static void test_people(void)
{
  struct reply r;
  char loc[256], long_name[400];
  cJSON *j;

  CHECK(call_on(port, "POST", "/api/v1/people", JSON, "{\"name\":\"Ada\"}",
                14, NULL, &j, &r) == 201);
  CHECK(!strcmp(json_str(j, "name"), "Ada") && json_num(j, "faces") == 0);
  CHECK(strlen(json_str(j, "created_at")) == 24 &&
        json_str(j, "created_at")[23] == 'Z');
  CHECK(reply_header(&r, "Location", loc, sizeof loc) &&
        !strcmp(loc, "/api/v1/people/Ada"));
  reply_free(&r);
  cJSON_Delete(j);
  CHECK_ERR(send_json("POST", "/api/v1/people", "{\"name\":\"Ada\"}", &j), j,
            409, "conflict");
  /* a form works too; unicode and path-like names are just names */
  CHECK(send_form("POST", "/api/v1/people", "name=Zo%C3%AB+%E6%9D%8E", &j) ==
        201);
  CHECK(!strcmp(json_str(j, "name"), "Zo\xc3\xab \xe6\x9d\x8e"));
  cJSON_Delete(j);
  CHECK(call_on(port, "POST", "/api/v1/people", JSON, "{\"name\":\"a/b\"}",
                14, NULL, &j, &r) == 201);
  CHECK(reply_header(&r, "Location", loc, sizeof loc) &&
        !strcmp(loc, "/api/v1/people/a%2Fb"));
  reply_free(&r);
  cJSON_Delete(j);
  CHECK(send_json("POST", "/api/v1/people", "{\"name\":\"../x\"}", &j) ==
        201);
  cJSON_Delete(j);
  CHECK(person_faces("Zo%C3%AB%20%E6%9D%8E") == 0);
  CHECK(person_faces("a%2Fb") == 0);
  CHECK(person_faces("..%2Fx") == 0);
  CHECK(person_faces("Ada") == 0);

  CHECK(get("/api/v1/people", &j) == 200);
  CHECK(count(j, "people") == 4);
  CHECK(!strcmp(json_str(at(j, "people", 0), "name"), "../x"));
  CHECK(!strcmp(json_str(at(j, "people", 1), "name"), "Ada"));
  cJSON_Delete(j);

  CHECK_ERR(get("/api/v1/people/Nobody", &j), j, 404, "not_found");
  CHECK_ERR(get("/api/v1/people/a", &j), j, 404, "not_found");
  CHECK_ERR(get("/api/v1/people/%FF%FE", &j), j, 404, "not_found");
  CHECK_ERR(send_json("POST", "/api/v1/people", "{}", &j), j, 400,
            "invalid_request");
  CHECK_ERR(send_json("POST", "/api/v1/people", "{\"name\":\"\"}", &j), j,
            400, "invalid_request");
  CHECK_ERR(send_json("POST", "/api/v1/people", "{\"name\":[1]}", &j), j,
            400, "invalid_request");
  CHECK_ERR(send_form("POST", "/api/v1/people", "name=%FF", &j), j, 400,
            "invalid_request");
  memset(long_name, 'x', 300);
  memcpy(long_name, "{\"name\":\"", 9);
  memcpy(long_name + 300, "\"}", 3);
  CHECK_ERR(send_json("POST", "/api/v1/people", long_name, &j), j, 400,
            "invalid_request");
  CHECK_ERR(send_json("POST", "/api/v1/people", "{\"name\":", &j), j, 400,
            "invalid_request");
}

/* ---- registering ------------------------------------------------------ */

static double register_ok(int status, cJSON *j, const char *person)
{
  double id = json_num(j, "id");
  CHECK_MSG(status == 201, "status %d", status);
  CHECK_MSG(!strcmp(json_str(j, "person"), person), "person %s",
            json_str(j, "person"));
  CHECK(id >= 1 && box_ok(item(j, "box"), 250, 250));
  CHECK(json_num(j, "score") >= 0.5 && json_num(j, "score") <= 1);
  CHECK(json_num(j, "faces_in_image") >= 1);
  CHECK(strlen(json_str(j, "sha256")) == 64);
  CHECK(!strcmp(json_str(j, "detector"), "ssd"));
  CHECK(cJSON_IsObject(item(j, "metadata")));
  CHECK(kept_image_exists(id));
  cJSON_Delete(j);
  return id;
}

static void test_register(void)
{
  struct reply r;
  char loc[128], want[128];
  cJSON *j;
  double id;
  int status;
  int64_t before = live_faces();

  /* multipart, the file named image, with a Location */
  {
    struct mp m = { NULL, 0, 0 };
    size_t n;
    unsigned char *d = client_slurp(TONY(1), &n);
    mp_file(&m, "image", "t.jpg", "image/jpeg", d, n);
    mp_end(&m);
    CHECK(call_on(port, "POST", "/api/v1/people/Tony%20Blair/faces",
                  "multipart/form-data; boundary=" MP_BOUNDARY, m.buf, m.len,
                  NULL, &j, &r) == 201);
    free(d);
    free(m.buf);
  }
  id = json_num(j, "id");
  snprintf(want, sizeof want, "/api/v1/faces/%.0f", id);
  CHECK(reply_header(&r, "Location", loc, sizeof loc) && !strcmp(loc, want));
  snprintf(want, sizeof want, "/api/v1/faces/%.0f/image", id);
  CHECK(!strcmp(json_str(j, "image_url"), want));
  reply_free(&r);
  register_ok(201, j, "Tony Blair");
  /* a raw body */
  status = post_file("/api/v1/people/Tony%20Blair/faces", "image/jpeg",
                     TONY(2), &j);
  register_ok(status, j, "Tony Blair");
  /* base64 in JSON, with metadata kept and returned */
  CHECK(post_base64("/api/v1/people/Tony%20Blair/faces", "image", "",
                    TONY(4), ",\"metadata\":{\"camera\":\"door\",\"n\":2}",
                    &j) == 201);
  CHECK(!strcmp(json_str(item(j, "metadata"), "camera"), "door"));
  register_ok(201, j, "Tony Blair");
  /* a data: URL, and a file of any field name with metadata as text */
  status = post_base64("/api/v1/people/Halle%20Berry/faces", "image",
                       "data:image/jpeg;base64,", HALLE(1), "", &j);
  register_ok(status, j, "Halle Berry");
  CHECK(post_form("/api/v1/people/Halle%20Berry/faces", &j,
                  "photo=@" HALLE(2), "metadata={\"k\": [1, 2]}", NULL) ==
        201);
  CHECK(cJSON_GetArraySize(item(item(j, "metadata"), "k")) == 2);
  register_ok(201, j, "Halle Berry");
  CHECK(live_faces() == before + 5);
  CHECK(person_faces("Tony%20Blair") == 3);
  CHECK(person_faces("Halle%20Berry") == 2);
  /* a group photo: the largest face is stored */
  CHECK(post_form("/api/v1/people/Group/faces", &j, "image=@" GROUP, NULL) ==
        201);
  CHECK(json_num(j, "faces_in_image") >= 5 &&
        box_ok(item(j, "box"), 710, 473));
  id = json_num(j, "id");
  cJSON_Delete(j);
  CHECK(del("/api/v1/people/Group", &j) == 200);
  CHECK(json_num(j, "deleted_faces") == 1 && !kept_image_exists(id));
  cJSON_Delete(j);
}

/* A PNG header claiming 100000 x 100000 pixels (with valid CRCs): the
 * decoder refuses it from the header, before any memory is spent. */
static size_t bomb_png(unsigned char *out)
{
  static const unsigned char head[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
    'R', 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0 };
  static const unsigned char iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
                                        0xae, 0x42, 0x60, 0x82 };
  uint32_t crc = 0xffffffffu;
  size_t i, k;
  memcpy(out, head, sizeof head);
  for(i = 12; i < sizeof head; i++) {     /* CRC-32 of type and data */
    crc ^= head[i];
    for(k = 0; k < 8; k++)
      crc = crc >> 1 ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  for(k = 0; k < 4; k++)
    out[sizeof head + k] = (unsigned char)(crc >> (24 - 8 * k));
  memcpy(out + sizeof head + 4, iend, sizeof iend);
  return sizeof head + 4 + sizeof iend;
}

static void test_register_errors(void)
{
  static const char target[] = "/api/v1/people/Tony%20Blair/faces";
  unsigned char png[64];
  size_t n = bomb_png(png);
  cJSON *j;
  int64_t before = live_faces();

  CHECK_ERR(send_json("POST", target, "{}", &j), j, 400, "invalid_request");
  CHECK_ERR(send_json("POST", target, "{\"img\":\"abc\"}", &j), j, 400,
            "invalid_request");
  CHECK_ERR(send_json("POST", target, "{\"image\":\"!!not base64\"}", &j),
            j, 400, "invalid_request");
  CHECK_ERR(send_json("POST", target, "{\"image\":\"aGVsbG8gd29ybGQ=\"}",
                      &j), j, 400, "invalid_image");
  CHECK_ERR(send_json("POST", target, "{\"image\":", &j), j, 400,
            "invalid_request");
  CHECK_ERR(post_form(target, &j, "name=x", NULL), j, 400,
            "invalid_request");
  CHECK_ERR(post_form(target, &j, "image=@" TRUNCATED, NULL), j, 400,
            "invalid_image");
  CHECK_ERR(post_form(target, &j, "image=@" FORMATS "empty.png", NULL), j,
            400, "invalid_image");
  CHECK_ERR(post_form(target, &j, "image=@" FORMATS "corrupted.png", NULL),
            j, 400, "invalid_image");
  CHECK_ERR(post_form(target, &j, "image=@" FORMATS "einstein.gif", NULL), j,
            415, "unsupported_media_type");
  CHECK_ERR(post_form(target, &j, "image=@" NOFACE, NULL), j, 400,
            "no_face");
  CHECK_ERR(call("POST", target, "image/png", png, n, &j), j, 413,
            "too_large");
  CHECK_ERR(post_file(target, "text/plain", TONY(4), &j), j, 415,
            "unsupported_media_type");
  CHECK_ERR(call("POST", target, NULL, NULL, 0, &j), j, 400,
            "invalid_request");
  CHECK_ERR(post_form(target, &j, "image=@" TONY(4), "metadata=[1]", NULL), j,
            400, "invalid_request");
  CHECK_ERR(post_form(target, &j, "image=@" TONY(4), "metadata={oops", NULL),
            j, 400, "invalid_request");
  CHECK_ERR(post_form("/api/v1/people/%FF/faces", &j, "image=@" TONY(4),
                      NULL), j, 400, "invalid_request");
  /* metadata over the store's 64 KiB, refused before the image is read */
  {
    size_t big = LK_STORE_META_MAX + 100;
    char *body = malloc(big + 64);
    memcpy(body, "{\"image\":\"\",\"metadata\":{\"a\":\"", 29);
    memset(body + 29, 'x', big);
    memcpy(body + 29 + big, "\"}}", 4);
    CHECK_ERR(send_json("POST", target, body, &j), j, 413, "too_large");
    free(body);
  }
  CHECK(live_faces() == before);
}

/* ---- faces ------------------------------------------------------------ */

static void test_faces(void)
{
  static const char *const bad[] = { "limit=0", "limit=1001", "offset=-1",
                                     "offset=abc", "limit=2.5" };
  char target[128];
  double first, second;
  size_t i;
  cJSON *j;

  CHECK(get("/api/v1/faces", &j) == 200);
  CHECK(json_num(j, "total") == (double)live_faces() &&
        count(j, "faces") == (int)live_faces());
  CHECK(json_num(j, "offset") == 0 && json_num(j, "limit") == 100);
  first = json_num(at(j, "faces", 0), "id");
  second = json_num(at(j, "faces", 1), "id");
  CHECK(first >= 1 && second > first);
  cJSON_Delete(j);
  CHECK(get("/api/v1/faces?offset=1&limit=1", &j) == 200);
  CHECK(count(j, "faces") == 1 && json_num(at(j, "faces", 0), "id") == second);
  cJSON_Delete(j);
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(target, sizeof target, "/api/v1/faces?%s", bad[i]);
    CHECK_ERR(get(target, &j), j, 400, "invalid_request");
  }
  CHECK(get("/api/v1/people/Tony%20Blair/faces?limit=2", &j) == 200);
  CHECK(count(j, "faces") == 2 && json_num(j, "total") == 3);
  CHECK(!strcmp(json_str(at(j, "faces", 1), "person"), "Tony Blair"));
  cJSON_Delete(j);
  CHECK_ERR(get("/api/v1/people/Nobody/faces", &j), j, 404, "not_found");

  snprintf(target, sizeof target, "/api/v1/faces/%.0f", first);
  CHECK(get(target, &j) == 200);
  CHECK(json_num(j, "id") == first && !strcmp(json_str(j, "person"),
                                              "Tony Blair"));
  CHECK(!item(j, "box"));      /* only a registration's answer has one */
  cJSON_Delete(j);
  CHECK_ERR(get("/api/v1/faces/abc", &j), j, 400, "invalid_request");
  CHECK_ERR(get("/api/v1/faces/0", &j), j, 400, "invalid_request");
  CHECK_ERR(get("/api/v1/faces/12x", &j), j, 400, "invalid_request");
  CHECK_ERR(get("/api/v1/faces/99999999999999999999", &j), j, 400,
            "invalid_request");
  CHECK_ERR(get("/api/v1/faces/999999", &j), j, 404, "not_found");
  CHECK_ERR(get("/api/v1/faces/999999/image", &j), j, 404, "not_found");
}

/* The kept image is the uploaded file, byte for byte; a delete takes the
 * face and its file. */
static void test_face_image_delete(void)
{
  struct reply r;
  char target[128], type[64];
  size_t n;
  unsigned char *orig = client_slurp(TONY(2), &n);
  double id;
  cJSON *j;

  CHECK(post_file("/api/v1/people/Tony%20Blair/faces", "image/jpeg", TONY(2),
                  &j) == 201);
  id = json_num(j, "id");
  cJSON_Delete(j);
  snprintf(target, sizeof target, "/api/v1/faces/%.0f/image", id);
  CHECK(call_on(port, "GET", target, NULL, NULL, 0, NULL, NULL, &r) == 200);
  CHECK(reply_header(&r, "Content-Type", type, sizeof type) &&
        !strcmp(type, "image/jpeg"));
  CHECK(r.len == n && !memcmp(r.body, orig, n));
  reply_free(&r);
  free(orig);
  snprintf(target, sizeof target, "/api/v1/faces/%.0f", id);
  CHECK(kept_image_exists(id));
  CHECK(del(target, &j) == 200);
  CHECK(json_num(j, "id") == id && cJSON_IsTrue(item(j, "deleted")));
  cJSON_Delete(j);
  CHECK(!kept_image_exists(id));
  CHECK_ERR(get(target, &j), j, 404, "not_found");
  CHECK_ERR(del(target, &j), j, 404, "not_found");
  snprintf(target, sizeof target, "/api/v1/faces/%.0f/image", id);
  CHECK_ERR(get(target, &j), j, 404, "not_found");
}

/* A face stored without a kept image (straight into the store) has a
 * face but no image: a 404 that says so. */
static void test_face_without_image(void)
{
  struct lk_store_face_new f = { 0 };
  float d[LK_STORE_DIM] = { 0.1f };
  int64_t id = 0;
  char target[128];
  cJSON *j;
  f.person = "Ada";
  f.descriptor = d;
  CHECK(lk_store_face_add(store, &f, &id) == LK_OK);
  snprintf(target, sizeof target, "/api/v1/faces/%lld", (long long)id);
  CHECK(get(target, &j) == 200);
  CHECK(cJSON_IsNull(item(j, "image_url")) && cJSON_IsNull(item(j, "sha256")));
  cJSON_Delete(j);
  snprintf(target, sizeof target, "/api/v1/faces/%lld/image", (long long)id);
  CHECK(get(target, &j) == 404 &&
        strstr(json_str(item(j, "error"), "message"), "no kept image"));
  cJSON_Delete(j);
  CHECK(del("/api/v1/people/Ada/faces", &j) == 200);
  CHECK(json_num(j, "deleted_faces") == 1 && !strcmp(json_str(j, "name"),
                                                     "Ada"));
  cJSON_Delete(j);
  CHECK(person_faces("Ada") == 0);    /* cleared, still there */
}

/* ---- rename, merge, delete -------------------------------------------- */

static void test_rename(void)
{
  cJSON *j;
  double tony = person_faces("Tony%20Blair");
  double halle = person_faces("Halle%20Berry");

  CHECK(send_json("PATCH", "/api/v1/people/Tony%20Blair",
                  "{\"name\":\"Tony\"}", &j) == 200);
  CHECK(!strcmp(json_str(j, "name"), "Tony") && json_num(j, "faces") == tony);
  cJSON_Delete(j);
  CHECK(person_faces("Tony%20Blair") == -1);
  CHECK_ERR(send_json("PATCH", "/api/v1/people/Halle%20Berry",
                      "{\"name\":\"Tony\"}", &j), j, 409, "conflict");
  CHECK_ERR(send_json("PATCH", "/api/v1/people/Halle%20Berry",
                      "{\"name\":\"Tony\",\"merge\":\"perhaps\"}", &j), j,
            400, "invalid_request");
  CHECK(send_form("PATCH", "/api/v1/people/Halle%20Berry",
                  "name=Tony&merge=true", &j) == 200);
  CHECK(json_num(j, "faces") == tony + halle);
  cJSON_Delete(j);
  CHECK(person_faces("Halle%20Berry") == -1);
  /* the same name changes nothing */
  CHECK(send_json("PATCH", "/api/v1/people/Tony", "{\"name\":\"Tony\"}", &j)
        == 200);
  cJSON_Delete(j);
  CHECK_ERR(send_json("PATCH", "/api/v1/people/Nobody", "{\"name\":\"X\"}",
                      &j), j, 404, "not_found");
  CHECK_ERR(send_json("PATCH", "/api/v1/people/Tony", "{}", &j), j, 400,
            "invalid_request");
  CHECK_ERR(send_json("PATCH", "/api/v1/people/Tony", "{\"name\":\"\"}", &j),
            j, 400, "invalid_request");
  /* back as they were, for the tests after this one */
  CHECK(send_json("PATCH", "/api/v1/people/Tony",
                  "{\"name\":\"Tony Blair\"}", &j) == 200);
  cJSON_Delete(j);
}

static void test_delete_person(void)
{
  double id;
  cJSON *j;
  CHECK(post_form("/api/v1/people/Temp/faces", &j, "image=@" AGASSI, NULL) ==
        201);
  id = json_num(j, "id");
  cJSON_Delete(j);
  CHECK(kept_image_exists(id));
  CHECK(del("/api/v1/people/Temp", &j) == 200);
  CHECK(!strcmp(json_str(j, "name"), "Temp") &&
        json_num(j, "deleted_faces") == 1);
  cJSON_Delete(j);
  CHECK(!kept_image_exists(id));
  CHECK(person_faces("Temp") == -1);
  CHECK_ERR(del("/api/v1/people/Temp", &j), j, 404, "not_found");
  CHECK_ERR(del("/api/v1/people/Temp/faces", &j), j, 404, "not_found");
  CHECK(del("/api/v1/people/a%2Fb", &j) == 200);
  cJSON_Delete(j);
  CHECK(person_faces("a%2Fb") == -1 && person_faces("..%2Fx") == 0);
}

static int with_header(const char *method, const char *target,
                       const char *headers, cJSON **out, struct reply *r)
{
  return call_on(port, method, target, NULL, NULL, 0, headers, out, r);
}

static void test_auth(void)
{
  static const char *const wrong[] = { NULL, "Authorization: Bearer nope\r\n",
    "Authorization: Bearer s3cre\r\n", "Authorization: Bearer s3crets\r\n",
    "Authorization: Basic czNjcmV0Og==\r\n", "X-API-Key: S3CRET\r\n",
    "Authorization: s3cret\r\n" };
  static const char *const right[] = { "Authorization: Bearer s3cret\r\n",
    "authorization: bearer   s3cret\r\n", "X-API-Key: s3cret\r\n" };
  struct reply r;
  char www[64];
  size_t i;
  cJSON *j;

  api_cfg.native_api_key = "s3cret";
  for(i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    CHECK(with_header("GET", "/api/v1/people", wrong[i], &j, &r) == 401);
    CHECK(reply_header(&r, "WWW-Authenticate", www, sizeof www) &&
          !strncmp(www, "Bearer", 6));
    reply_free(&r);
    CHECK_ERR(401, j, 401, "unauthorized");
  }
  for(i = 0; i < sizeof right / sizeof right[0]; i++) {
    CHECK(with_header("GET", "/api/v1/status", right[i], &j, NULL) == 200);
    cJSON_Delete(j);
  }
  /* before anything else: no image needed to be refused */
  CHECK_ERR(call("POST", "/api/v1/recognize", NULL, NULL, 0, &j), j, 401,
            "unauthorized");
  CHECK_ERR(del("/api/v1/people/Tony%20Blair", &j), j, 401, "unauthorized");
  CHECK(person_faces("Tony%20Blair") == -1);      /* refused too */
  /* the document and the page stay open */
  CHECK(get("/openapi.json", &j) == 200);
  cJSON_Delete(j);
  CHECK(with_header("GET", "/docs", NULL, NULL, NULL) == 200);
  api_cfg.native_api_key = NULL;
  CHECK(person_faces("Tony%20Blair") >= 1);
}

static void test_layer_errors(void)
{
  static const char huge[] = "POST /api/v1/recognize HTTP/1.1\r\nHost: t\r\n"
    "Content-Type: image/jpeg\r\nContent-Length: 999999999\r\n\r\n";
  struct reply r;
  cJSON *j;
  CHECK_ERR(get("/api/v1/nope", &j), j, 404, "not_found");
  CHECK_ERR(call("PUT", "/api/v1/people", JSON, "{}", 2, &j), j, 405,
            "method_not_allowed");
  CHECK_ERR(send_json("PATCH", "/api/v1/people/Tony%20Blair", "[1,", &j), j,
            400, "invalid_request");
  CHECK(http_raw(port, huge, sizeof huge - 1, &r) == 0 && r.status == 413);
  j = reply_json(&r);
  CHECK_ERR(r.status, j, 413, "too_large");
  reply_free(&r);
}

int main(void)
{
  if(native_start("native"))
    return 1;
  RUN(test_routes);
  RUN(test_openapi);
  RUN(test_docs);
  RUN(test_status);
  RUN(test_people);
  RUN(test_register);
  RUN(test_register_errors);
  RUN(test_faces);
  RUN(test_face_image_delete);
  RUN(test_face_without_image);
  RUN(test_rename);
  RUN(test_delete_person);
  RUN(test_auth);
  RUN(test_layer_errors);
  RUN(test_teardown);
  return fixture_end();
}
