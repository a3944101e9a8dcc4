/* test_dt_result.c - Double Take's results, byte for byte: the README's
 * example payloads, and tests/data/dt/double-take-v1.13.1.txt, which
 * tools/dt-reference.js wrote by running Double Take's own JavaScript
 * (detectors' normalize, recognize.util.js, mqtt.util.js, luxon) on the
 * same cases as here. Then what we do differently (names under the match
 * threshold, the area-weighted vote, topics for names with no Latin
 * letter), and memory: everything returns, and every failed allocation
 * gives LK_ERR_NOMEM without a leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt/dt_result.h"
#include "test.h"

/* ---- the reference file ----------------------------------------------- */

static char *golden;
static char *lines[512];
static size_t n_lines;

static void golden_load(void)
{
  const char *path = LK_TESTS_DIR "/data/dt/double-take-v1.13.1.txt";
  FILE *f = fopen(path, "rb");
  long size;
  char *p;
  CHECK_MSG(f != NULL, "cannot open %s", path);
  if(!f)
    exit(1);
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  rewind(f);
  golden = malloc((size_t)size + 1);
  CHECK(golden && fread(golden, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  golden[size] = '\0';
  for(p = strtok(golden, "\n"); p && n_lines < 512; p = strtok(NULL, "\n"))
    lines[n_lines++] = p;
}

/* The line after header; n_lines when it is missing. */
static size_t golden_find(const char *header)
{
  size_t i;
  for(i = 0; i < n_lines; i++)
    if(!strcmp(lines[i], header))
      return i + 1;
  CHECK_MSG(0, "reference has no \"%s\"", header);
  return n_lines;
}

static const char *golden_line(size_t i)
{
  return i < n_lines ? lines[i] : "(end of reference)";
}

/* tree printed compactly equals want (tree is freed). */
static void check_json(cJSON *tree, const char *want)
{
  char *text = tree ? cJSON_PrintUnformatted(tree) : NULL;
  CHECK_MSG(text && !strcmp(text, want), "\n got: %s\nwant: %s",
            text ? text : "(null)", want);
  cJSON_free(text);
  cJSON_Delete(tree);
}

/* ---- building cases ----------------------------------------------------- */

static struct lk_dt_thresholds th_dt(double mc, double ma, double uc,
                                     double ua)
{
  struct lk_dt_thresholds th = { mc, ma, uc, ua, 1 };
  return th;
}

static struct lk_dt_raw_face corners(const char *det, const char *subject,
                                     double conf, int x0, int y0, int x1,
                                     int y1)
{
  struct lk_dt_raw_face r = { det, subject, conf, 0,
                              lk_dt_box_corners(x0, y0, x1, y1) };
  return r;
}

#define CF(s, c, x0, y0, x1, y1) corners("compreface", s, c, x0, y0, x1, y1)
#define DS(s, c, x0, y0, x1, y1) corners("deepstack", s, c, x0, y0, x1, y1)

static struct lk_dt_raw_face fb(const char *name, int matched, double conf,
                                int top, int left, int width, int height)
{
  struct lk_dt_raw_face r = { "facebox", name, conf, matched,
                              { top, left, width, height } };
  return r;
}

/* Double Take's normalize() over one detector answer: faces in arena. */
static struct lk_dt_attempt answer(struct lk_arena *a,
                                   const struct lk_dt_thresholds *th,
                                   const char *det, double duration, int n,
                                   const char *file, const char *base64,
                                   const struct lk_dt_raw_face *raw,
                                   size_t n_raw)
{
  struct lk_dt_face *faces = lk_arena_alloc(a, (n_raw + 1) * sizeof *faces);
  struct lk_dt_attempt at = { det, duration, n, file, base64, faces, 0 };
  size_t i;
  int kept;
  CHECK(faces != NULL);
  for(i = 0; faces && i < n_raw; i++) {
    CHECK(lk_dt_face_normalize(&raw[i], th, a, &faces[at.n_faces],
                               &kept) == LK_OK);
    at.n_faces += (size_t)kept;
  }
  return at;
}

static const char *stamp(struct lk_arena *a, int64_t ms, int offset, int utc)
{
  struct lk_dt_clock c = { ms, offset, utc };
  char *text = lk_arena_alloc(a, 64);
  CHECK(text && lk_dt_time_format(&c, NULL, text, 64) == LK_OK);
  return text;
}

/* Everything one event gives, against the reference's section name: the
 * API answer, each message (topic, retain, payload) and the reset. */
static void check_event(const char *name, const struct lk_dt_group *g,
                        size_t n_groups, const struct lk_dt_event *ev,
                        const struct lk_dt_topics *t, int all,
                        struct lk_arena *a)
{
  struct lk_dt_summary s;
  struct lk_dt_message *m;
  char header[128], want[512];
  size_t i, k, n;
  int reset;
  snprintf(header, sizeof header, "== %s: answer", name);
  i = golden_find(header);
  CHECK(lk_dt_summarize(g, n_groups, a, &s) == LK_OK);
  check_json(lk_dt_result_json(ev, &s, all), golden_line(i++));
  for(reset = 0; reset < 2; reset++) {
    CHECK((reset ? lk_dt_mqtt_reset_messages : lk_dt_mqtt_messages)(
          t, ev, &s, a, &m, &n) == LK_OK);
    for(k = 0; k < n; k++, i += 2) {
      snprintf(want, sizeof want, "-- %s%s retain=%s", reset ? "reset " : "",
               m[k].topic, m[k].retain ? "true" : "false");
      CHECK_MSG(!strcmp(want, golden_line(i)), "%s: message %zu\n got: %s\n"
                "want: %s", name, k, want, golden_line(i));
      CHECK_MSG(!strcmp(m[k].payload, golden_line(i + 1)) &&
                m[k].len == strlen(m[k].payload), "%s: %s\n got: %s\nwant: %s",
                name, m[k].topic, m[k].payload, golden_line(i + 1));
    }
  }
  CHECK_MSG(i >= n_lines || !strncmp(lines[i], "==", 2),
            "%s: the reference has more messages: %s", name, lines[i]);
}

/* ---- the README ---------------------------------------------------------- */

static const char readme_david[] =
  "{\"id\":\"1623906078.684285-5l9hw6\",\"duration\":1.26,\"timestamp\":"
  "\"2021-06-17T05:01:36.030Z\",\"attempts\":3,\"camera\":\"living-room\","
  "\"zones\":[],\"match\":{\"name\":\"david\",\"confidence\":66.07,"
  "\"match\":true,\"box\":{\"top\":308,\"left\":1018,\"width\":164,"
  "\"height\":177},\"type\":\"latest\",\"duration\":0.28,\"detector\":"
  "\"compreface\",\"filename\":\"2f07d1ad-9252-43fd-9233-2786a36a15a9.jpg\","
  "\"base64\":null}}";

/* README's double-take/cameras/back-door, plus "personCount", which
 * v1.13.1's code sends and the README predates. */
static const char readme_back_door[] =
  "{\"id\":\"ff894ff3-2215-4cea-befa-43fe00898b65\",\"duration\":4.25,"
  "\"timestamp\":\"2021-06-17T03:19:55.695Z\",\"attempts\":5,\"camera\":"
  "\"back-door\",\"zones\":[],\"matches\":[{\"name\":\"david\","
  "\"confidence\":100,\"match\":true,\"box\":{\"top\":286,\"left\":744,"
  "\"width\":319,\"height\":397},\"type\":\"manual\",\"duration\":0.8,"
  "\"detector\":\"compreface\",\"filename\":"
  "\"dcb772de-d8e8-4074-9bce-15dbba5955c5.jpg\",\"base64\":null}],"
  "\"misses\":[],\"unknowns\":[],\"personCount\":1,\"counts\":{\"person\":1,"
  "\"match\":1,\"miss\":0,\"unknown\":0}}";

static void test_readme_matches_david(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_thresholds th = lk_dt_thresholds_default();
  struct lk_dt_topics t = lk_dt_topics_default();
  struct lk_dt_raw_face david = CF("david", 0.6607, 1018, 308, 1182, 485);
  struct lk_dt_attempt at[3];
  struct lk_dt_group g = { "latest", 1.1, 3, at, 3 };
  struct lk_dt_event ev = { "1623906078.684285-5l9hw6", 1.26,
                            stamp(a, 1623906096030, 0, 1), "living-room",
                            NULL, 0, NULL };
  struct lk_dt_summary s;
  at[0] = answer(a, &th, "compreface", 0.31, 1, "a.jpg", NULL, NULL, 0);
  at[1] = answer(a, &th, "compreface", 0.3, 2, "b.jpg", NULL, NULL, 0);
  at[2] = answer(a, &th, "compreface", 0.28, 3,
                 "2f07d1ad-9252-43fd-9233-2786a36a15a9.jpg", NULL, &david, 1);
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK);
  check_json(lk_dt_match_json(&ev, &s, 0), readme_david);
  CHECK(lk_dt_match_json(&ev, &s, 1) == NULL);
  check_event("readme-david", &g, 1, &ev, &t, 0, a);
  lk_arena_destroy(a);
}

static void test_readme_cameras_back_door(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_thresholds th = lk_dt_thresholds_default();
  struct lk_dt_topics t = lk_dt_topics_default();
  struct lk_dt_raw_face d[3] = {
    CF("david", 0.985, 744, 286, 1063, 683), CF("david", 1, 744, 286, 1063, 683),
    CF("david", 0.99, 744, 286, 1063, 683)
  };
  struct lk_dt_attempt at[5];
  struct lk_dt_group g = { "manual", 4.1, 5, at, 5 };
  struct lk_dt_event ev = { "ff894ff3-2215-4cea-befa-43fe00898b65", 4.25,
                            stamp(a, 1623899995695, 0, 1), "back-door", NULL,
                            0, NULL };
  struct lk_dt_summary s;
  at[0] = answer(a, &th, "compreface", 0.7, 1, "1.jpg", NULL, &d[0], 1);
  at[1] = answer(a, &th, "compreface", 0.6, 2, "2.jpg", NULL, NULL, 0);
  at[2] = answer(a, &th, "compreface", 0.8, 3,
                 "dcb772de-d8e8-4074-9bce-15dbba5955c5.jpg", NULL, &d[1], 1);
  at[3] = answer(a, &th, "compreface", 0.6, 4, "4.jpg", NULL, NULL, 0);
  at[4] = answer(a, &th, "compreface", 0.9, 5, "5.jpg", NULL, &d[2], 1);
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK);
  check_json(lk_dt_camera_json(&ev, &s, 0), readme_back_door);
  check_event("readme-back-door", &g, 1, &ev, &t, 0, a);
  lk_arena_destroy(a);
}

