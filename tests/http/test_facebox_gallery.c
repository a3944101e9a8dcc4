/* test_facebox_gallery.c - Facebox's gallery operations over real HTTP on
 * the real models and a real SQLite gallery: PATCH teach/{id}, rename with
 * merge, faces added through another API (their id is their person's
 * name), the state file (download, idempotent re-upload, restore after
 * removals, upload by url, all-or-nothing upload past the gallery's
 * limit), more faces than one page of the adapter's gallery walk, and
 * Double Take's untrain (DELETE teach/<name>). Memory in use returns to
 * where it started once everything is torn down. */
#include "facebox_harness.h"

/* The gallery the tests below work on, taught over HTTP: Biden by two
 * ids, Kit and Lucy by one each, Halle as Double Take teaches (id=name). */
static void test_teach_gallery(void)
{
  cJSON *j;
  CHECK_OK(post("/facebox/teach", &j, "file=@" BIDEN(3), "name=Joseph Biden",
                "id=biden3.jpg", NULL), j);
  CHECK_OK(post("/facebox/teach", &j, "file=@" BIDEN(4), "name=Joseph Biden",
                "id=biden4.jpg", NULL), j);
  CHECK_OK(post("/facebox/teach", &j, "file=@" KIT1, "name=Kit Harington",
                "id=kit1", NULL), j);
  CHECK_OK(post("/facebox/teach", &j, "file=@" LUCY(1), "name=Lucy Liu",
                "id=lucy1", NULL), j);
  CHECK_OK(post("/facebox/teach?name=Halle%20Berry&id=Halle%20Berry", &j,
                "file=@" HALLE(2), NULL), j);
  CHECK_OK(post("/facebox/teach?name=Halle%20Berry&id=Halle%20Berry", &j,
                "file=@" HALLE(4), NULL), j);
  CHECK(live_faces() == 6);
}

/* GET /facebox/state with its shape checked; the body, malloc'd. */
static char *state_get(void)
{
  struct reply r;
  char disp[128];
  cJSON *j;
  char *body;
  CHECK(call("GET", "/facebox/state", NULL, NULL, 0, &j, &r) == 200);
  CHECK(reply_header(&r, "Content-Disposition", disp, sizeof disp) &&
        !strcmp(disp, "attachment; filename=\"state.facebox\""));
  CHECK(keys_are(j, "format,version,faces"));
  CHECK(!strcmp(json_str(j, "format"), "likeness-facebox-state"));
  CHECK(json_num(j, "version") == 1);
  CHECK(count(j, "faces") == live_faces());
  body = strdup((const char *)r.body);
  reply_free(&r);
  cJSON_Delete(j);
  return body;
}

/* POST /facebox/state with state as the form file. */
static int state_post(const char *state, cJSON **out)
{
  struct mp m = { NULL, 0, 0 };
  int status;
  mp_file(&m, "file", "state.facebox", "application/octet-stream", state,
          strlen(state));
  mp_end(&m);
  status = call("POST", "/facebox/state", "multipart/form-data; boundary="
                MP_BOUNDARY, m.buf, m.len, out, NULL);
  free(m.buf);
  return status;
}

/* The faces of a state file as sorted "id|name|faceprint" lines. */
static void state_lines(const char *state, char *out, size_t size)
{
  cJSON *j = cJSON_Parse(state);
  const cJSON *f;
  char *lines[MAX_FACES];
  int n = 0, i, k;
  size_t len = 0;
  cJSON_ArrayForEach(f, item(j, "faces")) {
    CHECK(n < MAX_FACES);
    lines[n] = malloc(1024);
    snprintf(lines[n], 1024, "%s|%s|%s\n", item(f, "id") ? json_str(f, "id")
             : "-", json_str(f, "name"), json_str(f, "faceprint"));
    n++;
  }
  for(i = 1; i < n; i++)
    for(k = i; k > 0 && strcmp(lines[k - 1], lines[k]) > 0; k--) {
      char *t = lines[k];
      lines[k] = lines[k - 1];
      lines[k - 1] = t;
    }
  out[0] = '\0';
  for(i = 0; i < n; i++) {
    if(len + strlen(lines[i]) < size) {
      memcpy(out + len, lines[i], strlen(lines[i]) + 1);
      len += strlen(lines[i]);
    }
    free(lines[i]);
  }
  cJSON_Delete(j);
}

