/* test_dt_frigate.c - Frigate's side of Double Take: events parsed from
 * real payload shapes (current and older sub_label forms), the checks with
 * Double Take's own words, the image URLs, and sub_label POSTs against a
 * fake Frigate (tests/dt/fake_frigate.h). */
#include <string.h>

#include "base/log.h"
#include "dt/dt_frigate.h"
#include "fake_frigate.h"
#include "test.h"

/* compat-apis.md §5.1's example, trimmed */
static const char event_json[] =
  "{\"type\":\"update\",\"before\":{\"id\":\"old\",\"camera\":\"x\"},"
  "\"after\":{\"id\":\"1607123955.475377-mxklsc\",\"camera\":\"front_door\","
  "\"frame_time\":1607123962.082975,\"label\":\"person\","
  "\"sub_label\":[\"John Smith\",0.79],\"top_score\":0.958984375,"
  "\"false_positive\":false,\"score\":0.87890625,\"box\":[432,496,544,854],"
  "\"area\":40096,\"current_zones\":[\"yard\",\"driveway\"],"
  "\"has_snapshot\":true,\"attributes\":{\"face\":0.86}}}";

static struct lk_arena *arena;
static struct fake_frigate frigate;

static void test_parse(void)
{
  struct lk_dt_object ev;
  char why[LK_DT_FRIGATE_ERRMAX] = "";
  CHECK_MSG(lk_dt_frigate_parse(event_json, strlen(event_json), arena, &ev,
                              why) == LK_OK, "%s", why);
  CHECK(ev.type == LK_DT_FRIGATE_UPDATE);
  CHECK(!strcmp(ev.id, "1607123955.475377-mxklsc"));
  CHECK(!strcmp(ev.camera, "front_door") && !strcmp(ev.label, "person"));
  CHECK(ev.area == 40096 && ev.has_snapshot);
  CHECK(ev.frame_time > 1607123962.08 && ev.frame_time < 1607123962.09);
  CHECK(ev.n_zones == 2 && !strcmp(ev.zones[1], "driveway"));
  CHECK(ev.sub_label && !strcmp(ev.sub_label, "John Smith"));

  /* before only; older Frigate's plain sub_label; no zones */
  {
    const char *j = "{\"type\":\"new\",\"before\":{\"id\":\"e1\","
                    "\"camera\":\"back\",\"label\":\"person\","
                    "\"sub_label\":\"Ada\"}}";
    CHECK(lk_dt_frigate_parse(j, strlen(j), arena, &ev, why) == LK_OK);
    CHECK(ev.type == LK_DT_FRIGATE_NEW && !strcmp(ev.id, "e1"));
    CHECK(!strcmp(ev.sub_label, "Ada") && ev.n_zones == 0 && ev.area == 0);
  }
}

static void expect_bad(const char *json, const char *needle)
{
  struct lk_dt_object ev;
  char why[LK_DT_FRIGATE_ERRMAX] = "";
  CHECK_MSG(lk_dt_frigate_parse(json, strlen(json), arena, &ev, why) ==
            LK_ERR_INVAL && strstr(why, needle), "%s: '%s'", json, why);
}

static void test_parse_errors(void)
{
  expect_bad("", "not a JSON object");
  expect_bad("[1]", "not a JSON object");
  expect_bad("{\"after\":{\"id\":\"a\",\"camera\":\"c\"}}", "without a type");
  expect_bad("{\"type\":\"gone\",\"after\":{}}", "unknown event type 'gone'");
  expect_bad("{\"type\":\"new\"}", "without an after or before");
  expect_bad("{\"type\":\"new\",\"after\":{\"camera\":\"c\"}}",
             "without an id");
  expect_bad("{\"type\":\"new\",\"after\":{\"id\":\"\",\"camera\":\"c\"}}",
             "without an id");
  expect_bad("{\"type\":\"new\",\"after\":{\"id\":5,\"camera\":\"c\"}}",
             "not a string");
  expect_bad("{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"c\","
             "\"label\":[]}}", "not a string");
}

