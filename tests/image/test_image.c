/* test_image.c - decoding the shared sample formats, sniffing, limits, DCT
 * scaling, JPEG/PNG variants, file reading, JPEG/PPM output, rectangles.
 * EXIF cases are in test_image_exif.c, damaged input and allocation
 * failures in test_image_robust.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <webp/encode.h>

#include "base/log.h"
#include "imgtest.h"

static size_t start_mem;

static void check_no_leak(void)
{
  CHECK_MSG(lk_mem_in_use() == start_mem, "%zu bytes still allocated",
            lk_mem_in_use() - start_mem);
}

static void test_einstein_decodes_alike(void)
{
  static const char *const names[] = { "jpeg", "png", "webp" };
  static const enum lk_image_format fmts[] = {
    LK_IMAGE_JPEG, LK_IMAGE_PNG, LK_IMAGE_WEBP
  };
  struct it_dec r[3];
  char path[512];
  int i;
  for(i = 0; i < 3; i++) {
    size_t n;
    unsigned char *d;
    snprintf(path, sizeof path, IT_FORMATS "einstein.%s", names[i]);
    d = it_read(path, &n);
    it_decode(d, n, NULL, &r[i]);
    lk_free(d);
    CHECK_MSG(r[i].err == LK_OK, "%s: %s", names[i], r[i].why);
    CHECK(r[i].img.format == fmts[i]);
    CHECK(r[i].img.width == 256 && r[i].img.height == 256);
    CHECK(r[i].img.orientation == 1 && r[i].img.scale_denom == 1);
  }
  if(!r[0].err && !r[1].err && !r[2].err) {
    double jp = it_mean_abs_diff(r[0].img.rgb, r[1].img.rgb, 256 * 256 * 3);
    double wp = it_mean_abs_diff(r[2].img.rgb, r[1].img.rgb, 256 * 256 * 3);
    printf("     einstein mean |diff| vs PNG: jpeg %.2f, webp %.2f\n", jp,
           wp);
    CHECK(jp < 4.0);
    CHECK(wp < 4.0);
  }
  for(i = 0; i < 3; i++)
    it_done(&r[i]);
  check_no_leak();
}

static void test_unsupported_formats_named(void)
{
  static const char *const files[] = { "bmp", "gif", "tiff", "ico" };
  static const char *const names[] = { "BMP", "GIF", "TIFF", "ICO" };
  char path[512];
  int i;
  for(i = 0; i < 4; i++) {
    struct it_dec r;
    size_t n;
    unsigned char *d;
    snprintf(path, sizeof path, IT_FORMATS "einstein.%s", files[i]);
    d = it_read(path, &n);
    it_decode(d, n, NULL, &r);
    CHECK_MSG(r.err == LK_ERR_UNSUPPORTED, "%s: %s", files[i],
              lk_strerror(r.err));
    CHECK_MSG(strstr(r.why, names[i]) != NULL, "why: %s", r.why);
    CHECK(r.img.rgb == NULL);
    it_done(&r);
    lk_free(d);
  }
  check_no_leak();
}

static void test_broken_files(void)
{
  static const char *const files[] = {
    "corrupted.png", "empty.png", "truncated.jpg"
  };
  char path[512];
  int i;
  for(i = 0; i < 3; i++) {
    struct it_dec r;
    size_t n;
    unsigned char *d;
    snprintf(path, sizeof path, IT_FORMATS "%s", files[i]);
    d = it_read(path, &n);
    it_decode(d, n, NULL, &r);
    printf("     %s: %s\n", files[i], r.why);
    CHECK_MSG(r.err == LK_ERR_IMAGE, "%s: %s", files[i], lk_strerror(r.err));
    CHECK(r.why[0] != '\0');
    CHECK(r.img.rgb == NULL && r.img.width == 0);
    it_done(&r);
    lk_free(d);
  }
  check_no_leak();
}

/* Cut anywhere, each format says it was truncated. */
static void test_truncations_named(void)
{
  static const char *const files[] = { "einstein.jpeg", "einstein.png",
                                       "einstein.webp" };
  static const char *const say[] = { "truncated JPEG", "truncated PNG",
                                     "truncated WebP" };
  static const double cuts[] = { 0.001, 0.01, 0.1, 0.5, 0.9, 0.9999 };
  char path[512];
  int i, k;
  for(i = 0; i < 3; i++) {
    size_t n;
    unsigned char *d;
    snprintf(path, sizeof path, IT_FORMATS "%s", files[i]);
    d = it_read(path, &n);
    for(k = 0; k < 6; k++) {
      struct it_dec r;
      size_t cut = 20 + (size_t)(cuts[k] * (double)(n - 40));
      it_decode(d, cut, NULL, &r);
      CHECK(r.err == LK_ERR_IMAGE);
      CHECK_MSG(strstr(r.why, say[i]) != NULL, "%s cut at %zu: %s",
                files[i], cut, r.why);
      it_done(&r);
    }
    lk_free(d);
  }
  check_no_leak();
}

