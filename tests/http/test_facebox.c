/* test_facebox.c - Facebox's API over real HTTP on 127.0.0.1, on the real
 * models and a real SQLite gallery: teach by file, base64 form, JSON
 * base64, data: URI and faceprint, and every refusal; check (matched,
 * unknown, faceprints, every way to send the image, urls behind the SSRF
 * guard, hostile urls, a huge image); Double Take's teach; similar and
 * similars; faceprint compare and check; /info; HTTP Basic auth; the
 * layer's own errors in Facebox's shape. Also the base64 helpers of
 * api_common.c. test_facebox_gallery.c has ids, rename and the state
 * file. Memory in use returns to where it started once everything is
 * torn down. */
#include "facebox_harness.h"

static void test_routes(void)
{
  struct lk_http_route routes[LK_API_MAX_ROUTES];
  size_t i, n = lk_api_facebox_routes(&api, routes, LK_API_MAX_ROUTES);
  static const char *const heavy[] = { "POST /facebox/check",
    "POST /facebox/teach", "POST /facebox/similar", "POST /facebox/similars",
    "POST /facebox/faceprint/check" };
  CHECK(n == 13);
  CHECK(lk_api_facebox_routes(&api, routes, 12) == 0);
  for(i = 0; i < n; i++) {
    char route[128];
    size_t k;
    int want = 0;
    snprintf(route, sizeof route, "%s %s", routes[i].method,
             routes[i].pattern);
    for(k = 0; k < sizeof heavy / sizeof heavy[0]; k++)
      want |= !strcmp(route, heavy[k]);
    CHECK(routes[i].ctx == &api);
    CHECK(routes[i].on_error == lk_api_facebox_error);
    CHECK_MSG(!!(routes[i].flags & LK_HTTP_HEAVY) == want, "%s", route);
  }
}

/* RFC 4648's vectors, the URL-safe alphabet, padding optional, wrapped
 * text; every malformed form refused. */
static void test_base64(void)
{
  static const char *const plain[] = { "", "f", "fo", "foo", "foob",
                                       "fooba", "foobar" };
  static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
  static const char *const bad[] = { "Zm9v!", "Z", "Zm9vY", "Zg=a",
                                     "Zg===", "Zm8==", "=Zg", "Zm9v=" };
  unsigned char out[64];
  char text[64];
  size_t i, n;
  for(i = 0; i < 7; i++) {
    CHECK(lk_api_base64_encode(plain[i], strlen(plain[i]), text) ==
          strlen(coded[i]));
    CHECK_MSG(!strcmp(text, coded[i]), "%s -> %s", plain[i], text);
    CHECK(lk_api_base64_decode(coded[i], strlen(coded[i]), out, &n) ==
          LK_OK && n == strlen(plain[i]) && !memcmp(out, plain[i], n));
  }
  CHECK(lk_api_base64_decode("Zm9vYg", 6, out, &n) == LK_OK && n == 4 &&
        !memcmp(out, "foob", 4));
  CHECK(lk_api_base64_decode("Zm9v\r\nYmFy\n", 11, out, &n) == LK_OK &&
        n == 6 && !memcmp(out, "foobar", 6));
  CHECK(lk_api_base64_decode("-_8", 3, out, &n) == LK_OK && n == 2 &&
        out[0] == 0xfb && out[1] == 0xff);
  CHECK(lk_api_base64_decode("+/8=", 4, out, &n) == LK_OK && n == 2 &&
        out[0] == 0xfb && out[1] == 0xff);
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_MSG(lk_api_base64_decode(bad[i], strlen(bad[i]), out, &n) ==
              LK_ERR_INVAL, "%s accepted", bad[i]);
}