/* A state file of made-up faces (descriptor i: all 0.01 but the first,
 * i), each taught as id; malloc'd. */
static char *state_of(int n, const char *name, const char *id)
{
  size_t size = (size_t)n * 800 + 128, len;
  char *s = malloc(size), fp[FP_LEN + 1];
  float d[128];
  int i, k;
  for(k = 0; k < 128; k++)
    d[k] = 0.01f;
  len = (size_t)snprintf(s, size, "{\"format\":\"likeness-facebox-state\","
                         "\"version\":1,\"faces\":[");
  for(i = 0; i < n; i++) {
    d[0] = (float)i;
    make_faceprint(d, fp);
    len += (size_t)snprintf(s + len, size - len, "%s{\"name\":\"%s\",%s%s%s"
                            "\"faceprint\":\"%s\"}", i ? "," : "", name,
                            id ? "\"id\":\"" : "", id ? id : "",
                            id ? "\"," : "", fp);
  }
  snprintf(s + len, size - len, "]}");
  return s;
}

/* PATCH teach/{id} moves that id's faces; rename moves a whole name and
 * merges onto an existing one. */
static void test_rename(void)
{
  cJSON *j;
  CHECK_OK(form("PATCH", "/facebox/teach/kit1", "name=Jon+Snow", &j), j);
  j = check_file(KIT2);
  check_matched(nth(j, "faces", 0), "Jon Snow", "kit1");
  cJSON_Delete(j);
  CHECK(call("PATCH", "/facebox/teach/kit1", "application/json",
             "{\"name\":\"Kit\"}", 15, &j, NULL) == 200);
  cJSON_Delete(j);
  CHECK(faces_of("Kit") == 1);
  CHECK_OK(form("POST", "/facebox/rename", "from=Kit&to=Kit+Harington", &j),
           j);
  j = check_file(KIT2);
  check_matched(nth(j, "faces", 0), "Kit Harington", "kit1");
  cJSON_Delete(j);
  /* merge: Lucy's second photo taught under another spelling */
  CHECK_OK(post("/facebox/teach", &j, "file=@" LUCY(2), "name=L. Liu",
                "id=lucy2", NULL), j);
  CHECK_OK(form("POST", "/facebox/rename", "from=L.+Liu&to=Lucy+Liu", &j),
           j);
  CHECK(faces_of("Lucy Liu") == 2);
  CHECK(faces_of("L. Liu") == -1);
  j = check_file(LUCY(3));
  check_matched(nth(j, "faces", 0), "Lucy Liu", "lucy1|lucy2");
  cJSON_Delete(j);
  CHECK_ERROR(form("PATCH", "/facebox/teach/nope", "name=x", &j), j, 404,
              "id not found");
  CHECK_ERROR(form("PATCH", "/facebox/teach/kit1", "nom=x", &j), j, 400,
              "name required");
  CHECK_ERROR(form("POST", "/facebox/rename", "from=Nobody&to=x", &j), j,
              404, "name not found");
  CHECK_ERROR(form("POST", "/facebox/rename", "from=Kit+Harington", &j), j,
              400, "from and to required");
  CHECK(faces_of("Kit Harington") == 1);
}

