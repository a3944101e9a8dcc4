/* test_dt_latest.c - Double Take's latest images: the file-name rule for
 * keys, boxes and labels at known pixels of the decoded JPEG (the label's
 * text compared with the font's own rendering), label placement at the
 * image's edges, replacement, and names that must not escape
 * DATA/latest. LK_DUMP_LATEST=/tmp/x.ppm keeps the annotated test image to
 * look at. */
#include "matches_fixture.h"

static struct lk_dt_matches *m;

struct rgb {
  int r, g, b;
};

static struct rgb px(const struct lk_image *img, int x, int y)
{
  const unsigned char *p = img->rgb + ((size_t)y * (size_t)img->width +
                                       (size_t)x) * 3;
  struct rgb c = { p[0], p[1], p[2] };
  return c;
}

static int is_grey(struct rgb c)
{
  return abs(c.r - 128) < 14 && abs(c.g - 128) < 14 && abs(c.b - 128) < 14;
}

static int is_green(struct rgb c)
{
  return c.g > 130 && c.r < 80 && c.b < 110;
}

static int is_red(struct rgb c)
{
  return c.r > 170 && c.g < 80 && c.b < 80;
}

static int is_orange(struct rgb c)
{
  return c.r > 190 && c.g > 100 && c.g < 180 && c.b < 70;
}

static int is_white(struct rgb c)
{
  return c.r > 180 && c.g > 180 && c.b > 180;
}

#define CHECK_PX(img, x, y, pred) do { \
    struct rgb c_ = px(img, x, y); \
    CHECK_MSG(pred(c_), "(%d, %d) is %d,%d,%d, not " #pred, x, y, c_.r, \
              c_.g, c_.b); \
  } while(0)

static void test_file_rule(void)
{
  static const char *const cases[][2] = {
    { "ada", "ada.jpg" },
    { "Front Door", "Front Door.jpg" },
    { "front_door-2.cam", "front_door-2.cam.jpg" },
    { "Jos\xc3\xa9", "Jos\xc3\xa9.jpg" },                 /* UTF-8 kept */
    { "\xe5\xb1\xb1\xe7\x94\xb0", "\xe5\xb1\xb1\xe7\x94\xb0.jpg" },
    { "../x", "_._x.jpg" },
    { "..", "_..jpg" },
    { ".hidden", "_hidden.jpg" },
    { "a/b\\c", "a_b_c.jpg" },
    { "a:b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h.jpg" },
    { "tab\there\n", "tab_here_.jpg" },
    { "bad\xff\xc3(x", "bad___x.jpg" },                  /* invalid UTF-8 */
    { "\xed\xa0\x80", "___.jpg" },                        /* a surrogate */
    { "\xc0\xaf", "__.jpg" },                             /* overlong '/' */
    { "", "_.jpg" },
  };
  char buf[256], longkey[400], want[256];
  size_t i;
  for(i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int n = lk_dt_matches_latest_file(buf, sizeof buf, cases[i][0]);
    CHECK_MSG(n == (int)strlen(cases[i][1]) && !strcmp(buf, cases[i][1]),
              "'%s' -> '%s'", cases[i][0], buf);
  }
  CHECK(lk_dt_matches_latest_file(buf, sizeof buf, NULL) == 5);
  CHECK(lk_dt_matches_latest_file(buf, 7, "ada") == -1);   /* needs 8 */
  CHECK(lk_dt_matches_latest_file(buf, 8, "ada") == 7);
  /* long keys are cut to 200 bytes, never inside a character */
  memset(longkey, 'a', 199);
  memcpy(longkey + 199, "\xc3\xa9\xc3\xa9", 5);
  CHECK(lk_dt_matches_latest_file(buf, sizeof buf, longkey) == 199 + 4);
  memset(want, 'a', 199);
  memcpy(want + 199, ".jpg", 5);
  CHECK(!strcmp(buf, want));
}