static void test_info(void)
{
  cJSON *j;
  CHECK(get("/info", &j) == 200);
  CHECK(keys_are(j, "success,name,version,build,status"));
  CHECK(is_true(j, "success"));
  CHECK(!strcmp(json_str(j, "name"), "facebox"));
  CHECK(json_num(j, "version") == 1);
  CHECK(!strcmp(json_str(j, "build"), "likeness " LK_VERSION));
  CHECK(!strcmp(json_str(j, "status"), "ready"));
  cJSON_Delete(j);
}

/* Biden by multipart file (the SDK's Teach, Home Assistant's teach_file)
 * and by urlencoded base64 (TeachBase64); Kit by JSON base64. */
static void test_teach(void)
{
  char *b = b64_file(BIDEN(4)), *enc = urlenc(b), *body, *js;
  cJSON *j;
  CHECK_OK(post("/facebox/teach", &j, "file=@" BIDEN(3), "name=Joseph Biden",
                "id=biden3.jpg", NULL), j);
  body = malloc(strlen(enc) + 128);
  sprintf(body, "base64=%s&name=Joseph+Biden&id=biden4.jpg", enc);
  CHECK_OK(form("POST", "/facebox/teach", body, &j), j);
  free(body);
  free(enc);
  free(b);
  js = json_b64("base64", KIT1, "\"name\":\"Kit Harington\",\"id\":\"kit1\"");
  CHECK_OK(json("/facebox/teach", js, &j), j);
  free(js);
  /* a data: URI, as a browser's readAsDataURL gives */
  b = b64_file(LUCY(1));
  enc = urlenc(b);
  body = malloc(strlen(enc) + 128);
  sprintf(body, "base64=data%%3Aimage%%2Fjpeg%%3Bbase64%%2C%s&name=Lucy+Liu"
          "&id=lucy1", enc);
  CHECK_OK(form("POST", "/facebox/teach", body, &j), j);
  free(body);
  free(enc);
  free(b);
  CHECK(faces_of("Joseph Biden") == 2);
  CHECK(faces_of("Kit Harington") == 1);
  CHECK(faces_of("Lucy Liu") == 1);
  CHECK(live_faces() == 4);
}

/* Every refusal in Facebox's shape; nothing stored, nothing tombstoned. */
static void test_teach_errors(void)
{
  int64_t before = live_faces(), deleted = tombstones();
  char longid[400], field[420];
  cJSON *j;
  memset(longid, 'x', 300);
  longid[300] = '\0';
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" TONY(3), NULL), j, 400,
              "name required");
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" TONY(3), "name=", NULL),
              j, 400, "name required");
  CHECK_ERROR(post("/facebox/teach", &j, "name=x", NULL), j, 400,
              "no image: send a form file named file, url or base64");
  CHECK_ERROR(post("/facebox/teach", &j, "image=@" TONY(3), "name=x",
                   NULL), j, 400, "no image: the form file must be named "
              "file");
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" NOFACE, "name=x", NULL),
              j, 400, "no face found in the image");
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" GROUP, "name=x", NULL),
              j, 400, "more than one face in the image: teach needs "
              "exactly one");
  /* LFW's photo 1 of Joseph Biden has a second face at its edge */
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" TONY(1), "name=x", NULL),
              j, 400, "more than one face in the image: teach needs "
              "exactly one");
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" TRUNCATED, "name=x",
                   NULL), j, 400, "invalid image");
  CHECK_ERROR(form("POST", "/facebox/teach", "name=x&base64=%21%21", &j), j,
              400, "base64 is not valid base64");
  snprintf(field, sizeof field, "id=%s", longid);
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" TONY(3), "name=x", field,
                   NULL), j, 400, "id longer than 256 bytes");
  snprintf(field, sizeof field, "name=%s", longid);
  CHECK_ERROR(post("/facebox/teach", &j, "file=@" TONY(3), field, NULL), j,
              400, "invalid name or id: 1 to 256 bytes of UTF-8");
  CHECK_ERROR(form("POST", "/facebox/teach", "name=x&faceprint=lk1%3AAAAA",
                   &j), j, 400, "faceprint is not a faceprint");
  CHECK_ERROR(json("/facebox/teach", "{\"name\":\"x\",\"faceprint\":\"abc\"}",
                   &j), j, 400, "faceprint is not a faceprint");
  CHECK(live_faces() == before);
  CHECK(tombstones() == deleted);
}