/* A face added through another API answers to its person's name. */
static void test_implicit_id(void)
{
  size_t n;
  unsigned char *d = client_slurp(LIN, &n);
  struct lk_arena *a = lk_arena_create(64 << 20);
  int64_t id;
  cJSON *j;
  CHECK(lk_pipeline_register(pipe_, "Lin-Manuel Miranda", d, n, NULL, a,
                             &id, NULL) == LK_OK);
  lk_arena_destroy(a);
  free(d);
  j = check_file(LIN);
  check_matched(nth(j, "faces", 0), "Lin-Manuel Miranda",
                "Lin-Manuel Miranda");
  cJSON_Delete(j);
}

/* The state file: a download of every face; uploading it again adds
 * nothing; after removals it puts back exactly what was removed. */
static void test_state(void)
{
  static char before[64 << 10], after[64 << 10];
  char *state = state_get(), *again;
  int64_t n = live_faces();
  cJSON *j;
  state_lines(state, before, sizeof before);
  /* faces taught with an id carry it; Lin-Manuel's has none */
  CHECK(strstr(before, "biden3.jpg|Joseph Biden|lk1:") != NULL);
  CHECK(strstr(before, "-|Lin-Manuel Miranda|lk1:") != NULL);
  CHECK(state_post(state, &j) == 200);
  CHECK(keys_are(j, "success,added,skipped"));
  CHECK(json_num(j, "added") == 0 && json_num(j, "skipped") == (double)n);
  cJSON_Delete(j);
  CHECK(live_faces() == n);
  /* remove three faces, put them back from the file */
  CHECK_OK(call("DELETE", "/facebox/teach/biden4.jpg", NULL, NULL, 0, &j,
                NULL), j);
  CHECK_OK(call("DELETE", "/facebox/teach/Lin-Manuel%20Miranda", NULL, NULL,
                0, &j, NULL), j);
  CHECK_OK(call("DELETE", "/facebox/teach/lucy2", NULL, NULL, 0, &j, NULL),
           j);
  CHECK(live_faces() == n - 3);
  CHECK(state_post(state, &j) == 200);
  CHECK(json_num(j, "added") == 3 && json_num(j, "skipped") == n - 3);
  cJSON_Delete(j);
  again = state_get();
  state_lines(again, after, sizeof after);
  CHECK_MSG(!strcmp(before, after), "state differs:\n%s\n---\n%s", before,
            after);
  /* the restored faces still answer as before */
  j = check_file(LIN);
  check_matched(nth(j, "faces", 0), "Lin-Manuel Miranda",
                "Lin-Manuel Miranda");
  cJSON_Delete(j);
  free(served);
  served = state;
  served_len = strlen(state);
  free(again);
}