static const char *event_check(const char *json,
                               const struct lk_dt_frigate_filter *f)
{
  struct lk_dt_object ev;
  char why[LK_DT_FRIGATE_ERRMAX];
  if(lk_dt_frigate_parse(json, strlen(json), arena, &ev, why))
    return "parse failed";
  return lk_dt_frigate_check(&ev, f, arena);
}

#define EV(type, cam, label, area, zones) \
  "{\"type\":\"" type "\",\"after\":{\"id\":\"e9\",\"camera\":\"" cam "\"," \
  "\"label\":\"" label "\",\"area\":" #area ",\"current_zones\":" zones "}}"

static void test_event_checks(void)
{
  static const char *const cams[] = { "front", "back", NULL };
  static const char *const labels[] = { "person", "cat", NULL };
  static const struct lk_dt_frigate_zone zones[] = {
    { "front", "porch" }, { "front", "path" }
  };
  struct lk_dt_frigate_filter any = { NULL, NULL, NULL, 0, 0 };
  struct lk_dt_frigate_filter f = { labels, cams, zones, 2, 1000 };
  const char *r;

  CHECK(event_check(EV("new", "garage", "person", 5, "[]"), &any) == NULL);
  r = event_check(EV("end", "front", "person", 5000, "[]"), &any);
  CHECK(r && !strcmp(r, "e9 - skip processing on end events"));
  r = event_check(EV("new", "garage", "person", 5000, "[]"), &f);
  CHECK(r && !strcmp(r, "e9 - garage not on approved list"));
  r = event_check(EV("new", "front", "person", 5000, "[\"yard\"]"), &f);
  CHECK(r && !strcmp(r, "e9 - front zone not on approved list"));
  CHECK(event_check(EV("update", "front", "person", 5000,
                       "[\"yard\",\"path\"]"), &f) == NULL);
  /* zones bind only the cameras they name */
  CHECK(event_check(EV("new", "back", "cat", 5000, "[]"), &f) == NULL);
  r = event_check(EV("new", "back", "dog", 5000, "[]"), &f);
  CHECK(r && !strcmp(r, "e9 - dog label not in (person, cat)"));
  r = event_check(EV("new", "back", "car", 5000, "[]"), &any);
  CHECK(r && !strcmp(r, "e9 - car label not in (person)"));
  r = event_check(EV("new", "back", "person", 999, "[]"), &f);
  CHECK(r && !strcmp(r, "skipping object area smaller than 1000 (999)"));
}

static void test_urls(void)
{
  struct lk_dt_object ev;
  char buf[256], small[40];
  memset(&ev, 0, sizeof ev);
  ev.id = "1607123955.475377-mxklsc";
  ev.camera = "front door/1";
  CHECK(lk_dt_frigate_url(buf, sizeof buf, "http://frigate:5000/", &ev,
                          LK_DT_FRIGATE_SNAPSHOT, 500, 1) > 0);
  CHECK(!strcmp(buf, "http://frigate:5000/api/events/1607123955.475377-mxklsc"
                     "/snapshot.jpg?h=500&crop=1"));
  CHECK(lk_dt_frigate_url(buf, sizeof buf, "http://frigate:5000", &ev,
                          LK_DT_FRIGATE_SNAPSHOT, 800, 0) > 0);
  CHECK(!strcmp(buf, "http://frigate:5000/api/events/1607123955.475377-mxklsc"
                     "/snapshot.jpg?h=800"));
  CHECK(lk_dt_frigate_url(buf, sizeof buf, "http://frigate:5000//", &ev,
                          LK_DT_FRIGATE_LATEST, 500, 1) > 0);
  CHECK(!strcmp(buf, "http://frigate:5000/api/front%20door%2F1/latest.jpg"
                     "?h=500"));
  CHECK(lk_dt_frigate_url(small, sizeof small, "http://frigate:5000", &ev,
                          LK_DT_FRIGATE_SNAPSHOT, 500, 1) == -1);
  CHECK(lk_dt_frigate_url(buf, sizeof buf, "", &ev, LK_DT_FRIGATE_LATEST,
                          500, 0) ==
        -1);
}

