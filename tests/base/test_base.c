/* test_base.c - lk_strerror covers every lk_err; allocator and arena;
 * durable file writes and whole-file reads. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "test.h"

static void test_strerror_covers_all(void)
{
  int e;
  for(e = 0; e < LK_ERR_LAST; e++)
    CHECK_MSG(strcmp(lk_strerror((lk_err)e), "unknown error") != 0,
              "lk_err %d has no sentence", e);
  CHECK(strcmp(lk_strerror(LK_ERR_LAST), "unknown error") == 0);
  CHECK(strcmp(lk_strerror((lk_err)-1), "unknown error") == 0);
}

static void test_counted_alloc(void)
{
  size_t before = lk_mem_in_use();
  char *p = lk_malloc(1000);
  CHECK(p != NULL);
  CHECK(lk_mem_in_use() == before + 1000);
  p = lk_realloc(p, 5000);
  CHECK(lk_mem_in_use() == before + 5000);
  lk_free(p);
  CHECK(lk_mem_in_use() == before);
}

static void test_fail_injection(void)
{
  void *a, *b, *c;
  lk_mem_fail_after(2);
  a = lk_malloc(8);
  b = lk_malloc(8);
  c = lk_malloc(8);
  lk_mem_fail_after(0);
  CHECK(a != NULL);
  CHECK(b == NULL);
  CHECK(c == NULL);
  lk_free(a);
}

static void test_arena(void)
{
  struct lk_arena *a = lk_arena_create(1 << 20);
  int i;
  void *p;
  CHECK(a != NULL);
  for(i = 0; i < 100; i++) {
    p = lk_arena_alloc(a, 1000);
    CHECK(p != NULL && ((size_t)p & 31) == 0);
  }
  CHECK(lk_arena_alloc(a, 2 << 20) == NULL);   /* over the ceiling */
  lk_arena_reset(a);
  CHECK(lk_arena_used(a) == 0);
  CHECK(lk_arena_alloc(a, 4096) != NULL);
  lk_arena_destroy(a);
  lk_arena_destroy(NULL);
}

static int count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if(!d)
    return -1;
  while((e = readdir(d)))
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void test_file_durable(void)
{
  char dir[] = "/tmp/lk_base_XXXXXX", path[256];
  struct lk_arena *a = lk_arena_create(1 << 20);
  const unsigned char *data;
  size_t len;

  CHECK(mkdtemp(dir) != NULL);
  CHECK(lk_file_write_durable(dir, "a.bin", "hello", 5) == LK_OK);
  CHECK(lk_file_write_durable(dir, "a.bin", "bye", 3) == LK_OK);  /* replaces */
  snprintf(path, sizeof path, "%s/a.bin", dir);
  CHECK(lk_file_read_arena(path, 0, a, &data, &len) == LK_OK);
  CHECK(len == 3 && !memcmp(data, "bye", 4));   /* NUL after the bytes */
  CHECK(count_entries(dir) == 1);               /* no temporary file left */
  CHECK(lk_file_read_arena(path, 2, a, &data, &len) == LK_ERR_TOO_LARGE);
  CHECK(lk_file_write_durable(dir, "empty", "", 0) == LK_OK);

  /* names, never paths */
  CHECK(lk_file_write_durable(dir, "../x", "x", 1) == LK_ERR_INVAL);
  CHECK(lk_file_write_durable(dir, ".hidden", "x", 1) == LK_ERR_INVAL);
  CHECK(lk_file_write_durable(dir, "", "x", 1) == LK_ERR_INVAL);
  snprintf(path, sizeof path, "%s/nope", dir);
  CHECK(lk_file_write_durable(path, "a", "x", 1) == LK_ERR_IO);
  CHECK(lk_file_read_arena(path, 0, a, &data, &len) == LK_ERR_NOT_FOUND);
  CHECK(lk_file_read_arena(dir, 0, a, &data, &len) == LK_ERR_IO);
  CHECK(count_entries(dir) == 2);

  /* the names of temporary files, as a sweep after a crash sees them */
  CHECK(lk_file_is_tmp("a.bin.tmp.Ab12Cd"));
  CHECK(lk_file_is_tmp("x.tmp.000000"));
  CHECK(!lk_file_is_tmp("a.bin"));
  CHECK(!lk_file_is_tmp(".tmp.Ab12Cd"));        /* no name before it */
  CHECK(!lk_file_is_tmp("a.tmp.Ab12C"));        /* five, not six */
  CHECK(!lk_file_is_tmp("a.tmp.Ab1.Cd"));
  CHECK(!lk_file_is_tmp("a.tmp.abcdef.jpg"));   /* a name, not a temp */

  snprintf(path, sizeof path, "%s/a.bin", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/empty", dir);
  unlink(path);
  CHECK(rmdir(dir) == 0);
  lk_arena_destroy(a);
}

/* One call, one line: a newline or escape in a logged name cannot forge
 * a line of its own. */
static void test_log_one_line(void)
{
  char path[] = "/tmp/lk_log_XXXXXX", text[512] = "";
  int fd = mkstemp(path), saved = dup(STDERR_FILENO);
  FILE *f;
  size_t n;
  CHECK(fd >= 0 && saved >= 0);
  if(fd < 0 || saved < 0)
    return;
  dup2(fd, STDERR_FILENO);
  lk_log(LK_LOG_WARN, "test", "event %s", "a\n2026-01-01T00:00:00Z x\033[2J\x7f");
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  f = fopen(path, "r");
  n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  text[n] = '\0';
  if(f)
    fclose(f);
  unlink(path);
  CHECK_MSG(strstr(text, " warn test: event a?2026-01-01T00:00:00Z x?[2J?\n") &&
            strchr(text, '\n') == text + n - 1, "%s", text);
}

int main(void)
{
  size_t start = lk_mem_in_use();
  RUN(test_strerror_covers_all);
  RUN(test_counted_alloc);
  RUN(test_fail_injection);
  RUN(test_arena);
  RUN(test_file_durable);
  RUN(test_log_one_line);
  CHECK(lk_mem_in_use() == start);
  return test_report();
}
