/* test_fetch_fuzzcheck.c - replays seed inputs through the URL guard's fuzz
 * target (tests/fuzz/fuzz_url.c), as test_image_fuzzcheck does for images:
 * the target's invariants abort() on a violation, and every input must
 * leave no lk_malloc bytes behind. Crashers the fuzzer finds belong in the
 * table below, so they are replayed on every run. */
#include <string.h>

#include "../fuzz/fuzz_url.c"
#include "base/log.h"
#include "test.h"

static const char *const seeds[] = {
  "http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/",
  "http://0177.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]:80/",
  "http://[fe80::1%25eth0]/", "http://169.254.169.254/latest/meta-data/",
  "https://u:p@example.com:8443/a?b=c#d", "file:///etc/passwd",
  "gopher://x/", "http://", "ht!tp://x", "http://[", "http://[]/",
  "http://[::ffff:1.2.3]/", "http://0x/", "http://0x100000000/",
  "http://4294967296/", "http://.../", "http://127.0.0.1.../",
  "192.168.1.0/24", "fd00::/8", "::ffff:10.0.0.0/96", "10.0.0.0/33",
  "0/0", "::/0", "/", "/8", "a/8", "frigate.lan", "x.", "\x7f\x00\x00\x01",
  "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
  "1(92.1\n24P",   /* fuzzer: an allow entry echoed a newline into why */
};

static void replay(const void *d, size_t n, const char *name)
{
  size_t before = lk_mem_in_use();
  LLVMFuzzerTestOneInput(d, n);
  CHECK_MSG(lk_mem_in_use() == before, "%s: leaked %zu bytes", name,
            lk_mem_in_use() - before);
}

static void test_replay_seeds(void)
{
  size_t i;
  for(i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
    replay(seeds[i], strlen(seeds[i]), seeds[i]);
  replay("\x7f\x00\x00\x01", 4, "raw 127.0.0.1");
  replay("", 0, "empty");
}

/* Long inputs, around the URL length limit. */
static void test_replay_long(void)
{
  static const size_t sizes[] = { LK_FETCH_URL_MAX - 1, LK_FETCH_URL_MAX,
                                  LK_FETCH_URL_MAX + 1, LK_FUZZ_URL_MAX };
  unsigned char *buf = lk_malloc(LK_FUZZ_URL_MAX);
  size_t i;
  if(!buf)
    return;
  memcpy(buf, "http://", 7);
  memset(buf + 7, '1', LK_FUZZ_URL_MAX - 7);
  for(i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    replay(buf, sizes[i], "long");
  lk_free(buf);
}

int main(void)
{
  size_t start;
  lk_log_set_level(LK_LOG_WARN);
  if(lk_fetch_init())
    return 1;
  start = lk_mem_in_use();
  RUN(test_replay_seeds);
  RUN(test_replay_long);
  CHECK(lk_mem_in_use() == start);
  return test_report();
}