static void test_fake_frigate_images(void)
{
  struct fake_frigate *ff = &frigate;
  struct lk_dt_object ev;
  struct lk_fetch_policy p = lk_fetch_default_policy();
  unsigned char *data = NULL;
  char url[256], why[LK_FETCH_ERRMAX];
  size_t len = 0;
  memset(&ev, 0, sizeof ev);
  ev.id = "e1";
  ev.camera = "front";
  ff->image = (const unsigned char *)"\xff\xd8\xff fake jpeg";
  ff->image_len = 13;
  CHECK(lk_dt_frigate_url(url, sizeof url, ff->url, &ev,
                          LK_DT_FRIGATE_SNAPSHOT, 500,
                          1) > 0);
  CHECK(lk_fetch_trusted(&p, NULL, url, &data, &len, NULL, why) == LK_OK);
  CHECK(len == 13 && !memcmp(data, ff->image, 13));
  CHECK(ff->snapshots == 1 && !strcmp(ff->last_query, "h=500 crop=1"));
  lk_free(data);
  CHECK(lk_dt_frigate_url(url, sizeof url, ff->url, &ev,
                          LK_DT_FRIGATE_LATEST, 320,
                          0) > 0);
  ff->status = 500;
  CHECK(lk_fetch_trusted(&p, NULL, url, &data, &len, NULL, why) ==
        LK_ERR_IO && !strcmp(why, "HTTP 500"));
  CHECK(ff->latests == 1 && !strcmp(ff->last_query, "h=320 crop=-"));
  ff->status = 0;
}

static void test_sub_label(void)
{
  struct fake_frigate *ff = &frigate;
  char why[LK_DT_FRIGATE_ERRMAX] = "", longname[300];
  size_t i;
  CHECK_MSG(lk_dt_frigate_sub_label(NULL, ff->url, "e1", "Ada Lovelace",
                                    0.91234, why) == LK_OK, "%s", why);
  CHECK(ff->n_sub_labels == 1);
  CHECK_MSG(!strcmp(ff->sub_labels[0], "e1 {\"subLabel\":\"Ada Lovelace\","
                    "\"subLabelScore\":0.9123}"), "%s", ff->sub_labels[0]);
  /* no score outside (0, 1]; a name cut to 100 bytes, not mid-character */
  for(i = 0; i < 99; i++)
    longname[i] = 'a';
  strcpy(longname + 99, "\xc3\xa9tude");
  CHECK(lk_dt_frigate_sub_label(NULL, ff->url + 0, "e2", longname, 0, why) ==
        LK_OK);
  CHECK(ff->n_sub_labels == 2 && strlen(ff->sub_labels[1]) ==
        strlen("e2 {\"subLabel\":\"\"}") + 99);
  CHECK(lk_dt_frigate_sub_label(NULL, ff->url, "gone", "Ada", 0.5, why) ==
        LK_ERR_IO && !strcmp(why, "HTTP 404"));
  CHECK(lk_dt_frigate_sub_label(NULL, "http://127.0.0.1:1", "e3", "Ada", 0.5,
                                why) == LK_ERR_IO);
}

int main(void)
{
  size_t mem0;
  lk_log_set_level(LK_LOG_ERROR);
  if(lk_fetch_init())
    return 1;
  mem0 = lk_mem_in_use();
  if(fake_frigate_start(&frigate))
    return 1;
  arena = lk_arena_create(0);
  RUN(test_parse);
  RUN(test_parse_errors);
  RUN(test_event_checks);
  RUN(test_urls);
  RUN(test_fake_frigate_images);
  RUN(test_sub_label);
  lk_arena_destroy(arena);
  fake_frigate_stop(&frigate);
  CHECK_MSG(lk_mem_in_use() == mem0, "%zu bytes left",
            lk_mem_in_use() - mem0);
  return test_report();
}