static void test_sniff(void)
{
  static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0 };
  static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };
  static const unsigned char heic[] = "\0\0\0\x18" "ftypheic";
  static const unsigned char avif[] = "\0\0\0\x18" "ftypavif";
  CHECK(lk_image_sniff(jpeg, sizeof jpeg) == LK_IMAGE_JPEG);
  CHECK(lk_image_sniff(jpeg, 2) == LK_IMAGE_UNKNOWN);
  CHECK(lk_image_sniff(png, sizeof png) == LK_IMAGE_PNG);
  CHECK(lk_image_sniff("RIFF\0\0\0\0WEBPVP8 ", 16) == LK_IMAGE_WEBP);
  CHECK(lk_image_sniff("RIFF\0\0\0\0WAVEfmt ", 16) == LK_IMAGE_UNKNOWN);
  CHECK(lk_image_sniff("GIF89a", 6) == LK_IMAGE_GIF);
  CHECK(lk_image_sniff("MM\0*", 4) == LK_IMAGE_TIFF);
  CHECK(lk_image_sniff("BM\x1a\x03\x04\0\0\0\0\0", 10) == LK_IMAGE_BMP);
  CHECK(lk_image_sniff("\0\0\1\0\1\0\0\0\0\0", 10) == LK_IMAGE_ICO);
  CHECK(lk_image_sniff(heic, 12) == LK_IMAGE_HEIF);
  CHECK(lk_image_sniff(avif, 12) == LK_IMAGE_AVIF);
  CHECK(lk_image_sniff(NULL, 10) == LK_IMAGE_UNKNOWN);
  CHECK(lk_image_sniff("", 0) == LK_IMAGE_UNKNOWN);
  CHECK(strcmp(lk_image_format_name(LK_IMAGE_WEBP), "WebP") == 0);
  CHECK(strcmp(lk_image_format_name(LK_IMAGE_UNKNOWN), "unknown") == 0);
  CHECK(strcmp(lk_image_format_name((enum lk_image_format)99), "unknown") ==
        0);
}

static void test_probe(void)
{
  static const char *const names[] = { "jpeg", "png", "webp", "gif" };
  static const lk_err want[] = {
    LK_OK, LK_OK, LK_OK, LK_ERR_UNSUPPORTED
  };
  enum lk_image_format f;
  char path[512];
  int i, w, h;
  for(i = 0; i < 4; i++) {
    size_t n;
    unsigned char *d;
    snprintf(path, sizeof path, IT_FORMATS "einstein.%s", names[i]);
    d = it_read(path, &n);
    CHECK(lk_image_probe(d, n, &f, &w, &h) == want[i]);
    if(!want[i])
      CHECK(w == 256 && h == 256);
    lk_free(d);
  }
  CHECK(f == LK_IMAGE_GIF);
  CHECK(lk_image_probe("garbage!", 8, &f, &w, &h) == LK_ERR_IMAGE);
  CHECK(f == LK_IMAGE_UNKNOWN && w == 0);
  check_no_leak();
}