/* ---- Double Take's own output ------------------------------------------- */

/* Three detectors over two loops: matches replaced by better ones, misses
 * with both checks, unknowns of equal confidence kept in order, a small
 * unknown dropped, a detector that failed, base64, token, ?results=all,
 * a camera with capitals and a space, custom topics. */
static void test_reference_mixed_event(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_thresholds th = th_dt(60, 10000, 40, 900);
  struct lk_dt_topics t = { "dt/m", "dt/c", "ha", NULL };
  const struct lk_dt_raw_face a1[] = {
    CF("Alice", 0.70123, 100, 50, 220, 180), CF("Bob", 0.3, 400, 60, 460, 130),
    CF(NULL, 0, 0, 0, 20, 20)
  }, a2[] = {
    DS("alice", 0.75, 100, 50, 220, 180), DS("Carol", 0.5512, 300, 40, 380, 110),
    DS("unknown", 0, 500, 40, 550, 140)
  }, a3[] = {
    CF("alice", 0.70123, 101, 51, 221, 181), CF("bob", 0.35, 400, 60, 460, 130)
  }, a5[] = {
    fb("Bob Smith", 1, 0.9, 10, 20, 150, 160), fb("carol", 1, 0.58, 30, 300, 50, 60),
    fb("zed", 0, 0.35, 30, 500, 40, 50)
  };
  const char *zones[] = { "porch", "yard" };
  struct lk_dt_attempt latest[4], snapshot[1];
  struct lk_dt_group g[2] = { { "latest", 2.5, 2, latest, 4 },
                              { "snapshot", 1.9, 1, snapshot, 1 } };
  /* 4.567 s: Double Take rounds it (to 4.57) where it measures it */
  struct lk_dt_event ev = { "1623906078.684285-5l9hw6", 4.567,
                            stamp(a, 1623906096030, -240, 0), "Front Door",
                            zones, 2, "tok.en" };
  latest[0] = answer(a, &th, "compreface", 0.41, 1, "l1.jpg", NULL, a1, 3);
  latest[1] = answer(a, &th, "deepstack", 0.22, 1, "l1.jpg", NULL, a2, 3);
  latest[2] = answer(a, &th, "compreface", 0.38, 2, "l2.jpg", NULL, a3, 2);
  latest[3] = answer(a, &th, "deepstack", 0, 2, "l2.jpg", NULL, NULL, 0);
  snapshot[0] = answer(a, &th, "facebox", 0.6, 1, "s1.jpg", "QUJD", a5, 3);
  CHECK(latest[0].n_faces == 2);      /* the 20x20 unknown went */
  check_event("mixed", g, 2, &ev, &t, 1, a);
  lk_arena_destroy(a);
}