/* Double Take: name and id (= name) in the query beside a multipart file,
 * one photo per request; each teach adds a sample. */
static void test_double_take_teach(void)
{
  cJSON *j;
  CHECK_OK(post("/facebox/teach?name=Halle%20Berry&id=Halle%20Berry", &j,
                "file=@" HALLE(2), NULL), j);
  CHECK_OK(post("/facebox/teach?name=Halle%20Berry&id=Halle%20Berry", &j,
                "file=@" HALLE(4), NULL), j);
  CHECK(faces_of("Halle Berry") == 2);
}

static void test_check(void)
{
  cJSON *j = check_file(BIDEN(5));
  char *js;
  CHECK(json_num(j, "facesCount") == 1);
  check_matched(nth(j, "faces", 0), "Joseph Biden", "biden3.jpg|biden4.jpg");
  CHECK(rect_ok(item(nth(j, "faces", 0), "rect"), 250, 250));
  cJSON_Delete(j);
  j = check_file(KIT2);
  check_matched(nth(j, "faces", 0), "Kit Harington", "kit1");
  cJSON_Delete(j);
  /* a stranger: matched false, confidence 0, no name or id */
  j = check_file(ANDRE(2));
  CHECK(json_num(j, "facesCount") == 1);
  check_unmatched(nth(j, "faces", 0));
  CHECK(rect_ok(item(nth(j, "faces", 0), "rect"), 250, 250));
  cJSON_Delete(j);
  /* Home Assistant's post_image: JSON {"base64":...} */
  js = json_b64("base64", HALLE(5), "");
  CHECK(json("/facebox/check", js, &j) == 200);
  CHECK(json_num(j, "facesCount") == 1);
  check_matched(nth(j, "faces", 0), "Halle Berry", "Halle Berry");
  cJSON_Delete(j);
  free(js);
  /* no face: an empty list, not an error */
  j = check_file(NOFACE);
  CHECK(json_num(j, "facesCount") == 0 && count(j, "faces") == 0);
  cJSON_Delete(j);
}

/* A group photo: every face, largest first, each rect inside the image. */
static void test_check_group(void)
{
  cJSON *j = check_file(GROUP);
  const cJSON *f;
  double last = 1e12;
  CHECK_MSG(json_num(j, "facesCount") >= 5, "%g faces",
            json_num(j, "facesCount"));
  cJSON_ArrayForEach(f, item(j, "faces")) {
    const cJSON *r = item(f, "rect");
    double area = json_num(r, "width") * json_num(r, "height");
    CHECK(rect_ok(r, 710, 473));
    /* rounding may swap two faces of nearly equal size (bbt4.jpg has a
     * pair): allow a rounding's worth of area */
    CHECK(area <= last + json_num(r, "width") + json_num(r, "height") + 1);
    check_unmatched(f);
    last = area;
  }
  cJSON_Delete(j);
}

/* faceprint=true adds each face's faceprint, in any spelling Go's
 * ParseBool reads; a stray value is refused. */