/* The SDK's PostStateURL, behind the same guard as images. */
static void test_state_url(void)
{
  static const char *const allow[] = { "127.0.0.0/8", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  char body[256];
  int64_t n = live_faces();
  cJSON *j;
  snprintf(body, sizeof body, "url=http%%3A%%2F%%2F127.0.0.1%%3A%u%%2F"
           "served", port);
  CHECK_ERROR(form("POST", "/facebox/state", body, &j), j, 400,
              "cannot fetch url: refused: 127.0.0.1 is a loopback address");
  p.allow = allow;
  api_cfg.fetch = &p;
  CHECK(form("POST", "/facebox/state", body, &j) == 200);
  CHECK(json_num(j, "added") == 0 && json_num(j, "skipped") == n);
  cJSON_Delete(j);
  api_cfg.fetch = NULL;
}

/* More faces than one page of the adapter's gallery walk: the state file
 * lists them all, and an id names them across pages. Then a file with one
 * face more than the gallery has room for: what it added is taken back. */
static void test_many_faces(void)
{
  int64_t n = live_faces(), room, deleted;
  char *state = state_of(BULK, "Bulk", "bulk"), *all, *filler;
  cJSON *j;
  CHECK(state_post(state, &j) == 200);
  CHECK(json_num(j, "added") == BULK && json_num(j, "skipped") == 0);
  cJSON_Delete(j);
  CHECK(live_faces() == n + BULK);
  all = state_get();
  free(all);
  CHECK(get("/facebox/similar?id=bulk&limit=100", &j) == 200);
  CHECK(count(j, "similar") == (int)n);
  cJSON_Delete(j);
  room = MAX_FACES - live_faces();
  deleted = tombstones();
  filler = state_of((int)room + 1, "Filler", NULL);
  CHECK_ERROR(state_post(filler, &j), j, 413, "gallery full");
  CHECK(live_faces() == n + BULK);
  CHECK(tombstones() == deleted + room);
  CHECK(faces_of("Filler") <= 0);
  CHECK_OK(call("DELETE", "/facebox/teach/bulk", NULL, NULL, 0, &j, NULL),
           j);
  CHECK(live_faces() == n);
  free(filler);
  free(state);
}

/* A file is checked whole before anything is stored, and a store failure
 * part-way takes back what it added. */
static void test_state_errors(void)
{
  int64_t n = live_faces(), deleted = tombstones();
  char fp[FP_LEN + 1], *big;
  float d[128];
  cJSON *j;
  int k;
  CHECK_ERROR(state_post("{oops", &j), j, 400, "state file is not JSON");
  CHECK_ERROR(state_post("{\"faces\":[]}", &j), j, 400, "not a likeness "
              "state file (Facebox's own state files cannot be read)");
  CHECK_ERROR(state_post("{\"format\":\"likeness-facebox-state\","
                         "\"version\":2,\"faces\":[]}", &j), j, 400,
              "state file: version 1 with a faces array expected");
  for(k = 0; k < 128; k++)
    d[k] = 0.02f * (float)k;
  make_faceprint(d, fp);
  big = malloc(64 << 10);
  snprintf(big, 64 << 10, "{\"format\":\"likeness-facebox-state\","
           "\"version\":1,\"faces\":[{\"name\":\"A\",\"faceprint\":\"%s\"},"
           "{\"name\":\"B\",\"faceprint\":\"lk1:AAAA\"}]}", fp);
  CHECK_ERROR(state_post(big, &j), j, 400, "state file: faces[1]: no "
              "faceprint, or not one of ours");
  snprintf(big, 64 << 10, "{\"format\":\"likeness-facebox-state\","
           "\"version\":1,\"faces\":[{\"name\":\"A\",\"id\":7,"
           "\"faceprint\":\"%s\"}]}", fp);
  CHECK_ERROR(state_post(big, &j), j, 400, "state file: faces[0]: id not "
              "a string of 1 to 256 bytes");
  CHECK_ERROR(post("/facebox/state", &j, "x=y", NULL), j, 400,
              "no state file: send a form file named file, or url");
  CHECK(live_faces() == n && tombstones() == deleted);
  free(big);
}

/* Double Take's untrain: DELETE teach/<name> forgets what it taught. */
static void test_double_take_untrain(void)
{
  int64_t n = live_faces();
  cJSON *j;
  char *js = json_b64("base64", HALLE(5), "");
  CHECK_OK(call("DELETE", "/facebox/teach/Halle%20Berry", NULL, NULL, 0, &j,
                NULL), j);
  CHECK(live_faces() == n - 2);
  CHECK(json("/facebox/check", js, &j) == 200);
  check_unmatched(nth(j, "faces", 0));
  cJSON_Delete(j);
  CHECK_ERROR(call("DELETE", "/facebox/teach/Halle%20Berry", NULL, NULL, 0,
                   &j, NULL), j, 404, "id not found");
  free(js);
}

int main(void)
{
  if(facebox_start("facebox_gallery"))
    return 1;
  RUN(test_teach_gallery);
  RUN(test_rename);
  RUN(test_implicit_id);
  RUN(test_state);
  RUN(test_state_url);
  RUN(test_many_faces);
  RUN(test_state_errors);
  RUN(test_double_take_untrain);
  RUN(test_teardown);
  return facebox_end();
}