/* Object.values() puts names that are array indices first. */
static void test_reference_index_names(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_thresholds th = lk_dt_thresholds_default();
  struct lk_dt_topics t = { "m", "c", NULL, NULL };
  const char *names[] = { "zed", "42", "7", "alice", "007" };
  struct lk_dt_raw_face raw[5];
  struct lk_dt_attempt at;
  struct lk_dt_group g = { "manual", 1, 1, &at, 1 };
  struct lk_dt_event ev = { "k", 1, "t", "c", NULL, 0, NULL };
  int i;
  for(i = 0; i < 5; i++)
    raw[i] = CF(names[i], 0.9, i * 200, 0, i * 200 + 150, 150);
  at = answer(a, &th, "compreface", 0.5, 1, "k.jpg", NULL, raw, 5);
  check_event("index-keys", &g, 1, &ev, &t, 0, a);
  lk_arena_destroy(a);
}

/* One face at a time, as each detector's normalize() gives it. */
static void test_reference_faces(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct {
    struct lk_dt_thresholds th;
    struct lk_dt_raw_face raw[2];
    size_t n;
  } cases[] = {
    { th_dt(60, 10000, 40, 0), { CF("Dävid", 0.6607, 0, 0, 164, 177) }, 1 },
    { th_dt(60, 10000, 40, 0), { CF("david", 0.50, 0, 0, 90, 100) }, 1 },
    { th_dt(60, 10000, 40, 0), { CF("david", 0.3999, 0, 0, 200, 200) }, 1 },
    { th_dt(62.5, 10000.5, 40, 0), { CF("david", 0.5, 0, 0, 200, 200) }, 1 },
    { th_dt(60, 10000, 40, 500), { CF(NULL, 0, 0, 0, 10, 10),
                                   CF(NULL, 0, 0, 0, 30, 30) }, 2 },
    { th_dt(60, 10000, 40, 0), { DS("unknown", 0.8, 0, 0, 200, 200) }, 1 },
    { th_dt(60, 10000, 40, 0), { fb("Ann", 0, 0.9, 0, 0, 200, 200) }, 1 },
  };
  size_t c, i = golden_find("== faces"), k;
  for(c = 0; c < sizeof cases / sizeof cases[0]; c++, i++) {
    cJSON *list = cJSON_CreateArray();
    for(k = 0; k < cases[c].n; k++) {
      struct lk_dt_face f;
      int kept;
      CHECK(lk_dt_face_normalize(&cases[c].raw[k], &cases[c].th, a, &f,
                                 &kept) == LK_OK);
      if(kept)
        cJSON_AddItemToArray(list, lk_dt_face_json(&f, 0));
    }
    check_json(list, golden_line(i));
  }
  lk_arena_destroy(a);
}