static void test_check_faceprint(void)
{
  cJSON *j;
  char *b = b64_file(BIDEN(5)), *enc = urlenc(b), *body;
  const cJSON *f;
  body = malloc(strlen(enc) + 64);
  sprintf(body, "base64=%s&faceprint=true", enc);
  CHECK(form("POST", "/facebox/check", body, &j) == 200);
  f = nth(j, "faces", 0);
  CHECK(keys_are(f, "rect,id,name,matched,confidence,faceprint"));
  CHECK(strlen(json_str(f, "faceprint")) == FP_LEN);
  CHECK(!strncmp(json_str(f, "faceprint"), "lk1:", 4));
  cJSON_Delete(j);
  CHECK(post("/facebox/check?faceprint=1", &j, "file=@" ANDRE(2), NULL) ==
        200);
  CHECK(keys_are(nth(j, "faces", 0), "rect,matched,confidence,faceprint"));
  cJSON_Delete(j);
  CHECK(post("/facebox/check", &j, "file=@" ANDRE(2), "faceprint=false",
             NULL) == 200);
  CHECK(keys_are(nth(j, "faces", 0), "rect,matched,confidence"));
  cJSON_Delete(j);
  CHECK_ERROR(post("/facebox/check", &j, "file=@" ANDRE(2),
                   "faceprint=maybe", NULL), j, 400,
              "faceprint must be true or false");
  free(body);
  free(enc);
  free(b);
}

static void test_check_errors(void)
{
  static const char *const paths[] = { "/facebox/check", "/facebox/similar",
                                       "/facebox/similars" };
  cJSON *j;
  size_t i;
  for(i = 0; i < 3; i++) {
    CHECK_ERROR(post(paths[i], &j, "x=y", NULL), j, 400,
                "no image: send a form file named file, url or base64");
    CHECK_ERROR(post(paths[i], &j, "image=@" TONY(3), NULL), j, 400,
                "no image: the form file must be named file");
    CHECK_ERROR(post(paths[i], &j, "file=@" TRUNCATED, NULL), j, 400,
                "invalid image");
    CHECK_ERROR(json(paths[i], "{\"base64\":\"not base64!\"}", &j), j, 400,
                "base64 is not valid base64");
    CHECK_ERROR(json(paths[i], "{\"base64\":\"aGVsbG8=\"}", &j), j, 400,
                "invalid image");
  }
  CHECK_ERROR(post("/facebox/check", &j, "file=@" LK_TESTDATA
                   "/compreface_samples/_formats/einstein.gif", NULL), j,
              400, "invalid image");
}

/* An image whose JPEG header claims 65024 x 65024 pixels. */
static void test_huge_image(void)
{
  size_t n, i;
  unsigned char *d = client_slurp(TONY(3), &n);
  struct mp m = { NULL, 0, 0 };
  cJSON *j;
  /* SOF0..SOF2: FF Cx, length, precision, height, width */
  for(i = 2; i + 9 < n; i++) {
    if(d[i] == 0xff && d[i + 1] >= 0xc0 && d[i + 1] <= 0xc2) {
      d[i + 5] = d[i + 7] = 0xfe;    /* 65024 x 65024 */
      d[i + 6] = d[i + 8] = 0x00;
      break;
    }
  }
  CHECK(i + 9 < n);
  mp_file(&m, "file", "huge.jpg", "image/jpeg", d, n);
  mp_end(&m);
  CHECK_ERROR(call("POST", "/facebox/check", "multipart/form-data; "
                   "boundary=" MP_BOUNDARY, m.buf, m.len, &j, NULL), j, 413,
              "image too large");
  free(m.buf);
  free(d);
}

/* Images by url: refused by the SSRF guard, then allowed by the policy;
 * in the form, the query and a JSON body. */