/* The label's text: every font pixel of "text" drawn at (x, y) with
 * scale k is bright in img, every unlit one inside the label is the
 * label's colour. Returns the share of font pixels that disagree. */
static double label_errors(const struct lk_image *img, const char *text,
                           int x, int y, int k, int (*bg)(struct rgb))
{
  struct lk_image mask;
  int w = lk_image_text_width(text, k), h = LK_IMAGE_FONT_H * k, i, j;
  int bad = 0, n = 0;
  memset(&mask, 0, sizeof mask);
  mask.width = w;
  mask.height = h;
  mask.rgb = lk_calloc((size_t)w * (size_t)h, 3);
  lk_image_draw_text(&mask, 0, 0, text, k, 255, 255, 255);
  for(j = 0; j < h; j += k)
    for(i = 0; i < w; i += k) {
      struct rgb c = px(img, x + i, y + j);
      int lit = mask.rgb[((size_t)j * (size_t)w + (size_t)i) * 3] != 0;
      bad += lit ? !is_white(c) : !bg(c);
      n++;
    }
  lk_free(mask.rgb);
  return (double)bad / n;
}

static void test_annotated(void)
{
  static const char *const keys[] = { "ada", "front_door", "unknown" };
  struct lk_dt_match_face f[3] = {
    mf_face("ada", 91.5, 1, 160, 180),
    mf_face("unknown", 38.25, 0, 120, 120),
    mf_face("bob", 55, 0, 70, 90),
  };
  struct lk_arena *a = lk_arena_create(0);
  const unsigned char *d[3];
  size_t n[3], len;
  unsigned char *src = mf_jpeg(600, 500, 128, 128, 128, &len);
  struct lk_image img;
  struct lk_image_opts o = lk_image_default_opts();
  double e;

  f[0].left = 100, f[0].top = 150;
  f[1].left = 380, f[1].top = 10;       /* no room above: label below */
  f[2].left = 520, f[2].top = 300;      /* label pushed left to fit */
  CHECK(lk_dt_matches_latest_save(m, keys, 3, src, len, f, 3, a) == LK_OK);
  CHECK(lk_dt_matches_latest_read(m, "ada.jpg", a, &d[0], &n[0]) == LK_OK);
  CHECK(lk_dt_matches_latest_read(m, "front_door.jpg", a, &d[1], &n[1]) ==
        LK_OK);
  CHECK(lk_dt_matches_latest_read(m, "unknown.jpg", a, &d[2], &n[2]) ==
        LK_OK);
  CHECK(n[0] == n[1] && n[1] == n[2] && !memcmp(d[0], d[1], n[0]) &&
        !memcmp(d[1], d[2], n[0]));
  CHECK(lk_image_sniff(d[0], n[0]) == LK_IMAGE_JPEG);
  CHECK(lk_image_decode(d[0], n[0], &o, a, &img, NULL) == LK_OK);
  CHECK(img.width == 600 && img.height == 500);
  if(img.width != 600 || img.height != 500)
    goto out;

  /* 500-px side: 3-px lines, font scale 2, 4-px label padding */
  CHECK_PX(&img, 101, 240, is_green);           /* ada's left edge */
  CHECK_PX(&img, 258, 240, is_green);           /* right */
  CHECK_PX(&img, 180, 328, is_green);           /* bottom */
  CHECK_PX(&img, 180, 240, is_grey);            /* inside: untouched */
  CHECK_PX(&img, 95, 240, is_grey);             /* outside */
  CHECK_PX(&img, 381, 60, is_red);              /* unknown's left edge */
  CHECK_PX(&img, 521, 340, is_orange);          /* bob's left edge */

  /* ada's label: above the box, 16 + 2 x 4 px tall, starting at its left */
  CHECK_PX(&img, 101, 127, is_green);
  CHECK_PX(&img, 101, 148, is_green);
  CHECK_PX(&img, 101, 122, is_grey);            /* above the label */
  if(getenv("LK_DUMP_LATEST"))
    lk_image_write_ppm(&img, getenv("LK_DUMP_LATEST"));
  e = label_errors(&img, "ada - 91.5%", 104, 130, 2, is_green);
  CHECK_MSG(e < 0.03, "%.1f%% of ada's label differs", e * 100);
  CHECK_PX(&img, 100 + 130 + 8 - 2, 138, is_green);   /* label's end */
  CHECK_PX(&img, 100 + 130 + 8 + 3, 138, is_grey);    /* and past it */

  /* unknown's label below its box (y 130..153), red */
  CHECK_PX(&img, 381, 131, is_red);
  e = label_errors(&img, "unknown - 38.25%", 384, 134, 2, is_red);
  CHECK_MSG(e < 0.03, "%.1f%% of unknown's label differs", e * 100);

  /* bob's label: 9 glyphs, 106 + 8 px wide, ending at the right edge */
  CHECK_PX(&img, 600 - 114 + 1, 277, is_orange);
  CHECK_PX(&img, 600 - 114 - 3, 277, is_grey);
  e = label_errors(&img, "bob - 55%", 600 - 114 + 4, 280, 2, is_orange);
  CHECK_MSG(e < 0.03, "%.1f%% of bob's label differs", e * 100);
out:
  lk_free(src);
  lk_arena_destroy(a);
}

