/* test_base.c - lk_strerror covers every lk_err; allocator and arena. */
#include <string.h>

#include "base/err.h"
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

int main(void)
{
  size_t start = lk_mem_in_use();
  RUN(test_strerror_covers_all);
  RUN(test_counted_alloc);
  RUN(test_fail_injection);
  RUN(test_arena);
  CHECK(lk_mem_in_use() == start);
  return test_report();
}
