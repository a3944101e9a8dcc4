/* fuzz_image.c - libFuzzer target for the image decoder: every input goes
 * through lk_image_probe and lk_image_decode with a fresh arena and a 16 MP
 * limit (so the fuzzer's memory limit is about the decoders, not about
 * legitimately large images).
 *
 * Built with -DLK_FUZZ=ON (clang) as tests/fuzz/fuzz_image; without it,
 * tests/image/test_image_fuzzcheck.c includes this file and replays
 * tests/fuzz/corpus/image/ through the same function on every test run. */
#include <stddef.h>
#include <stdint.h>

#include "image/image.h"

#define LK_FUZZ_MAX_PIXELS (16u * 1000u * 1000u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_arena *arena = lk_arena_create(0);
  struct lk_image img;
  enum lk_image_format fmt;
  char why[LK_IMAGE_ERRMAX];
  int w, h;
  if(!arena)
    return 0;
  o.max_pixels = LK_FUZZ_MAX_PIXELS;
  /* Odd-length inputs also take the JPEG DCT-scaling path; the choice
   * depends only on the input, so every crash replays. */
  o.min_side = size & 1 ? 64 : 0;
  lk_image_probe(data, size, &fmt, &w, &h);
  if(!lk_image_decode(data, size, &o, arena, &img, why)) {
    /* read every pixel, so ASan sees a buffer shorter than promised */
    volatile unsigned sum = 0;
    size_t i, n = (size_t)img.width * (size_t)img.height * 3;
    for(i = 0; i < n; i++)
      sum += img.rgb[i];
    (void)sum;
  }
  lk_arena_destroy(arena);
  return 0;
}
