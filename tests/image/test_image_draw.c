/* test_image_draw.c - filled rectangles and the built-in bitmap font:
 * glyph shapes at scale 1 and 3 against pixel art written here, widths,
 * the box for non-ASCII text, clipping at every edge, and text that stays
 * readable through a JPEG round trip (as Double Take's latest images go). */
#include <string.h>

#include "imgtest.h"

static size_t start_mem;

struct canvas {
  struct lk_image img;
  unsigned char px[64 * 32 * 3];
};

static void canvas_init(struct canvas *c, int w, int h)
{
  memset(c, 0, sizeof *c);
  c->img.width = w;
  c->img.height = h;
  c->img.rgb = c->px;
}

static const unsigned char *at(const struct canvas *c, int x, int y)
{
  return c->px + ((size_t)y * (size_t)c->img.width + (size_t)x) * 3;
}

static int lit(const struct canvas *c, int x, int y)
{
  return at(c, x, y)[0] || at(c, x, y)[1] || at(c, x, y)[2];
}

static int count_lit(const struct canvas *c)
{
  int x, y, n = 0;
  for(y = 0; y < c->img.height; y++)
    for(x = 0; x < c->img.width; x++)
      n += lit(c, x, y);
  return n;
}

/* Every pixel of the canvas: lit exactly where art (8 rows of 5, scaled by
 * k, placed at x0,y0) has '#'. */
static int matches_art(const struct canvas *c, const char *const art[8],
                       int x0, int y0, int k)
{
  int x, y, bad = 0;
  for(y = 0; y < c->img.height; y++)
    for(x = 0; x < c->img.width; x++) {
      int gx = x - x0, gy = y - y0, want = 0;
      if(gx >= 0 && gy >= 0 && gx < 5 * k && gy < 8 * k)
        want = art[gy / k][gx / k] == '#';
      bad += want != lit(c, x, y);
    }
  return !bad;
}

static const char *const art_A[8] = {
  ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#", "....."
};
static const char *const art_g[8] = {     /* with its descender */
  ".....", ".....", ".####", "#...#", "#...#", ".####", "....#", ".###."
};
static const char *const art_box[8] = {
  "#####", "#...#", "#...#", "#...#", "#...#", "#...#", "#####", "....."
};

static void test_glyph_shapes(void)
{
  struct canvas c;
  canvas_init(&c, 40, 30);
  CHECK(lk_image_draw_text(&c.img, 2, 1, "A", 1, 255, 0, 0) == 5);
  CHECK(matches_art(&c, art_A, 2, 1, 1));
  CHECK(at(&c, 2, 2)[0] == 255 && at(&c, 2, 2)[1] == 0);   /* its colour */

  canvas_init(&c, 40, 30);
  CHECK(lk_image_draw_text(&c.img, 7, 4, "A", 3, 1, 2, 3) == 15);
  CHECK(matches_art(&c, art_A, 7, 4, 3));
  CHECK(at(&c, 7, 13)[0] == 1 && at(&c, 7, 13)[2] == 3);

  canvas_init(&c, 40, 30);
  lk_image_draw_text(&c.img, 0, 0, "g", 2, 9, 9, 9);
  CHECK(matches_art(&c, art_g, 0, 0, 2));

  /* a space draws nothing but moves the next glyph on by one advance */
  canvas_init(&c, 40, 30);
  CHECK(lk_image_draw_text(&c.img, 0, 0, " A", 1, 9, 9, 9) == 11);
  CHECK(matches_art(&c, art_A, LK_IMAGE_FONT_ADVANCE, 0, 1));
}

static void test_text_widths(void)
{
  CHECK(lk_image_text_width("", 3) == 0);
  CHECK(lk_image_text_width(NULL, 3) == 0);
  CHECK(lk_image_text_width("a", 1) == 5);
  CHECK(lk_image_text_width("ab", 2) == 22);
  CHECK(lk_image_text_width("ada - 91.5%", 2) == (11 * 6 - 1) * 2);
  CHECK(lk_image_text_width("\xc3\xa9", 1) == 5);        /* é: one glyph */
  CHECK(lk_image_text_width("\xe6\x97\xa5\xe6\x9c\xac", 1) == 11);  /* 日本 */
  CHECK(lk_image_text_width("a", 0) == 5);               /* clamped to 1 */
  CHECK(lk_image_text_width("a", 1000) == 5 * LK_IMAGE_FONT_SCALE_MAX);
}

/* Scaling is exact: every font pixel becomes k x k pixels. */
static void test_scale_counts(void)
{
  struct canvas c;
  int n1, n2;
  const char *s = "Hi, 42%";
  canvas_init(&c, 64, 32);
  lk_image_draw_text(&c.img, 0, 0, s, 1, 200, 200, 200);
  n1 = count_lit(&c);
  canvas_init(&c, 64, 32);
  lk_image_draw_text(&c.img, 0, 0, "Hi,", 2, 200, 200, 200);
  lk_image_draw_text(&c.img, 0, 16, " 42%", 2, 200, 200, 200);
  n2 = count_lit(&c);
  CHECK(n1 > 40);
  CHECK_MSG(n2 == 4 * n1, "%d vs 4 x %d", n2, n1);
}

