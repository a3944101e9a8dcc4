/* test_image_robust.c - damaged input and failed allocations: random
 * truncations and bit flips of valid JPEG/PNG/WebP files never crash, never
 * leak, never return a partial image; failing allocation N for every N gives
 * LK_ERR_NOMEM and no leak. Meant to run under the sanitizer build too. */
#include <stdio.h>
#include <string.h>

#include "imgtest.h"

#define IT_TRUNCATIONS 150
#define IT_FLIPS 250
#define IT_MAX_ALLOCS 400   /* no decode here needs more */

static size_t start_mem;
static size_t base_mem;   /* in use while the inputs are loaded */

struct it_input {
  const char *name;
  unsigned char *data;
  size_t len;
};

static uint32_t rng_state = 12345;

/* xorshift32: the same damage on every run, so a failure reproduces. */
static uint32_t rng(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* Decodes one damaged copy; returns its lk_err after checking the
 * contract: a whole image or none, a reason with every error, no leak. */
static lk_err damaged_case(const char *name, const unsigned char *d,
                           size_t n, const char *how)
{
  struct it_dec r;
  it_decode(d, n, NULL, &r);
  if(!r.err) {
    CHECK_MSG(r.img.rgb && r.img.width > 0 && r.img.height > 0,
              "%s %s: OK without pixels", name, how);
  }
  else {
    CHECK_MSG(r.err == LK_ERR_IMAGE || r.err == LK_ERR_UNSUPPORTED ||
              r.err == LK_ERR_TOO_LARGE, "%s %s: %s", name, how,
              lk_strerror(r.err));
    CHECK_MSG(!r.img.rgb && !r.img.width, "%s %s: partial image", name,
              how);
    CHECK_MSG(r.why[0], "%s %s: no reason", name, how);
  }
  it_done(&r);
  CHECK_MSG(lk_mem_in_use() == base_mem, "%s %s: leak", name, how);
  return r.err;
}

static void damage_one(const struct it_input *in, unsigned char *copy)
{
  int i, bad_trunc = 0, errors = 0;
  for(i = 0; i < IT_TRUNCATIONS; i++) {
    size_t n = rng() % in->len;
    lk_err err = damaged_case(in->name, in->data, n, "truncated");
    /* a JPEG cut anywhere misses its end; never an image */
    if(!err && lk_image_sniff(in->data, in->len) == LK_IMAGE_JPEG)
      bad_trunc++;
  }
  for(i = 0; i < IT_FLIPS; i++) {
    int k, flips = 1 + (int)(rng() % 8);
    memcpy(copy, in->data, in->len);
    for(k = 0; k < flips; k++)
      copy[rng() % in->len] ^= (unsigned char)(1u << (rng() % 8));
    errors += damaged_case(in->name, copy, in->len, "flipped") != LK_OK;
  }
  CHECK_MSG(!bad_trunc, "%s: %d truncated JPEGs decoded", in->name,
            bad_trunc);
  printf("     %s: %d of %d bit-flipped copies refused\n", in->name, errors,
         IT_FLIPS);
}

static void load_inputs(struct it_input *in, int *count)
{
  static const char *const files[] = { "einstein.jpeg", "einstein.png",
                                       "einstein.webp" };
  unsigned char *px = it_pattern(40, 24), *j;
  char path[512];
  size_t jn;
  int i;
  for(i = 0; i < 3; i++) {
    snprintf(path, sizeof path, IT_FORMATS "%s", files[i]);
    in[i].name = files[i];
    in[i].data = it_read(path, &in[i].len);
  }
  j = it_jpeg(px, 40, 24, TJPF_RGB, TJSAMP_420, TJFLAG_PROGRESSIVE, &jn);
  in[3].name = "progressive+exif.jpg";
  in[3].data = it_jpeg_with_exif(j, jn, 6, 0, &in[3].len);
  lk_free(j);
  lk_free(px);
  *count = 4;
}

static void test_damaged_inputs(void)
{
  struct it_input in[4];
  int i, n;
  load_inputs(in, &n);
  for(i = 0; i < n; i++) {
    unsigned char *copy = lk_malloc(in[i].len);
    base_mem = lk_mem_in_use();
    if(in[i].data)
      damage_one(&in[i], copy);
    lk_free(copy);
  }
  for(i = 0; i < n; i++)
    lk_free(in[i].data);
  CHECK(lk_mem_in_use() == start_mem);
}

/* Fails allocation k for k = 1, 2, ... until the decode gets through. */
static void fail_each_alloc(const char *name, const unsigned char *d,
                            size_t n)
{
  long k;
  for(k = 1; k <= IT_MAX_ALLOCS; k++) {
    struct it_dec r;
    lk_err err;
    r.arena = lk_arena_create(0);
    lk_mem_fail_after(k);
    err = lk_image_decode(d, n, NULL, r.arena, &r.img, r.why);
    lk_mem_fail_after(0);
    lk_arena_destroy(r.arena);
    CHECK_MSG(lk_mem_in_use() == base_mem, "%s: leak failing alloc %ld",
              name, k);
    if(!err)
      break;
    CHECK_MSG(err == LK_ERR_NOMEM, "%s failing alloc %ld: %s (%s)", name, k,
              lk_strerror(err), r.why);
    CHECK(!r.img.rgb);
  }
  CHECK_MSG(k <= IT_MAX_ALLOCS, "%s: never decoded", name);
  printf("     %s: decodes from allocation %ld on\n", name, k);
}

static void test_alloc_failures(void)
{
  struct it_input in[4];
  unsigned char *px = it_pattern(24, 16), *p, *cmyk, tiff[64];
  struct it_png_extra x;
  size_t pn;
  int i, n;
  load_inputs(in, &n);
  base_mem = lk_mem_in_use();
  for(i = 0; i < n; i++)
    if(in[i].data)
      fail_each_alloc(in[i].name, in[i].data, in[i].len);
  memset(&x, 0, sizeof x);
  x.exif = tiff;
  x.exif_len = it_tiff_orientation(tiff, 8, 1);
  p = it_png(px, 24 * 16 * 3, 24, 16, SPNG_COLOR_TYPE_TRUECOLOR, 8, &x, &pn);
  base_mem = lk_mem_in_use();
  fail_each_alloc("png+exif", p, pn);
  lk_free(p);
  cmyk = lk_calloc(24 * 16, 4);
  p = it_jpeg(cmyk, 24, 16, TJPF_CMYK, TJSAMP_444, 0, &pn);
  base_mem = lk_mem_in_use();
  fail_each_alloc("cmyk.jpg", p, pn);
  lk_free(p);
  lk_free(cmyk);
  lk_free(px);
  for(i = 0; i < n; i++)
    lk_free(in[i].data);
  CHECK(lk_mem_in_use() == start_mem);
}

int main(void)
{
  start_mem = lk_mem_in_use();
  RUN(test_damaged_inputs);
  RUN(test_alloc_failures);
  return test_report();
}
