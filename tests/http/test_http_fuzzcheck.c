/* test_http_fuzzcheck.c - replays request bodies through the
 * fuzz_multipart target on every test run (in the LK_SANITIZE build that
 * means ASan/UBSan too): the seeds below, then every file in
 * tests/fuzz/corpus/multipart/ if that folder exists. After the server
 * stops, lk_mem_in_use() must be back where it started.
 *
 *   test_http_fuzzcheck --write-seeds DIR   writes the seeds as files, to
 *                                           start a fuzzing corpus */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "../fuzz/fuzz_multipart.c"
#include "test.h"

struct seed {
  const char *name;
  const char *data;
  size_t size;
};

#define SEED(name, s) { name, s, sizeof s - 1 }
#define PART_A "Content-Disposition: form-data; name=\"userid\"\r\n\r\nIdris"
#define PART_F "Content-Disposition: form-data; name=\"image\"; " \
               "filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" \
               "\xff\xd8\xff\x00\r\n-\r\n--\xff\xd9"

/* byte 0: bit 0 chunked, bits 1-3 the type (see lk_fuzz_types) */
static const struct seed seeds[] = {
  SEED("mp-length", "\x00\n--BB\r\n" PART_A "\r\n--BB\r\n" PART_F "\r\n--BB--\r\n"),
  SEED("mp-chunked", "\x01\n--BB\r\n" PART_A "\r\n--BB\r\n" PART_F "\r\n--BB--"),
  SEED("mp-param", "\x02limit=0&&a=b+c%2B\nXYZ\n--XYZ\r\n" PART_F
                   "\r\n--XYZ\r\n" PART_F "\r\n--XYZ--\r\n"),
  SEED("mp-quoted", "\x09\nQ Q\n--Q Q\r\n" PART_A "\r\n--Q Q--\r\n"),
  SEED("mp-truncated", "\x00\n--BB\r\n" PART_F),
  SEED("mp-wrong-boundary", "\x00\n--C\r\n" PART_A "\r\n--C--\r\n"),
  SEED("mp-preamble", "\x01\npreamble\r\n--BB\r\n" PART_A "\r\n--BB--\r\nepi"),
  SEED("mp-nested", "\x00\n--BB\r\nContent-Disposition: form-data; "
       "name=\"files\"\r\nContent-Type: multipart/mixed; boundary=N\r\n\r\n"
       "--N\r\nContent-Disposition: file; filename=\"a.jpg\"\r\n\r\naaa\r\n"
       "--N\r\nContent-Disposition: file; filename=\"b.jpg\"\r\n\r\nbbb\r\n"
       "--N--\r\n--BB--\r\n"),
  SEED("mp-no-boundary", "\x0b\nmultipart/form-data\n--BB\r\n" PART_A
                         "\r\n--BB--\r\n"),
  SEED("form", "\x04\nuserid=Idris+Elba&api_key=k%26y&flag&=v&a=%4"),
  SEED("form-chunked", "\x05&x=1\na=1&a=2&b=%zz&c=%41%42"),
  SEED("json", "\x06\n{\"file\":\"aGk=\",\"a\":[1,{\"b\":null}],\"c\":1e5}"),
  SEED("json-bad", "\x07\n{\"file\":\"aGk=\",\"a\":[1,{\"b\":nul"),
  SEED("custom-type", "\x0a\napplication/vnd.api+json; charset=utf-8\n[1]"),
  SEED("raw", "\x0c/abc%2Fd?limit=0\n\x00\x01\x02raw"),
  SEED("no-type", "\x0f\nsome bytes"),
};
#define N_SEEDS (sizeof seeds / sizeof seeds[0])

static int write_seeds(const char *dir)
{
  char path[4096];
  size_t i;
  for(i = 0; i < N_SEEDS; i++) {
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, seeds[i].name);
    f = fopen(path, "wb");
    if(!f || fwrite(seeds[i].data, 1, seeds[i].size, f) != seeds[i].size) {
      perror(path);
      return 1;
    }
    fclose(f);
  }
  return 0;
}

static void test_seeds(void)
{
  size_t i;
  for(i = 0; i < N_SEEDS; i++)
    CHECK(LLVMFuzzerTestOneInput((const uint8_t *)seeds[i].data,
                                 seeds[i].size) == 0);
}

static int replay_file(const char *path)
{
  static unsigned char buf[1 << 20];
  FILE *f = fopen(path, "rb");
  size_t n;
  if(!f)
    return -1;
  n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return LLVMFuzzerTestOneInput(buf, n);
}

static void test_corpus(void)
{
  const char *dir = LK_TESTS_DIR "/fuzz/corpus/multipart";
  char path[4096];
  struct dirent *e;
  DIR *d = opendir(dir);
  int n = 0;
  if(!d) {
    printf("     (no %s yet: seeds only)\n", dir);
    return;
  }
  while((e = readdir(d))) {
    if(e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    CHECK_MSG(replay_file(path) == 0, "%s", path);
    n++;
  }
  closedir(d);
  printf("     replayed %d corpus files\n", n);
}

int main(int argc, char **argv)
{
  size_t before = lk_mem_in_use();
  if(argc == 3 && !strcmp(argv[1], "--write-seeds"))
    return write_seeds(argv[2]);
  RUN(test_seeds);
  RUN(test_corpus);
  lk_fuzz_stop();
  CHECK_MSG(lk_mem_in_use() == before, "%zu bytes leaked",
            lk_mem_in_use() - before);
  return test_report();
}