/* Numbers and text as Double Take's JavaScript writes them. */
static void test_reference_numbers_and_text(void)
{
  static const double pct[] = { 0.6607, 0.66075, 0.01125, 0.285, 0.999949,
                                0.123456 };
  static const double fixed[] = { 1.125, 1.005, 2.675, -1.125, 0.125, 1.255,
                                  8.345 };
  static const double plain[] = { 66.07, 100, 0.8, 1e21, 1e-7,
                                  123456789012345680000.0, 0.000001, -0.0,
                                  62.5, 0.1 + 0.2, 10000, -3.5e-9 };
  static const char *words[] = { "ÉMILE Zoë", "ИВАН Ёлкин", "ΆΛΦΑ", "İstanbul",
                                 "ŸĲŁŽ", "ԱՐԱՄ", "ẠẤ" };
  static const char *names[] = { "David Smith", "Jean-Luc O'Brien",
                                 "john.doe", " anne\t marie ", "Zoë", "a_b" };
  struct lk_arena *a = lk_arena_create(1 << 20);
  char line[1024], num[LK_DT_NUMBER_MAX];
  size_t i, row = golden_find("== numbers");
#define JOIN(list, sep, expr) do { \
    line[0] = '\0'; \
    for(i = 0; i < sizeof list / sizeof list[0]; i++) { \
      if(i) \
        strncat(line, sep, sizeof line - strlen(line) - 1); \
      strncat(line, (expr), sizeof line - strlen(line) - 1); \
    } \
    CHECK_MSG(!strcmp(line, golden_line(row)), "\n got: %s\nwant: %s", \
              line, golden_line(row)); \
    row++; \
  } while(0)
  JOIN(pct, " ", (lk_dt_number_text(lk_dt_round2(pct[i] * 100), num), num));
  JOIN(fixed, " ", (lk_dt_number_text(lk_dt_round2(fixed[i]), num), num));
  JOIN(plain, " ", (lk_dt_number_text(plain[i], num), num));
  JOIN(words, "|", lk_dt_lower(a, words[i]));
  JOIN(names, "|", lk_dt_topic_name(a, names[i]));
#undef JOIN
  lk_arena_destroy(a);
}

/* The offsets of the reference's zones at its instants (June 2021). */
static int zone_offset(const char *zone, int *utc)
{
  static const struct { const char *name; int offset; } z[] = {
    { "UTC", 0 }, { "Europe/Berlin", 120 }, { "America/New_York", -240 },
    { "Europe/London", 60 }, { "Asia/Kolkata", 330 }, { "Africa/Abidjan", 0 }
  };
  size_t i;
  *utc = !strcmp(zone, "UTC");
  for(i = 0; i < sizeof z / sizeof z[0]; i++)
    if(!strcmp(zone, z[i].name))
      return z[i].offset;
  CHECK_MSG(0, "no offset for zone %s", zone);
  return 0;
}

/* Lines "<ms> <zone> <format> => <text>", format "null" for ISO. */
static void test_reference_timestamps(void)
{
  size_t i = golden_find("== time");
  int n = 0;
  for(; i < n_lines && strncmp(lines[i], "==", 2); i++, n++) {
    char zone[64], fmt[128], got[128];
    const char *p = strchr(lines[i], ' '), *q, *arrow = strstr(lines[i], " => ");
    struct lk_dt_clock c;
    CHECK(p && arrow);
    if(!p || !arrow)
      continue;
    c.unix_ms = strtoll(lines[i], NULL, 10);
    q = strchr(p + 1, ' ');
    snprintf(zone, sizeof zone, "%.*s", (int)(q - p - 1), p + 1);
    snprintf(fmt, sizeof fmt, "%.*s", (int)(arrow - q - 1), q + 1);
    c.offset_min = zone_offset(zone, &c.utc);
    CHECK(lk_dt_time_format(&c, strcmp(fmt, "null") ? fmt : NULL, got,
                            sizeof got) == LK_OK);
    CHECK_MSG(!strcmp(got, arrow + 4), "%s %s: got %s", zone, fmt, got);
  }
  CHECK(n >= 20);
}

/* ---- what we do differently ---------------------------------------------- */

/* A face under the match threshold is "unknown", with Double Take's own
 * reasons; Double Take (name_below_match) would name it as a miss. */