static void test_non_ascii_box(void)
{
  struct canvas c;
  canvas_init(&c, 40, 30);
  CHECK(lk_image_draw_text(&c.img, 3, 2, "\xc3\xa9", 1, 50, 60, 70) == 5);
  CHECK(matches_art(&c, art_box, 3, 2, 1));    /* one box, no second */
  canvas_init(&c, 40, 30);
  lk_image_draw_text(&c.img, 3, 2, "\x01", 1, 50, 60, 70);   /* control */
  CHECK(matches_art(&c, art_box, 3, 2, 1));
  canvas_init(&c, 40, 30);
  lk_image_draw_text(&c.img, 3, 2, "\x80\x80", 1, 50, 60, 70);  /* stray */
  CHECK(matches_art(&c, art_box, 3, 2, 1));
}

static void test_clipping(void)
{
  struct canvas c;
  canvas_init(&c, 10, 5);
  /* the first glyph wholly left of the image; of the second, the rows
   * below y = 0 show, from column 0 */
  lk_image_draw_text(&c.img, -6, -3, "AA", 1, 9, 9, 9);
  CHECK(matches_art(&c, art_A, 0, -3, 1));
  CHECK(count_lit(&c) == 5 + 2 + 2 + 2);

  canvas_init(&c, 10, 5);
  lk_image_draw_text(&c.img, 8, 0, "AAAA", 4, 9, 9, 9);   /* off the right */
  lk_image_draw_text(&c.img, 0, 100, "A", 1, 9, 9, 9);    /* below */
  lk_image_draw_text(&c.img, -2000000000, -2000000000, "A", 64, 9, 9, 9);
  lk_image_draw_text(&c.img, 2000000000, 2000000000, "A", 64, 9, 9, 9);
  CHECK(matches_art(&c, art_A, 8, 0, 4));
  CHECK(count_lit(&c) == 2);
  lk_image_draw_text(NULL, 0, 0, "A", 1, 9, 9, 9);
  CHECK(lk_image_draw_text(&c.img, 0, 0, NULL, 1, 9, 9, 9) == 0);
}

static void test_fill_rect(void)
{
  struct canvas c;
  canvas_init(&c, 10, 8);
  lk_image_fill_rect(&c.img, 6, 5, 2, 1, 4, 5, 6);     /* corners swapped */
  CHECK(count_lit(&c) == 5 * 5);
  CHECK(lit(&c, 2, 1) && lit(&c, 6, 5) && !lit(&c, 7, 5) && !lit(&c, 2, 0));
  CHECK(at(&c, 4, 3)[0] == 4 && at(&c, 4, 3)[2] == 6);
  canvas_init(&c, 10, 8);
  lk_image_fill_rect(&c.img, -100, -100, 100, 100, 1, 1, 1);   /* clipped */
  CHECK(count_lit(&c) == 80);
  lk_image_fill_rect(NULL, 0, 0, 1, 1, 0, 0, 0);
}

/* White scale-2 text on a dark label survives JPEG at quality 90: the
 * centre of each lit font pixel stays bright, the centre of each unlit one
 * dark. */
static void test_readable_after_jpeg(void)
{
  struct canvas c;
  struct it_dec r;
  unsigned char *jpg = NULL;
  size_t len = 0;
  int row, col, bad = 0;
  canvas_init(&c, 64, 32);
  lk_image_fill_rect(&c.img, 0, 0, 63, 31, 0, 90, 200);
  lk_image_draw_text(&c.img, 4, 4, "A", 2, 255, 255, 255);
  CHECK(lk_image_encode_jpeg(&c.img, 90, &jpg, &len) == LK_OK);
  it_decode(jpg, len, NULL, &r);
  CHECK(r.err == LK_OK && r.img.width == 64);
  for(row = 0; !r.err && row < 8; row++)
    for(col = 0; col < 5; col++) {
      const unsigned char *p = r.img.rgb +
        ((size_t)(4 + row * 2) * 64 + (size_t)(4 + col * 2)) * 3;
      int bright = p[0] > 170 && p[1] > 170 && p[2] > 170;
      bad += bright != (art_A[row][col] == '#');
    }
  CHECK_MSG(!bad, "%d font pixels unreadable after JPEG", bad);
  it_done(&r);
  lk_free(jpg);
}

int main(void)
{
  start_mem = lk_mem_in_use();
  RUN(test_glyph_shapes);
  RUN(test_text_widths);
  RUN(test_scale_counts);
  RUN(test_non_ascii_box);
  RUN(test_clipping);
  RUN(test_fill_rect);
  RUN(test_readable_after_jpeg);
  CHECK(lk_mem_in_use() == start_mem);
  return test_report();
}