static void test_url(void)
{
  static const char *const allow[] = { "127.0.0.0/8", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char target[256], body[256];
  cJSON *j;
  size_t n;
  free(served);
  served = (char *)client_slurp(BIDEN(5), &n);
  served_len = n;
  snprintf(body, sizeof body, "url=http%%3A%%2F%%2F127.0.0.1%%3A%u%%2F"
           "served", port);
  CHECK_ERROR(form("POST", "/facebox/check", body, &j), j, 400,
              "cannot fetch url: refused: 127.0.0.1 is a loopback address");
  p.allow = allow;
  api_cfg.fetch = &p;
  CHECK(form("POST", "/facebox/check", body, &j) == 200);
  check_matched(nth(j, "faces", 0), "Joseph Biden", "biden3.jpg|biden4.jpg");
  cJSON_Delete(j);
  snprintf(target, sizeof target, "/facebox/check?url=http://127.0.0.1:%u/"
           "served", port);
  CHECK(post(target, &j, NULL) == 200);
  check_matched(nth(j, "faces", 0), "Joseph Biden", "biden3.jpg|biden4.jpg");
  cJSON_Delete(j);
  snprintf(body, sizeof body, "{\"url\":\"http://127.0.0.1:%u/served\","
           "\"faceprint\":true}", port);
  CHECK(json("/facebox/check", body, &j) == 200);
  CHECK(strlen(json_str(nth(j, "faces", 0), "faceprint")) == FP_LEN);
  cJSON_Delete(j);
  snprintf(body, sizeof body, "url=http%%3A%%2F%%2F127.0.0.1%%3A%u%%2Fnope",
           port);
  CHECK_ERROR(form("POST", "/facebox/check", body, &j), j, 400,
              "cannot fetch url: HTTP 404");
  api_cfg.fetch = NULL;
}

/* What no policy opens: cloud metadata, other schemes, junk. */
static void test_hostile_url(void)
{
  static const struct {
    const char *body, *error;
  } cases[] = {
    { "url=http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data",
      "cannot fetch url: refused: 169.254.169.254 is a link-local address" },
    { "url=file%3A%2F%2F%2Fetc%2Fpasswd", NULL },
    { "url=gopher%3A%2F%2Fexample.com%2F", NULL },
    { "url=http%3A%2F%2F0x7f.1%2F", NULL },
    { "url=http%3A%2F%2F%5B%3A%3Affff%3A127.0.0.1%5D%2F", NULL },
    { "url=not%20a%20url", NULL },
  };
  size_t i;
  cJSON *j;
  for(i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int status = form("POST", "/facebox/check", cases[i].body, &j);
    CHECK_MSG(status == 400, "%s: %d", cases[i].body, status);
    CHECK(cJSON_IsFalse(item(j, "success")));
    CHECK_MSG(!strncmp(json_str(j, "error"), "cannot fetch url: ", 18),
              "%s", json_str(j, "error"));
    if(cases[i].error)
      CHECK_MSG(!strcmp(json_str(j, "error"), cases[i].error), "%s",
                json_str(j, "error"));
    cJSON_Delete(j);
  }
}

/* Similar to an image, and to a taught id (its own faces left out). */
static void test_similar(void)
{
  const cJSON *s;
  double last = 2;
  cJSON *j;
  CHECK(post("/facebox/similar", &j, "file=@" BIDEN(5), NULL) == 200);
  CHECK(keys_are(j, "success,facesCount,similar"));
  CHECK(json_num(j, "facesCount") == 1);
  CHECK(count(j, "similar") == 5);
  s = nth(j, "similar", 0);
  CHECK(keys_are(s, "id,name,confidence"));
  CHECK(!strcmp(json_str(s, "name"), "Joseph Biden"));
  CHECK(json_num(s, "confidence") >= 0.5);
  cJSON_ArrayForEach(s, item(j, "similar")) {
    CHECK(fraction_ok(json_num(s, "confidence")) &&
          json_num(s, "confidence") <= last);
    last = json_num(s, "confidence");
  }
  cJSON_Delete(j);
  CHECK(post("/facebox/similar?limit=2", &j, "file=@" BIDEN(5), NULL) ==
        200);
  CHECK(count(j, "similar") == 2);
  CHECK(!strcmp(json_str(nth(j, "similar", 1), "name"), "Joseph Biden"));
  cJSON_Delete(j);
  /* the SDK's SimilarID: biden3.jpg's nearest is Biden's other sample */
  CHECK(get("/facebox/similar?id=biden3.jpg&limit=3", &j) == 200);
  CHECK(keys_are(j, "success,similar"));
  CHECK(count(j, "similar") == 3);
  CHECK(!strcmp(json_str(nth(j, "similar", 0), "id"), "biden4.jpg"));
  CHECK(!strcmp(json_str(nth(j, "similar", 0), "name"), "Joseph Biden"));
  cJSON_ArrayForEach(s, item(j, "similar"))
    CHECK(strcmp(json_str(s, "id"), "biden3.jpg") != 0);
  cJSON_Delete(j);
  /* POST with an id and no image is the same question */
  CHECK(form("POST", "/facebox/similar", "id=Halle+Berry&limit=1", &j) ==
        200);
  CHECK(count(j, "similar") == 1);
  CHECK(strcmp(json_str(nth(j, "similar", 0), "id"), "Halle Berry") != 0);
  cJSON_Delete(j);
  CHECK_ERROR(get("/facebox/similar?id=nope", &j), j, 404, "id not found");
  CHECK_ERROR(get("/facebox/similar", &j), j, 400, "id required");
  CHECK_ERROR(get("/facebox/similar?id=biden3.jpg&limit=0", &j), j, 400,
              "limit must be a whole number from 1 to 100");
  CHECK_ERROR(get("/facebox/similar?id=biden3.jpg&limit=1.5", &j), j, 400,
              "limit must be a whole number from 1 to 100");
  CHECK_ERROR(get("/facebox/similar?id=biden3.jpg&limit=101", &j), j, 400,
              "limit must be a whole number from 1 to 100");
}

/* Every face of the group photo with its similar faces; limit in the
 * query (Similars) or the form (SimilarsBase64). */
static void test_similars(void)
{
  const cJSON *f;
  char *b = b64_file(BIDEN(5)), *enc = urlenc(b), *body;
  cJSON *j;
  CHECK(post("/facebox/similars?limit=3", &j, "file=@" GROUP, NULL) == 200);
  CHECK(keys_are(j, "success,facesCount,faces"));
  CHECK(json_num(j, "facesCount") == count(j, "faces"));
  CHECK(count(j, "faces") >= 5);
  cJSON_ArrayForEach(f, item(j, "faces")) {
    CHECK(keys_are(f, "rect,similar_faces"));
    CHECK(rect_ok(item(f, "rect"), 710, 473));
    CHECK(count(f, "similar_faces") == 3);
  }
  cJSON_Delete(j);
  body = malloc(strlen(enc) + 32);
  sprintf(body, "base64=%s&limit=2", enc);
  CHECK(form("POST", "/facebox/similars", body, &j) == 200);
  CHECK(json_num(j, "facesCount") == 1 && count(j, "faces") == 1);
  f = nth(j, "faces", 0);
  CHECK(count(f, "similar_faces") == 2);
  CHECK(!strcmp(json_str(cJSON_GetArrayItem(item(f, "similar_faces"), 0),
                         "name"), "Joseph Biden"));
  cJSON_Delete(j);
  free(body);
  free(enc);
  free(b);
}

/* compare: the target against a list, in order; check: each against the
 * gallery, as check's faces (rect zero). */
static void test_faceprints(void)
{
  char *biden = faceprint_of(BIDEN(5)), *andre = faceprint_of(ANDRE(2));
  char *halle = faceprint_of(HALLE(5)), body[4096];
  const cJSON *f;
  cJSON *j;
  snprintf(body, sizeof body, "{\"target\":\"%s\",\"faceprints\":[\"%s\","
           "\"%s\",\"%s\"]}", biden, biden, andre, halle);
  CHECK(json("/facebox/faceprint/compare", body, &j) == 200);
  CHECK(keys_are(j, "success,confidences") && is_true(j, "success"));
  CHECK(count(j, "confidences") == 3);
  CHECK(cJSON_GetArrayItem(item(j, "confidences"), 0)->valuedouble == 1);
  CHECK(cJSON_GetArrayItem(item(j, "confidences"), 1)->valuedouble < 0.1);
  CHECK(cJSON_GetArrayItem(item(j, "confidences"), 2)->valuedouble < 0.1);
  cJSON_Delete(j);
  snprintf(body, sizeof body, "{\"faceprints\":[\"%s\",\"%s\",\"%s\"]}",
           biden, andre, halle);
  CHECK(json("/facebox/faceprint/check", body, &j) == 200);
  CHECK(keys_are(j, "success,faceprints"));
  CHECK(count(j, "faceprints") == 3);
  f = nth(j, "faceprints", 0);
  check_matched(f, "Joseph Biden", "biden3.jpg|biden4.jpg");
  CHECK(json_num(item(f, "rect"), "width") == 0);
  check_unmatched(nth(j, "faceprints", 1));
  check_matched(nth(j, "faceprints", 2), "Halle Berry", "Halle Berry");
  cJSON_Delete(j);
  CHECK(json("/facebox/faceprint/compare", "{\"target\":\"lk1:\",\"face"
             "prints\":[]}", &j) == 400);
  cJSON_Delete(j);
  snprintf(body, sizeof body, "{\"target\":\"%s\",\"faceprints\":[]}",
           biden);
  CHECK(json("/facebox/faceprint/compare", body, &j) == 200);
  CHECK(count(j, "confidences") == 0);
  cJSON_Delete(j);
  free(biden);
  free(andre);
  free(halle);
}

static void test_faceprint_errors(void)
{
  float d[128];
  char fp[FP_LEN + 1], body[2048];
  cJSON *j;
  int i;
  for(i = 0; i < 128; i++)
    d[i] = 0.01f * (float)i;
  make_faceprint(d, fp);
  CHECK_ERROR(form("POST", "/facebox/faceprint/compare", "target=x", &j), j,
              400, "send a JSON object with faceprints");
  CHECK_ERROR(json("/facebox/faceprint/compare", "[1]", &j), j, 400,
              "send a JSON object with faceprints");
  CHECK_ERROR(json("/facebox/faceprint/compare", "{\"target\":\"x\"}", &j),
              j, 400, "faceprints must be an array of faceprints");
  snprintf(body, sizeof body, "{\"target\":\"%.*s\",\"faceprints\":[]}",
           FP_LEN - 4, fp);
  CHECK_ERROR(json("/facebox/faceprint/compare", body, &j), j, 400,
              "target is not a faceprint");
  snprintf(body, sizeof body, "{\"target\":\"%s\",\"faceprints\":[\"%s\","
           "7]}", fp, fp);
  CHECK_ERROR(json("/facebox/faceprint/compare", body, &j), j, 400,
              "faceprints[1] is not a faceprint");
  /* the right length with a value that is not finite */
  d[7] = NAN;
  make_faceprint(d, fp);
  snprintf(body, sizeof body, "{\"faceprints\":[\"%s\"]}", fp);
  CHECK_ERROR(json("/facebox/faceprint/check", body, &j), j, 400,
              "faceprints[0] is not a faceprint");
  CHECK_ERROR(json("/facebox/faceprint/check", "{\"faceprints\":\"x\"}",
                   &j), j, 400, "faceprints must be an array of faceprints");
  /* a faceprint of another version */
  fp[2] = '2';
  d[7] = 0;
  snprintf(body, sizeof body, "{\"faceprints\":[\"%s\"]}", fp);
  CHECK_ERROR(json("/facebox/faceprint/check", body, &j), j, 400,
              "faceprints[0] is not a faceprint");
}

/* The SDK's TeachFaceprint: a face taught without an image, then found
 * by check at (nearly) full confidence. */
static void test_teach_faceprint(void)
{
  char *andre = faceprint_of(ANDRE(2)), *enc = urlenc(andre), body[2048];
  cJSON *j;
  snprintf(body, sizeof body, "faceprint=%s&name=Andre+Agassi&id=andre-fp",
           enc);
  CHECK_OK(form("POST", "/facebox/teach", body, &j), j);
  j = check_file(ANDRE(2));
  check_matched(nth(j, "faces", 0), "Andre Agassi", "andre-fp");
  CHECK(json_num(nth(j, "faces", 0), "confidence") == 1);
  cJSON_Delete(j);
  free(enc);
  free(andre);
}

/* With a user set, every route wants HTTP Basic credentials. */
static void test_auth(void)
{
  static const char *const routes[][2] = {
    { "GET", "/info" }, { "POST", "/facebox/check" },
    { "POST", "/facebox/teach" }, { "DELETE", "/facebox/teach/biden3.jpg" },
    { "GET", "/facebox/state" }, { "POST", "/facebox/rename" },
  };
  int64_t n = live_faces();
  struct reply r;
  char www[128];
  cJSON *j;
  size_t i;
  api_cfg.facebox_user = "admin";
  api_cfg.facebox_password = "s3cret";
  for(i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    CHECK(call(routes[i][0], routes[i][1], NULL, NULL, 0, &j, &r) == 401);
    CHECK(reply_header(&r, "WWW-Authenticate", www, sizeof www) &&
          !strcmp(www, "Basic realm=\"facebox\""));
    reply_free(&r);
    CHECK_ERROR(401, j, 401, "unauthorized");
  }
  auth = "Authorization: Basic YWRtaW46czNjcmV0\r\n";        /* good */
  CHECK(get("/info", &j) == 200 && is_true(j, "success"));
  cJSON_Delete(j);
  auth = "Authorization: Basic YWRtaW46czNjcmV1\r\n";       /* s3creu */
  CHECK_ERROR(get("/info", &j), j, 401, "unauthorized");
  auth = "Authorization: Basic YWRtaW46czNjcmV0eA==\r\n";  /* s3cretx */
  CHECK_ERROR(get("/info", &j), j, 401, "unauthorized");
  auth = "Authorization: Basic cm9vdDpzM2NyZXQ=\r\n";      /* root: */
  CHECK_ERROR(get("/info", &j), j, 401, "unauthorized");
  auth = "Authorization: Bearer s3cret\r\n";
  CHECK_ERROR(get("/info", &j), j, 401, "unauthorized");
  /* no password configured: "admin:" */
  api_cfg.facebox_password = NULL;
  auth = "Authorization: Basic YWRtaW46\r\n";
  CHECK(get("/info", &j) == 200);
  cJSON_Delete(j);
  auth = "";
  api_cfg.facebox_user = NULL;
  CHECK(live_faces() == n);
}

/* The layer's own answers come in Facebox's shape too. */
static void test_layer_errors(void)
{
  cJSON *j;
  CHECK_ERROR(get("/facebox/nope", &j), j, 404, "not found");
  CHECK_ERROR(get("/facebox/check", &j), j, 405, "method not allowed");
  CHECK_ERROR(call("DELETE", "/facebox/teach", NULL, NULL, 0, &j, NULL), j,
              405, "method not allowed");
  CHECK_ERROR(json("/facebox/check", "{oops", &j), j, 400,
              "request body is not valid JSON");
  CHECK_ERROR(call("DELETE", "/facebox/teach/nope", NULL, NULL, 0, &j,
                   NULL), j, 404, "id not found");
}

int main(void)
{
  if(facebox_start("facebox"))
    return 1;
  RUN(test_routes);
  RUN(test_base64);
  RUN(test_info);
  RUN(test_teach);
  RUN(test_teach_errors);
  RUN(test_double_take_teach);
  RUN(test_check);
  RUN(test_check_group);
  RUN(test_check_faceprint);
  RUN(test_check_errors);
  RUN(test_huge_image);
  RUN(test_url);
  RUN(test_hostile_url);
  RUN(test_similar);
  RUN(test_similars);
  RUN(test_faceprints);
  RUN(test_faceprint_errors);
  RUN(test_teach_faceprint);
  RUN(test_auth);
  RUN(test_layer_errors);
  RUN(test_teardown);
  return facebox_end();
}