static void test_unknown_below_match(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_thresholds ours = lk_dt_thresholds_default();
  struct lk_dt_thresholds dt = ours;
  struct lk_dt_raw_face near = CF("David", 0.55, 0, 0, 200, 200);
  struct lk_dt_raw_face small = CF("David", 0.95, 0, 0, 90, 100);
  struct lk_dt_face f;
  int kept;
  dt.name_below_match = 1;
  CHECK(lk_dt_face_normalize(&near, &ours, a, &f, &kept) == LK_OK && kept);
  CHECK(!strcmp(f.name, "unknown") && !f.match && f.confidence == 55);
  CHECK(f.n_checks == 1 && !strcmp(f.checks[0], "confidence too low: 55 < 60"));
  CHECK(lk_dt_face_normalize(&near, &dt, a, &f, &kept) == LK_OK && kept);
  CHECK(!strcmp(f.name, "david") && !f.match);
  /* a sure name on a small box stays a named miss */
  CHECK(lk_dt_face_normalize(&small, &ours, a, &f, &kept) == LK_OK && kept);
  CHECK(!strcmp(f.name, "david") && !f.match && f.n_checks == 1);
  CHECK(!strcmp(f.checks[0], "box area too low: 9000 < 10000"));
  /* from the match threshold up a face is named and matches */
  near.confidence = 0.6;
  CHECK(lk_dt_face_normalize(&near, &ours, a, &f, &kept) == LK_OK && kept);
  CHECK(!strcmp(f.name, "david") && f.match && f.n_checks == 0);
  /* more unknowns means more dropped by unknown.min_area */
  ours.unknown_min_area = 50000;
  near.confidence = 0.55;
  CHECK(lk_dt_face_normalize(&near, &ours, a, &f, &kept) == LK_OK && !kept);
  CHECK(lk_dt_face_normalize(NULL, &ours, a, &f, &kept) == LK_ERR_INVAL);
  lk_arena_destroy(a);
}

static void test_summary_empty(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_summary s;
  struct lk_dt_event ev = { "e", 0, "t", "Cam", NULL, 0, NULL };
  struct lk_dt_topics t = lk_dt_topics_default();
  struct lk_dt_message *m;
  size_t n;
  CHECK(lk_dt_summarize(NULL, 0, a, &s) == LK_OK);
  CHECK(s.counts.person == 0 && s.counts.unknown == 0 && s.attempts == 0);
  check_json(lk_dt_result_json(&ev, &s, 1),
             "{\"id\":\"e\",\"duration\":0,\"timestamp\":\"t\",\"attempts\":0,"
             "\"camera\":\"Cam\",\"zones\":[],\"counts\":{\"person\":0,"
             "\"match\":0,\"miss\":0,\"unknown\":0},\"matches\":[],"
             "\"misses\":[],\"unknowns\":[],\"results\":[]}");
  /* only the person count: nothing else is sent for an empty event */
  CHECK(lk_dt_mqtt_messages(&t, &ev, &s, a, &m, &n) == LK_OK && n == 1);
  CHECK(!strcmp(m[0].topic, "double-take/cameras/cam/person") &&
        !strcmp(m[0].payload, "0") && m[0].retain);
  ev.camera = "";
  CHECK(lk_dt_mqtt_messages(&t, &ev, &s, a, &m, &n) == LK_ERR_INVAL);
  CHECK(lk_dt_summarize(NULL, 0, NULL, &s) == LK_ERR_INVAL);
  lk_arena_destroy(a);
}

/* recognize.util.js: an equal confidence keeps the first face; person
 * counts round per detector, then their mean rounds again (Math.round:
 * halves up). */
static void test_summary_ties_and_counts(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_face ann = { "ann", 80, 1, { 0, 0, 100, 100 }, { NULL }, 0,
                            NULL, 0, NULL, NULL, NULL };
  struct lk_dt_face two[2] = { ann, ann }, three[3] = { ann, ann, ann };
  struct lk_dt_attempt at[4] = {
    { "compreface", 0.1, 1, "first.jpg", NULL, two, 2 },
    { "deepstack", 0.1, 1, "first.jpg", NULL, &ann, 1 },
    { "compreface", 0.2, 2, "second.jpg", NULL, three, 3 },
    { "deepstack", 0.1, 2, "second.jpg", NULL, two, 2 },
  };
  struct lk_dt_group g = { "latest", 1, 2, at, 4 };
  struct lk_dt_summary s;
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK);
  CHECK(s.n_matches == 1 && !strcmp(s.matches[0].filename, "first.jpg"));
  /* `attempt.base64 || null`: an empty image is null too */
  at[0].base64 = "";
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK);
  check_json(lk_dt_face_json(&s.matches[0], 1),
             "{\"name\":\"ann\",\"confidence\":80,\"match\":true,\"box\":"
             "{\"top\":0,\"left\":0,\"width\":100,\"height\":100},\"type\":"
             "\"latest\",\"duration\":0.1,\"detector\":\"compreface\","
             "\"filename\":\"first.jpg\",\"base64\":null}");
  /* compreface 5/2 = 2.5 -> 3, deepstack 3/2 = 1.5 -> 2; (3 + 2) / 2 -> 3 */
  CHECK(s.counts.person == 3 && s.counts.match == 1 &&
        s.counts.unknown == 2);
  at[2].n_faces = 1;                  /* compreface 3/2 -> 2; 4 / 2 = 2 */
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK && s.counts.person == 2);
  at[3].n_faces = 0;                  /* deepstack 1/2 -> 1; 3 / 2 -> 2 */
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK && s.counts.person == 2);
  lk_arena_destroy(a);
}

