/* test_image_fuzzcheck.c - replays tests/fuzz/corpus/image/ through the
 * fuzz target's own entry point, like SQLite's fuzzcheck: seeds and every
 * crasher ever found run on each test run, watched for crashes (and, in the
 * sanitizer build, memory errors) and for lk_malloc leaks. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../fuzz/fuzz_image.c"
#include "test.h"

#define CORPUS LK_TESTS_DIR "/fuzz/corpus/image"

static int replay_one(const char *name)
{
  char path[1024], why[LK_IMAGE_ERRMAX];
  unsigned char *d;
  size_t n, before;
  struct stat st;
  snprintf(path, sizeof path, CORPUS "/%s", name);
  if(stat(path, &st) || !S_ISREG(st.st_mode))
    return 0;
  CHECK_MSG(lk_file_read(path, 0, &d, &n, why) == LK_OK, "%s", why);
  before = lk_mem_in_use();
  LLVMFuzzerTestOneInput(d, n);
  CHECK_MSG(lk_mem_in_use() == before, "%s: leaked %zu bytes", name,
            lk_mem_in_use() - before);
  lk_free(d);
  return 1;
}

static void test_replay_corpus(void)
{
  DIR *dir = opendir(CORPUS);
  struct dirent *e;
  int files = 0;
  CHECK_MSG(dir != NULL, "no corpus at %s", CORPUS);
  if(!dir)
    return;
  while((e = readdir(dir)))
    if(e->d_name[0] != '.')
      files += replay_one(e->d_name);
  closedir(dir);
  printf("     replayed %d files\n", files);
  CHECK(files >= 10);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  RUN(test_replay_corpus);
  CHECK(lk_mem_in_use() == start);
  return test_report();
}