static int count(const struct lk_image *img, int (*pred)(struct rgb))
{
  int x, y, n = 0;
  for(y = 0; y < img->height; y++)
    for(x = 0; x < img->width; x++)
      n += pred(px(img, x, y));
  return n;
}

static void test_replaced_and_plain(void)
{
  static const char *const keys[] = { "Jos\xc3\xa9" };
  struct lk_arena *a = lk_arena_create(0);
  size_t len1, len2, n;
  unsigned char *blue = mf_jpeg(320, 240, 20, 40, 200, &len1);
  unsigned char *grey = mf_jpeg(320, 240, 128, 128, 128, &len2);
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_image img;
  const unsigned char *d;

  CHECK(lk_dt_matches_latest_save(m, keys, 1, blue, len1, NULL, 0, a) ==
        LK_OK);
  CHECK(mf_exists("latest", "Jos\xc3\xa9.jpg"));
  CHECK(lk_dt_matches_latest_save(m, keys, 1, grey, len2, NULL, 0, a) ==
        LK_OK);
  CHECK(lk_dt_matches_latest_read(m, "Jos\xc3\xa9.jpg", a, &d, &n) == LK_OK);
  CHECK(lk_image_decode(d, n, &o, a, &img, NULL) == LK_OK);
  /* the second image, and with no faces nothing drawn on it */
  CHECK(count(&img, is_grey) == 320 * 240);
  /* zero keys: nothing to do, not even a decode */
  CHECK(lk_dt_matches_latest_save(m, keys, 0, "junk", 4, NULL, 0, a) ==
        LK_OK);
  lk_free(blue);
  lk_free(grey);
  lk_arena_destroy(a);
}