/* ---- the vote ------------------------------------------------------------- */

static struct lk_dt_face face(const char *name, double conf, int match,
                              int side)
{
  struct lk_dt_face f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.confidence = conf;
  f.match = match;
  f.box.width = f.box.height = side;
  return f;
}

/* n frames, one face each, as one detector's attempts in one loop. */
static void frames(struct lk_dt_attempt *at, const struct lk_dt_face *f,
                   size_t n, struct lk_dt_group *g)
{
  size_t i;
  for(i = 0; i < n; i++) {
    struct lk_dt_attempt one = { "likeness", 0.1, (int)i + 1, "f.jpg", NULL,
                                 &f[i], 1 };
    at[i] = one;
  }
  g->type = "latest";
  g->duration = 1;
  g->attempts = (int)n;
  g->results = at;
  g->n_results = n;
}

/* Nine frames of a stranger and one lucky frame at 95 %: Double Take
 * names him (its sub_label is every match); the vote does not. */
static void test_vote_stranger(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_face f[10];
  struct lk_dt_attempt at[10];
  struct lk_dt_group g;
  struct lk_dt_summary s;
  struct lk_dt_vote v;
  int i;
  for(i = 0; i < 9; i++)
    f[i] = face("unknown", 30, 0, 100);
  f[9] = face("bob", 95, 1, 110);
  frames(at, f, 10, &g);
  CHECK(lk_dt_summarize(&g, 1, a, &s) == LK_OK && s.n_matches == 1);
  lk_dt_vote(&g, 1, &v);
  CHECK(v.name == NULL && v.score == 0);
  CHECK_NEAR(v.weight, 110 * 110 * 0.95, 1e-6);
  CHECK_NEAR(v.unknown_weight, 9 * 100 * 100 * 0.7, 1e-6);
  CHECK(lk_dt_sublabel_json(&v) == NULL);
  lk_arena_destroy(a);
}

/* A person seen well in most frames is named, with the area-weighted mean
 * of their confidences. */
static void test_vote_person(void)
{
  struct lk_dt_face f[8];
  struct lk_dt_attempt at[8];
  struct lk_dt_group g;
  struct lk_dt_vote v;
  int i;
  for(i = 0; i < 4; i++)
    f[i] = face("bob", 70, 1, 100);
  f[4] = face("bob", 90, 1, 200);     /* four times the area */
  f[5] = face("alice", 99, 1, 100);
  for(i = 6; i < 8; i++)
    f[i] = face("unknown", 20, 0, 100);
  frames(at, f, 8, &g);
  lk_dt_vote(&g, 1, &v);
  CHECK(v.name && !strcmp(v.name, "bob"));
  /* (4 × 10000 × 0.70 + 40000 × 0.90) / 80000 */
  CHECK_NEAR(v.score, 0.8, 1e-9);
  check_json(lk_dt_sublabel_json(&v),
             "{\"subLabel\":\"bob\",\"subLabelScore\":0.8}");
  /* misses abstain: a sure name on a small box neither helps nor hurts */
  f[5] = face("alice", 99, 0, 50);
  lk_dt_vote(&g, 1, &v);
  CHECK(v.name && !strcmp(v.name, "bob"));
  lk_arena_destroy(NULL);
}

static void test_vote_ties_and_nothing(void)
{
  struct lk_dt_face f[4];
  struct lk_dt_attempt at[4];
  struct lk_dt_group g;
  struct lk_dt_vote v;
  f[0] = face("ann", 80, 1, 100);
  f[1] = face("bob", 80, 1, 100);
  frames(at, f, 2, &g);
  lk_dt_vote(&g, 1, &v);
  CHECK(v.name == NULL);              /* two names, the same weight */
  f[2] = face("ann", 61, 1, 100);
  frames(at, f, 3, &g);
  lk_dt_vote(&g, 1, &v);
  CHECK(v.name && !strcmp(v.name, "ann"));
  CHECK_NEAR(v.score, (0.8 + 0.61) / 2, 1e-9);
  /* unknown at exactly the winner's weight: no name */
  f[0] = face("ann", 50, 1, 100);
  f[1] = face("unknown", 50, 0, 100);
  frames(at, f, 2, &g);
  lk_dt_vote(&g, 1, &v);
  CHECK(v.name == NULL && v.weight == v.unknown_weight);
  lk_dt_vote(NULL, 0, &v);
  CHECK(v.name == NULL && v.weight == 0 && v.unknown_weight == 0);
}

/* ---- topics ----------------------------------------------------------------- */