static void test_empty_garbage_args(void)
{
  static const unsigned char junk[] = "this is not an image at all";
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image img;
  char why[LK_IMAGE_ERRMAX];
  CHECK(lk_image_decode(junk, 0, NULL, a, &img, why) == LK_ERR_IMAGE);
  CHECK(strstr(why, "empty") != NULL);
  CHECK(lk_image_decode(NULL, 0, NULL, a, &img, why) == LK_ERR_IMAGE);
  CHECK(lk_image_decode(junk, sizeof junk, NULL, a, &img, why) ==
        LK_ERR_IMAGE);
  CHECK(strstr(why, "not a JPEG, PNG or WebP") != NULL);
  CHECK(lk_image_decode(junk, 3, NULL, a, &img, NULL) == LK_ERR_IMAGE);
  /* the length is refused before a byte is read */
  CHECK(lk_image_decode(junk, LK_IMAGE_MAX_BYTES + 1, NULL, a, &img, why) ==
        LK_ERR_TOO_LARGE);
  CHECK(lk_image_decode(NULL, 5, NULL, a, &img, why) == LK_ERR_INVAL);
  CHECK(lk_image_decode(junk, 5, NULL, NULL, &img, why) == LK_ERR_INVAL);
  CHECK(lk_image_decode(junk, 5, NULL, a, NULL, why) == LK_ERR_INVAL);
  CHECK(lk_arena_used(a) == 0);
  lk_arena_destroy(a);
  check_no_leak();
}