static void test_refused(void)
{
  static const char *const keys[] = { "zed", NULL };
  struct lk_arena *a = lk_arena_create(0);
  struct lk_dt_match_face f = mf_face("zed", 90, 1, 10, 10);
  const unsigned char *d;
  size_t n, len;
  unsigned char *src = mf_jpeg(32, 32, 128, 128, 128, &len);
  long swept;

  CHECK(lk_dt_matches_latest_save(m, keys, 1, "not a jpeg", 10, &f, 1, a) ==
        LK_ERR_IMAGE);
  CHECK(lk_dt_matches_latest_save(m, keys, 2, src, len, &f, 1, a) ==
        LK_ERR_INVAL);
  CHECK(lk_dt_matches_latest_save(m, NULL, 1, src, len, &f, 1, a) ==
        LK_ERR_INVAL);
  CHECK(lk_dt_matches_latest_save(m, keys, 1, src, len, NULL, 1, a) ==
        LK_ERR_INVAL);
  f.width = -3;
  CHECK(lk_dt_matches_latest_save(m, keys, 1, src, len, &f, 1, a) ==
        LK_ERR_INVAL);
  f.width = 10;
  f.left = 2000000000;                  /* no int overflow on the way */
  CHECK(lk_dt_matches_latest_save(m, keys, 1, src, len, &f, 1, a) ==
        LK_ERR_INVAL);
  f.name = NULL;
  f.left = 0;
  CHECK(lk_dt_matches_latest_save(m, keys, 1, src, len, &f, 1, a) ==
        LK_ERR_INVAL);
  CHECK(!mf_exists("latest", "zed.jpg"));

  /* a face partly outside the image is drawn clipped */
  f.name = "zed";
  f.left = -20;
  f.top = 25;
  f.width = 100;
  f.height = 100;
  CHECK(lk_dt_matches_latest_save(m, keys, 1, src, len, &f, 1, a) == LK_OK);

  /* reads: only "<key>.jpg", never outside DATA/latest */
  mf_put("", "secret.jpg", "outside latest/");
  CHECK(lk_dt_matches_latest_read(m, "zed.jpg", a, &d, &n) == LK_OK);
  CHECK(lk_dt_matches_latest_read(m, "../secret.jpg", a, &d, &n) ==
        LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_latest_read(m, "../matches.db", a, &d, &n) ==
        LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_latest_read(m, "zed", a, &d, &n) == LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_latest_read(m, ".jpg", a, &d, &n) == LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_latest_read(m, "bob.jpg", a, &d, &n) ==
        LK_ERR_NOT_FOUND);
  CHECK(lk_dt_matches_latest_read(m, NULL, a, &d, &n) == LK_ERR_NOT_FOUND);
  CHECK(d == NULL && n == 0);
  /* no temporary file is left behind by any of it */
  CHECK(lk_dt_matches_sweep(m, &swept) == LK_OK && swept == 0);
  lk_free(src);
  lk_arena_destroy(a);
}

/* Allocation n fails, for every n of a latest write: LK_OK or
 * LK_ERR_NOMEM, no leak, no temporary file left. */
static void test_alloc_failures(void)
{
  static const char *const keys[] = { "alloc" };
  struct lk_dt_match_face f = mf_face("ada", 90, 1, 40, 40);
  size_t start, len;
  unsigned char *src = mf_jpeg(200, 150, 128, 128, 128, &len);
  long n, swept = -1;
  int bad = 0, nomem = 0;
  start = lk_mem_in_use();
  for(n = 1; n <= 8; n++) {
    struct lk_arena *a;
    lk_err err;
    lk_mem_fail_after(n);
    a = lk_arena_create(0);
    err = a ? lk_dt_matches_latest_save(m, keys, 1, src, len, &f, 1, a)
            : LK_ERR_NOMEM;
    lk_mem_fail_after(0);
    lk_arena_destroy(a);
    bad += err != LK_OK && err != LK_ERR_NOMEM;
    nomem += err == LK_ERR_NOMEM;
  }
  CHECK(bad == 0 && nomem >= 2);
  CHECK(lk_mem_in_use() == start);
  CHECK(lk_dt_matches_sweep(m, &swept) == LK_OK && swept == 0);
  lk_free(src);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  mf_setup();
  m = mf_open();
  RUN(test_file_rule);
  RUN(test_annotated);
  RUN(test_replaced_and_plain);
  RUN(test_refused);
  RUN(test_alloc_failures);
  lk_dt_matches_close(m);
  mf_teardown();
  CHECK_MSG(lk_mem_in_use() == start, "%zu bytes still allocated",
            lk_mem_in_use() - start);
  return test_report();
}