static void test_topic_names(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  const char *empty = lk_dt_topic_name(a, "");
  const char *anna = lk_dt_topic_name(a, "анна");
  const char *ivan = lk_dt_topic_name(a, "иван");
  /* #239: white space to "-", then only [A-Za-z0-9-] */
  CHECK(!strcmp(lk_dt_topic_name(a, "mary  jane\twatson"), "mary-jane-watson"));
  CHECK(!strcmp(lk_dt_topic_name(a, "o'brien.jr+1/#"), "obrienjr1"));
  CHECK(!strcmp(lk_dt_topic_name(a, "josé"), "jos"));     /* as Double Take */
  CHECK(!strcmp(lk_dt_topic_name(a, "анна k"), "-k"));
  /* no letter or digit left: a hash, stable and per name (FNV-1a) */
  CHECK(!strcmp(empty, "name-811c9dc5"));
  CHECK(!strcmp(anna, "name-734dd12d"));
  CHECK(strcmp(anna, ivan) && !strcmp(anna, lk_dt_topic_name(a, "анна")));
  CHECK(strncmp(lk_dt_topic_name(a, " - "), "name-", 5) == 0);
  CHECK(lk_dt_topic_name(a, NULL) == NULL);
  /* cameras: lower-cased (#163), wildcards and levels made harmless */
  CHECK(!strcmp(lk_dt_topic_camera(a, "Front Door"), "front door"));
  CHECK(!strcmp(lk_dt_topic_camera(a, "Yard+1#2/3"), "yard-1-2-3"));
  CHECK(!strcmp(lk_dt_topic_camera(a, "ГАРАЖ"), "гараж"));
  CHECK(lk_dt_topic_camera(a, "") == NULL);
  lk_arena_destroy(a);
}

static void test_topics(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_topics t = lk_dt_topics_default();
  struct lk_dt_topics custom = { "home/faces", "home/cams", "hass", "home/up" };
  CHECK(!strcmp(lk_dt_topic(a, &t, LK_DT_TOPIC_MATCH, "Mary Jane"),
                "double-take/matches/Mary-Jane"));
  CHECK(!strcmp(lk_dt_topic(a, &t, LK_DT_TOPIC_UNKNOWN, NULL),
                "double-take/matches/unknown"));
  CHECK(!strcmp(lk_dt_topic(a, &t, LK_DT_TOPIC_CAMERA, "Back-Door"),
                "double-take/cameras/back-door"));
  CHECK(!strcmp(lk_dt_topic(a, &custom, LK_DT_TOPIC_CAMERA_PERSON, "Back"),
                "home/cams/back/person"));
  CHECK(!strcmp(lk_dt_topic(a, &custom, LK_DT_TOPIC_MATCH, "ann"),
                "home/faces/ann"));
  CHECK(lk_dt_topic(a, &t, LK_DT_TOPIC_CAMERA, "") == NULL);
  CHECK(!strcmp(lk_dt_ha_topic(a, &custom, LK_DT_SENSOR_PERSON, "ann b", 0),
                "hass/sensor/double-take/ann-b/config"));
  CHECK(!strcmp(lk_dt_ha_topic(a, &t, LK_DT_SENSOR_CAMERA, "Yard", 1),
                "homeassistant/sensor/double-take/yard/state"));
  t.homeassistant = "";
  CHECK(lk_dt_ha_topic(a, &t, LK_DT_SENSOR_UNKNOWN, NULL, 1) == NULL);
  lk_arena_destroy(a);
}

/* §1.8 of the reference, exactly; availability from the configuration. */
static void test_ha_discovery(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_topics t = lk_dt_topics_default();
  check_json(lk_dt_ha_config_json(a, &t, LK_DT_SENSOR_PERSON, "david"),
    "{\"name\":\"double_take_david\",\"icon\":\"mdi:account\","
    "\"value_template\":\"{{ value_json.camera }}\",\"state_topic\":"
    "\"homeassistant/sensor/double-take/david/state\",\"json_attributes_topic\":"
    "\"homeassistant/sensor/double-take/david/state\",\"availability_topic\":"
    "\"double-take/available\",\"unique_id\":\"double_take_david\"}");
  check_json(lk_dt_ha_config_json(a, &t, LK_DT_SENSOR_UNKNOWN, NULL),
    "{\"name\":\"double_take_unknown\",\"icon\":\"mdi:account\","
    "\"value_template\":\"{{ value_json.camera }}\",\"state_topic\":"
    "\"homeassistant/sensor/double-take/unknown/state\",\"json_attributes_topic\":"
    "\"homeassistant/sensor/double-take/unknown/state\",\"availability_topic\":"
    "\"double-take/available\",\"unique_id\":\"double_take_unknown\"}");
  check_json(lk_dt_ha_config_json(a, &t, LK_DT_SENSOR_CAMERA, "Back-Door"),
    "{\"name\":\"double_take_back-door\",\"icon\":\"mdi:camera\","
    "\"value_template\":\"{{ value_json.counts.person }}\",\"state_topic\":"
    "\"homeassistant/sensor/double-take/back-door/state\","
    "\"json_attributes_topic\":\"homeassistant/sensor/double-take/back-door/state\","
    "\"availability_topic\":\"double-take/available\",\"unique_id\":"
    "\"double_take_back-door\"}");
  /* a name with no Latin letter: hashed topic, its own name as the id */
  t.available = "likeness/available";
  check_json(lk_dt_ha_config_json(a, &t, LK_DT_SENSOR_PERSON, "анна мария"),
    "{\"name\":\"double_take_анна_мария\",\"icon\":\"mdi:account\","
    "\"value_template\":\"{{ value_json.camera }}\",\"state_topic\":"
    "\"homeassistant/sensor/double-take/name-1dfa193a/state\","
    "\"json_attributes_topic\":\"homeassistant/sensor/double-take/"
    "name-1dfa193a/state\",\"availability_topic\":\"likeness/available\","
    "\"unique_id\":\"double_take_анна_мария\"}");
  t.homeassistant = NULL;
  CHECK(lk_dt_ha_config_json(a, &t, LK_DT_SENSOR_UNKNOWN, NULL) == NULL);
  lk_arena_destroy(a);
}