/* Sets the size fields of the first SOFn segment. */
static void patch_sof(unsigned char *j, size_t n, int w, int h)
{
  size_t pos = 2;
  while(pos + 9 < n) {
    int m = j[pos + 1], seg = (j[pos + 2] << 8) | j[pos + 3];
    if(m >= 0xc0 && m <= 0xc2) {
      j[pos + 5] = (unsigned char)(h >> 8);
      j[pos + 6] = (unsigned char)h;
      j[pos + 7] = (unsigned char)(w >> 8);
      j[pos + 8] = (unsigned char)w;
      return;
    }
    pos += 2 + (size_t)seg;
  }
  CHECK(!"no SOF");
}

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
  uint32_t c = 0xffffffffu;
  size_t i;
  int k;
  for(i = 0; i < n; i++) {
    c ^= p[i];
    for(k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* A header claiming 60000x60000 is refused before any pixel memory. */
static void test_huge_header_refused(void)
{
  unsigned char *px = it_pattern(16, 16), *j, *p;
  size_t jn, pn;
  struct it_dec r;
  j = it_jpeg(px, 16, 16, TJPF_RGB, TJSAMP_444, 0, &jn);
  patch_sof(j, jn, 60000, 60000);
  it_decode(j, jn, NULL, &r);
  CHECK(r.err == LK_ERR_TOO_LARGE);
  CHECK_MSG(strstr(r.why, "60000x60000") != NULL, "%s", r.why);
  CHECK(lk_arena_used(r.arena) == 0);
  it_done(&r);
  p = it_png(px, 16 * 16 * 3, 16, 16, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL,
             &pn);
  put32(p + 16, 60000);
  put32(p + 20, 60000);
  put32(p + 29, crc32_png(p + 12, 17));
  it_decode(p, pn, NULL, &r);
  CHECK_MSG(r.err == LK_ERR_TOO_LARGE, "%s", r.why);
  CHECK(lk_arena_used(r.arena) == 0);
  it_done(&r);
  lk_free(j);
  lk_free(p);
  lk_free(px);
  check_no_leak();
}

static void test_max_pixels(void)
{
  struct lk_image_opts o = lk_image_default_opts();
  const char *files[] = { IT_FORMATS "einstein.jpeg",
                          IT_FORMATS "einstein.png",
                          IT_FORMATS "einstein.webp" };
  int i;
  CHECK(o.max_pixels == LK_IMAGE_DEFAULT_MAX_PIXELS && o.apply_exif == 1 &&
        o.min_side == 0);
  for(i = 0; i < 3; i++) {
    struct it_dec r;
    size_t n;
    unsigned char *d = it_read(files[i], &n);
    o.max_pixels = 256 * 256 - 1;
    CHECK(it_decode(d, n, &o, &r) == LK_ERR_TOO_LARGE);
    CHECK(lk_arena_used(r.arena) == 0);
    it_done(&r);
    o.max_pixels = 256 * 256;
    CHECK(it_decode(d, n, &o, &r) == LK_OK);
    it_done(&r);
    lk_free(d);
  }
  check_no_leak();
}

static void check_scale(const unsigned char *d, size_t n, int min_side,
                        int denom, int w, int h)
{
  struct lk_image_opts o = lk_image_default_opts();
  struct it_dec r;
  o.min_side = min_side;
  it_decode(d, n, &o, &r);
  CHECK_MSG(r.err == LK_OK, "%s", r.why);
  CHECK_MSG(r.img.scale_denom == denom, "min_side %d: denom %d, want %d",
            min_side, r.img.scale_denom, denom);
  CHECK_MSG(r.img.width == w && r.img.height == h, "min_side %d: %dx%d",
            min_side, r.img.width, r.img.height);
  it_done(&r);
}

static void test_dct_scaling(void)
{
  size_t n, jn;
  unsigned char *d = it_read(IT_FORMATS "einstein.jpeg", &n);
  unsigned char *px = it_pattern(203, 101), *j;
  check_scale(d, n, 0, 1, 256, 256);
  check_scale(d, n, 32, 8, 32, 32);
  check_scale(d, n, 33, 4, 64, 64);
  check_scale(d, n, 100, 2, 128, 128);
  check_scale(d, n, 129, 1, 256, 256);
  check_scale(d, n, 1000, 1, 256, 256);
  /* odd sizes round up, as libjpeg does; the short side decides */
  j = it_jpeg(px, 203, 101, TJPF_RGB, TJSAMP_420, 0, &jn);
  check_scale(j, jn, 13, 8, 26, 13);
  check_scale(j, jn, 14, 4, 51, 26);
  check_scale(j, jn, 51, 2, 102, 51);
  check_scale(j, jn, 52, 1, 203, 101);
  lk_free(j);
  lk_free(px);
  lk_free(d);
  check_no_leak();
}

static void check_jpeg_variant(const char *name, const unsigned char *j,
                               size_t jn, const unsigned char *want, int w,
                               int h, double tol)
{
  struct it_dec r;
  it_decode(j, jn, NULL, &r);
  CHECK_MSG(r.err == LK_OK, "%s: %s", name, r.why);
  if(!r.err) {
    double diff = it_mean_abs_diff(r.img.rgb, want, (size_t)w * h * 3);
    CHECK(r.img.width == w && r.img.height == h);
    CHECK_MSG(diff < tol, "%s: mean |diff| %.2f", name, diff);
  }
  it_done(&r);
}

/* Grey, CMYK (YCCK, as TurboJPEG writes it) and progressive JPEGs. */
static void test_jpeg_variants(void)
{
  int w = 48, h = 40, i;
  unsigned char *rgb = it_pattern(w, h), *grey = lk_malloc(w * h * 3);
  unsigned char *cmyk = lk_malloc(w * h * 4), *j;
  size_t jn;
  for(i = 0; i < w * h; i++) {
    grey[3 * i] = grey[3 * i + 1] = grey[3 * i + 2] = rgb[3 * i + 1];
    /* inverted CMYK with K = 255 is the RGB itself */
    memcpy(cmyk + 4 * i, rgb + 3 * i, 3);
    cmyk[4 * i + 3] = 255;
  }
  j = it_jpeg(grey, w, h, TJPF_RGB, TJSAMP_GRAY, 0, &jn);
  check_jpeg_variant("grey", j, jn, grey, w, h, 2.0);
  lk_free(j);
  j = it_jpeg(cmyk, w, h, TJPF_CMYK, TJSAMP_444, 0, &jn);
  check_jpeg_variant("cmyk", j, jn, rgb, w, h, 3.0);
  lk_free(j);
  j = it_jpeg(rgb, w, h, TJPF_RGB, TJSAMP_444, TJFLAG_PROGRESSIVE, &jn);
  check_jpeg_variant("progressive", j, jn, rgb, w, h, 2.0);
  lk_free(j);
  lk_free(cmyk);
  lk_free(grey);
  lk_free(rgb);
  check_no_leak();
}

static void check_png(const char *name, const void *px, size_t px_len,
                      int ct, int depth, const struct it_png_extra *x,
                      const unsigned char *want)
{
  struct it_dec r;
  size_t n = 0;
  unsigned char *p = it_png(px, px_len, 5, 4, ct, depth, x, &n);
  it_decode(p, n, NULL, &r);
  CHECK_MSG(r.err == LK_OK, "%s: %s", name, r.why);
  CHECK(r.img.width == 5 && r.img.height == 4);
  if(!r.err)
    CHECK_MSG(!memcmp(r.img.rgb, want, 5 * 4 * 3), "%s: pixels differ",
              name);
  it_done(&r);
  lk_free(p);
}

/* 8-bit colour types: RGB, RGBA (alpha dropped, colour kept even where
 * alpha is 0), grey, grey+alpha; RGB with a tRNS colour key; Adam7. */
static void test_png_8bit(void)
{
  unsigned char rgb[60], rgba[80], g[20], ga[40], want[60];
  struct spng_trns trns;
  struct it_png_extra x;
  int i;
  memset(&x, 0, sizeof x);
  memset(&trns, 0, sizeof trns);
  for(i = 0; i < 20; i++) {
    rgb[3 * i] = rgba[4 * i] = (unsigned char)(i * 12);
    rgb[3 * i + 1] = rgba[4 * i + 1] = (unsigned char)(255 - i * 5);
    rgb[3 * i + 2] = rgba[4 * i + 2] = (unsigned char)(i * i);
    rgba[4 * i + 3] = (unsigned char)(i % 3 ? 0 : 128);
    g[i] = ga[2 * i] = (unsigned char)(i * 13);
    ga[2 * i + 1] = (unsigned char)(i % 2 ? 0 : 255);
  }
  check_png("rgb8", rgb, 60, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, rgb);
  check_png("rgba8", rgba, 80, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, 8, NULL,
            rgb);
  x.interlace = 1;
  check_png("rgb8 adam7", rgb, 60, SPNG_COLOR_TYPE_TRUECOLOR, 8, &x, rgb);
  x.interlace = 0;
  trns.red = rgb[0];
  trns.green = rgb[1];
  trns.blue = rgb[2];
  x.trns = &trns;
  check_png("rgb8 trns", rgb, 60, SPNG_COLOR_TYPE_TRUECOLOR, 8, &x, rgb);
  for(i = 0; i < 20; i++)
    memset(want + 3 * i, g[i], 3);
  check_png("grey8", g, 20, SPNG_COLOR_TYPE_GRAYSCALE, 8, NULL, want);
  check_png("grey+alpha8", ga, 40, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, 8, NULL,
            want);
  check_no_leak();
}

/* 16-bit samples become their high byte (libspng's RGB8 conversion). */
static void test_png_16bit(void)
{
  uint16_t rgb[60], rgba[80], g[20], ga[40];
  unsigned char want[60], wantg[60];
  int i, c;
  for(i = 0; i < 20; i++) {
    for(c = 0; c < 3; c++) {
      rgb[3 * i + c] = rgba[4 * i + c] = (uint16_t)(i * 3000 + c * 700 + 99);
      want[3 * i + c] = (unsigned char)(rgb[3 * i + c] >> 8);
    }
    rgba[4 * i + 3] = (uint16_t)(i * 1000);
    g[i] = ga[2 * i] = (uint16_t)(65535 - i * 3001);
    ga[2 * i + 1] = 7;
    memset(wantg + 3 * i, g[i] >> 8, 3);
  }
  check_png("rgb16", rgb, sizeof rgb, SPNG_COLOR_TYPE_TRUECOLOR, 16, NULL,
            want);
  check_png("rgba16", rgba, sizeof rgba, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, 16,
            NULL, want);
  check_png("grey16", g, sizeof g, SPNG_COLOR_TYPE_GRAYSCALE, 16, NULL,
            wantg);
  check_png("grey+alpha16", ga, sizeof ga, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
            16, NULL, wantg);
  check_no_leak();
}

/* Palette (8- and 4-bit, with tRNS ignored) and 1-bit grey. */
static void test_png_palette_and_low_depth(void)
{
  struct spng_plte plte;
  struct spng_trns trns;
  struct it_png_extra x;
  unsigned char idx8[20], idx4[12], bits[4], want[60], wantb[60];
  int i;
  memset(&x, 0, sizeof x);
  memset(&trns, 0, sizeof trns);
  memset(idx4, 0, sizeof idx4);
  memset(bits, 0, sizeof bits);
  memset(&plte, 0, sizeof plte);
  plte.n_entries = 16;
  for(i = 0; i < 16; i++) {
    plte.entries[i].red = (uint8_t)(i * 16);
    plte.entries[i].green = (uint8_t)(200 - i * 9);
    plte.entries[i].blue = (uint8_t)(i * 5 + 3);
  }
  trns.n_type3_entries = 4;
  x.plte = &plte;
  x.trns = &trns;
  for(i = 0; i < 20; i++) {
    int v = (i * 7) % 16, row = i / 5, col = i % 5;
    idx8[i] = (unsigned char)v;
    idx4[row * 3 + col / 2] |= (unsigned char)(col % 2 ? v : v << 4);
    want[3 * i] = plte.entries[v].red;
    want[3 * i + 1] = plte.entries[v].green;
    want[3 * i + 2] = plte.entries[v].blue;
    if((i * 3) % 4 == 1)
      bits[row] |= (unsigned char)(0x80 >> col);
    memset(wantb + 3 * i, (i * 3) % 4 == 1 ? 255 : 0, 3);
  }
  check_png("palette8", idx8, 20, SPNG_COLOR_TYPE_INDEXED, 8, &x, want);
  check_png("palette4", idx4, 12, SPNG_COLOR_TYPE_INDEXED, 4, &x, want);
  check_png("grey1", bits, 4, SPNG_COLOR_TYPE_GRAYSCALE, 1, NULL, wantb);
  check_no_leak();
}

/* A flipped bit in a critical chunk fails its CRC. */
static void test_png_crc_error(void)
{
  unsigned char *px = it_pattern(8, 8), *p;
  struct it_dec r;
  size_t pn;
  p = it_png(px, 8 * 8 * 3, 8, 8, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, &pn);
  p[30] ^= 0x10;   /* the IHDR CRC itself */
  it_decode(p, pn, NULL, &r);
  CHECK(r.err == LK_ERR_IMAGE);
  CHECK_MSG(strcmp(r.why, "PNG: CRC error") == 0, "%s", r.why);
  it_done(&r);
  lk_free(p);
  lk_free(px);
  check_no_leak();
}

static void put_le(unsigned char *p, uint32_t v, int n)
{
  int i;
  for(i = 0; i < n; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Lossless WebP with alpha: RGB comes back exactly as stored. An animated
 * file (VP8X + ANIM + one ANMF frame) is refused by name. */
static void test_webp_alpha_and_animation(void)
{
  unsigned char rgba[6 * 4 * 4], rgb[6 * 4 * 3], *w = NULL, *anim;
  struct it_dec r;
  size_t wn, img, an;
  int i;
  for(i = 0; i < 24; i++) {
    rgba[4 * i] = rgb[3 * i] = (unsigned char)(i * 10);
    rgba[4 * i + 1] = rgb[3 * i + 1] = (unsigned char)(200 - i * 3);
    rgba[4 * i + 2] = rgb[3 * i + 2] = (unsigned char)(i * i);
    rgba[4 * i + 3] = (unsigned char)(1 + i * 10);   /* never 0: kept */
  }
  wn = WebPEncodeLosslessRGBA(rgba, 6, 4, 6 * 4, &w);
  it_decode(w, wn, NULL, &r);
  CHECK_MSG(r.err == LK_OK, "%s", r.why);
  CHECK(!r.err && r.img.width == 6 && !memcmp(r.img.rgb, rgb, sizeof rgb));
  it_done(&r);
  img = wn - 12;   /* the VP8L chunk */
  an = 12 + 18 + 14 + 24 + img;
  anim = lk_calloc(1, an);
  memcpy(anim, "RIFF", 4);
  put_le(anim + 4, (uint32_t)(an - 8), 4);
  memcpy(anim + 8, "WEBPVP8X", 8);
  put_le(anim + 16, 10, 4);
  anim[20] = 0x02 | 0x10;   /* animation, alpha */
  put_le(anim + 24, 5, 3);
  put_le(anim + 27, 3, 3);
  memcpy(anim + 30, "ANIM", 4);
  put_le(anim + 34, 6, 4);   /* background 0, loop 0 */
  memcpy(anim + 44, "ANMF", 4);
  put_le(anim + 48, (uint32_t)(16 + img), 4);
  put_le(anim + 58, 5, 3);   /* frame 6x4 at 0,0 */
  put_le(anim + 61, 3, 3);
  put_le(anim + 64, 100, 3);   /* 100 ms */
  memcpy(anim + 68, w + 12, img);
  it_decode(anim, an, NULL, &r);
  CHECK(r.err == LK_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(r.why, "animated WebP") != NULL, "%s", r.why);
  it_done(&r);
  lk_free(anim);
  WebPFree(w);
  check_no_leak();
}

static void test_file_read_errors(void)
{
  char why[LK_IMAGE_ERRMAX], fifo[64];
  unsigned char *d = (unsigned char *)"x";
  size_t n = 7;
  CHECK(lk_file_read("/nonexistent/x.jpg", 0, &d, &n, why) ==
        LK_ERR_NOT_FOUND);
  CHECK(d == NULL && n == 0);
  CHECK(strstr(why, "/nonexistent/x.jpg") && strstr(why, "no such file"));
  CHECK(lk_file_read(LK_TESTDATA, 0, &d, &n, why) == LK_ERR_INVAL);
  CHECK(strstr(why, "is a directory") != NULL);
  CHECK(lk_file_read("/dev/null", 0, &d, &n, why) == LK_ERR_INVAL);
  CHECK(strstr(why, "not a regular file") != NULL);
  snprintf(fifo, sizeof fifo, "/tmp/lk_test_fifo_%ld", (long)getpid());
  if(!mkfifo(fifo, 0600)) {   /* must not block waiting for a writer */
    CHECK(lk_file_read(fifo, 0, &d, &n, why) == LK_ERR_INVAL);
    unlink(fifo);
  }
  CHECK(lk_file_read(IT_FORMATS "einstein.jpeg", 1000, &d, &n, why) ==
        LK_ERR_TOO_LARGE);
  CHECK(strstr(why, "16825 bytes, over the limit of 1000") != NULL);
  CHECK(lk_file_read(IT_FORMATS "einstein.jpeg", 0, &d, &n, why) == LK_OK);
  CHECK(n == 16825 && d[0] == 0xff && d[1] == 0xd8);
  lk_free(d);
  CHECK(lk_file_read(NULL, 0, &d, &n, why) == LK_ERR_INVAL);
  check_no_leak();
}

static void test_load(void)
{
  struct lk_arena *a = lk_arena_create(0);
  struct lk_image img;
  char why[LK_IMAGE_ERRMAX];
  CHECK(lk_image_load(IT_FORMATS "einstein.png", NULL, a, &img, why) ==
        LK_OK);
  CHECK(img.width == 256 && img.format == LK_IMAGE_PNG);
  CHECK(lk_image_load(IT_FORMATS "missing.png", NULL, a, &img, why) ==
        LK_ERR_NOT_FOUND);
  CHECK(strstr(why, "missing.png") != NULL);
  lk_arena_destroy(a);
  check_no_leak();
}

static void test_encode_jpeg(void)
{
  struct lk_image img;
  struct it_dec r;
  unsigned char *j = NULL;
  size_t n = 0;
  memset(&img, 0, sizeof img);
  img.width = 64;
  img.height = 48;
  img.rgb = it_pattern(64, 48);
  CHECK(lk_image_encode_jpeg(&img, 95, &j, &n) == LK_OK);
  CHECK(n > 100 && j[0] == 0xff && j[1] == 0xd8);
  it_decode(j, n, NULL, &r);
  CHECK(r.err == LK_OK && r.img.width == 64 && r.img.height == 48);
  if(!r.err)
    CHECK_NEAR(it_mean_abs_diff(r.img.rgb, img.rgb, 64 * 48 * 3), 0, 4.0);
  it_done(&r);
  lk_free(j);
  CHECK(lk_image_encode_jpeg(&img, 0, &j, &n) == LK_ERR_INVAL);
  CHECK(lk_image_encode_jpeg(&img, 101, &j, &n) == LK_ERR_INVAL);
  CHECK(lk_image_encode_jpeg(NULL, 90, &j, &n) == LK_ERR_INVAL);
  lk_mem_fail_after(1);
  CHECK(lk_image_encode_jpeg(&img, 75, &j, &n) == LK_ERR_NOMEM);
  lk_mem_fail_after(0);
  lk_free(img.rgb);
  check_no_leak();
}

static void test_write_ppm(void)
{
  struct lk_image img;
  char path[64], head[32];
  unsigned char *d;
  size_t n;
  int hl;
  memset(&img, 0, sizeof img);
  img.width = 5;
  img.height = 3;
  img.rgb = it_pattern(5, 3);
  snprintf(path, sizeof path, "/tmp/lk_test_%ld.ppm", (long)getpid());
  CHECK(lk_image_write_ppm(&img, path) == LK_OK);
  d = it_read(path, &n);
  hl = snprintf(head, sizeof head, "P6\n5 3\n255\n");
  CHECK(n == (size_t)hl + 45);
  CHECK(d && !memcmp(d, head, (size_t)hl) && !memcmp(d + hl, img.rgb, 45));
  lk_free(d);
  unlink(path);
  lk_log_set_level(LK_LOG_ERROR);   /* the expected warning */
  CHECK(lk_image_write_ppm(&img, "/nonexistent/dir/x.ppm") == LK_ERR_IO);
  lk_log_set_level(LK_LOG_INFO);
  lk_free(img.rgb);
  check_no_leak();
}

static int px_is(const struct lk_image *img, int x, int y, int v)
{
  const unsigned char *p = img->rgb + ((size_t)y * img->width + x) * 3;
  return p[0] == v && p[1] == v && p[2] == v;
}

static void test_draw_rect(void)
{
  struct lk_image img;
  unsigned char buf[10 * 8 * 3];
  memset(&img, 0, sizeof img);
  memset(buf, 0, sizeof buf);
  img.width = 10;
  img.height = 8;
  img.rgb = buf;
  lk_image_draw_rect(&img, 7, 6, 2, 1, 2, 9, 9, 9);   /* corners swapped */
  CHECK(px_is(&img, 2, 1, 9) && px_is(&img, 7, 6, 9));
  CHECK(px_is(&img, 3, 2, 9) && px_is(&img, 6, 5, 9));   /* 2 px thick */
  CHECK(px_is(&img, 4, 3, 0) && px_is(&img, 5, 4, 0));   /* inside clear */
  CHECK(px_is(&img, 1, 1, 0) && px_is(&img, 8, 6, 0));   /* outside clear */
  memset(buf, 0, sizeof buf);
  lk_image_draw_rect(&img, -5, -5, 100, 3, 1, 7, 7, 7);   /* clipped */
  CHECK(px_is(&img, 0, 3, 7) && px_is(&img, 9, 3, 7) && px_is(&img, 0, 0, 0));
  CHECK(px_is(&img, 5, 4, 0));
  lk_image_draw_rect(&img, 20, 20, 30, 30, 3, 1, 1, 1);   /* all outside */
  lk_image_draw_rect(&img, 0, 0, 9, 7, 1000000, 5, 5, 5); /* fills */
  CHECK(px_is(&img, 4, 4, 5));
  lk_image_draw_rect(NULL, 0, 0, 1, 1, 1, 0, 0, 0);
}

int main(void)
{
  start_mem = lk_mem_in_use();
  RUN(test_einstein_decodes_alike);
  RUN(test_unsupported_formats_named);
  RUN(test_broken_files);
  RUN(test_truncations_named);
  RUN(test_sniff);
  RUN(test_probe);
  RUN(test_empty_garbage_args);
  RUN(test_huge_header_refused);
  RUN(test_max_pixels);
  RUN(test_dct_scaling);
  RUN(test_jpeg_variants);
  RUN(test_png_8bit);
  RUN(test_png_16bit);
  RUN(test_png_palette_and_low_depth);
  RUN(test_png_crc_error);
  RUN(test_webp_alpha_and_animation);
  RUN(test_file_read_errors);
  RUN(test_load);
  RUN(test_encode_jpeg);
  RUN(test_write_ppm);
  RUN(test_draw_rect);
  return test_report();
}