/* ---- time --------------------------------------------------------------------- */

static void test_time_edges(void)
{
  struct lk_dt_clock c = { 1623931509007, 0, 1 };
  char out[64];
  CHECK(lk_dt_time_format(&c, "D t 'quoted", out, sizeof out) == LK_OK);
  CHECK(!strcmp(out, "D t quoted"));  /* macros copied; open quote runs on */
  CHECK(lk_dt_time_format(&c, "", out, sizeof out) == LK_OK);
  CHECK(!strcmp(out, "2021-06-17T12:05:09.007Z"));
  CHECK(lk_dt_time_format(&c, NULL, out, 24) == LK_ERR_TOO_LARGE);
  CHECK(lk_dt_time_format(&c, NULL, out, 25) == LK_OK);
  CHECK(lk_dt_time_format(&c, NULL, out, 0) == LK_ERR_INVAL);
  c.unix_ms = 253402300800000;        /* 10000-01-01 */
  CHECK(lk_dt_time_format(&c, NULL, out, sizeof out) == LK_OK);
  CHECK(!strcmp(out, "+010000-01-01T00:00:00.000Z"));
  c.unix_ms = -62198755200000;        /* year -1 (2 BC) */
  CHECK(lk_dt_time_format(&c, "yyyy", out, sizeof out) == LK_OK);
  CHECK(!strcmp(out, "-0001"));
}

/* ---- memory ------------------------------------------------------------------- */

/* The whole path of one event, failing as soon as anything fails. */
static lk_err run_event(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  struct lk_dt_thresholds th = lk_dt_thresholds_default();
  struct lk_dt_topics t = lk_dt_topics_default();
  const struct lk_dt_raw_face raw[] = {
    CF("Ann Lee", 0.9, 0, 0, 200, 200), CF("bob", 0.2, 0, 0, 200, 200),
    CF("cy", 0.95, 0, 0, 20, 20)
  };
  const char *zones[] = { "yard" };
  struct lk_dt_event ev = { "id", 1, "t", "Yard", zones, 1, "tok" };
  struct lk_dt_face faces[3];
  struct lk_dt_attempt at = { "likeness", 0.2, 1, "f.jpg", "QQ==", faces, 0 };
  struct lk_dt_group g = { "latest", 1, 1, &at, 1 };
  struct lk_dt_summary s;
  struct lk_dt_message *m;
  size_t i, n;
  lk_err err = a ? LK_OK : LK_ERR_NOMEM;
  cJSON *j;
  int kept;
  for(i = 0; !err && i < 3; i++) {
    err = lk_dt_face_normalize(&raw[i], &th, a, &faces[at.n_faces], &kept);
    at.n_faces += (size_t)kept;
  }
  if(!err)
    err = lk_dt_summarize(&g, 1, a, &s);
  if(!err)
    err = lk_dt_mqtt_messages(&t, &ev, &s, a, &m, &n);
  if(!err)
    err = lk_dt_mqtt_reset_messages(&t, &ev, &s, a, &m, &n);
  if(!err) {
    j = lk_dt_result_json(&ev, &s, 1);
    err = j ? LK_OK : LK_ERR_NOMEM;
    cJSON_Delete(j);
  }
  lk_arena_destroy(a);
  return err;
}

static void test_out_of_memory(void)
{
  size_t before = lk_mem_in_use();
  long n;
  lk_err err = LK_ERR_NOMEM;
  for(n = 1; n < 20000 && err; n++) {
    lk_mem_fail_after(n);
    err = run_event();
    lk_mem_fail_after(0);
    CHECK_MSG(err == LK_OK || err == LK_ERR_NOMEM, "allocation %ld: %s", n,
              lk_strerror(err));
    CHECK_MSG(lk_mem_in_use() == before, "allocation %ld: %zu bytes left", n,
              lk_mem_in_use() - before);
  }
  CHECK(err == LK_OK && n > 10);
}

int main(void)
{
  /* cJSON through the counted allocator, so the memory checks see it */
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  size_t start;
  cJSON_InitHooks(&hooks);
  start = lk_mem_in_use();
  golden_load();
  RUN(test_readme_matches_david);
  RUN(test_readme_cameras_back_door);
  RUN(test_reference_mixed_event);
  RUN(test_reference_index_names);
  RUN(test_reference_faces);
  RUN(test_reference_numbers_and_text);
  RUN(test_reference_timestamps);
  RUN(test_unknown_below_match);
  RUN(test_summary_empty);
  RUN(test_summary_ties_and_counts);
  RUN(test_vote_stranger);
  RUN(test_vote_person);
  RUN(test_vote_ties_and_nothing);
  RUN(test_topic_names);
  RUN(test_topics);
  RUN(test_ha_discovery);
  RUN(test_time_edges);
  RUN(test_out_of_memory);
  CHECK_MSG(lk_mem_in_use() == start, "%zu bytes still in use",
            lk_mem_in_use() - start);
  free(golden);
  return test_report();
}
