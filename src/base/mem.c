/* mem.c - counted allocator and bump arena.
 *
 * Each lk_malloc block carries a 32-byte header holding its size, so lk_free
 * can keep lk_mem_in_use exact without help from the C library. 32 bytes keep
 * the payload aligned for SIMD loads. */
#include "mem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LK_MEM_HDR 32

static atomic_size_t lk_mem_used;
static atomic_long lk_mem_countdown;   /* 0: off; >0: allocations left */

static int lk_mem_should_fail(void)
{
  long left = atomic_load(&lk_mem_countdown);
  if(left <= 0)
    return 0;
  if(left == 1)
    return 1;   /* stays at 1: every later allocation fails too */
  atomic_fetch_sub(&lk_mem_countdown, 1);
  return 0;
}

void lk_mem_fail_after(long n)
{
  atomic_store(&lk_mem_countdown, n > 0 ? n : 0);
}

void *lk_malloc(size_t n)
{
  unsigned char *p;
  if(n > SIZE_MAX - LK_MEM_HDR || lk_mem_should_fail())
    return NULL;
  p = aligned_alloc(LK_MEM_HDR, (n + LK_MEM_HDR + LK_MEM_HDR - 1) /
                    LK_MEM_HDR * LK_MEM_HDR);
  if(!p)
    return NULL;
  memcpy(p, &n, sizeof n);
  atomic_fetch_add(&lk_mem_used, n);
  return p + LK_MEM_HDR;
}

void *lk_calloc(size_t count, size_t size)
{
  void *p;
  if(size && count > SIZE_MAX / size)
    return NULL;
  p = lk_malloc(count * size);
  if(p)
    memset(p, 0, count * size);
  return p;
}

void lk_free(void *p)
{
  size_t n;
  unsigned char *base;
  if(!p)
    return;
  base = (unsigned char *)p - LK_MEM_HDR;
  memcpy(&n, base, sizeof n);
  atomic_fetch_sub(&lk_mem_used, n);
  free(base);
}

void *lk_realloc(void *p, size_t n)
{
  size_t old;
  void *q;
  if(!p)
    return lk_malloc(n);
  memcpy(&old, (unsigned char *)p - LK_MEM_HDR, sizeof old);
  q = lk_malloc(n);
  if(!q)
    return NULL;
  memcpy(q, p, old < n ? old : n);
  lk_free(p);
  return q;
}

char *lk_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = lk_malloc(n);
  if(d)
    memcpy(d, s, n);
  return d;
}

size_t lk_mem_in_use(void)
{
  return atomic_load(&lk_mem_used);
}

/* Arena: a chain of blocks; each new block at least doubles the last so a
 * request does few allocations whatever it needs. */
struct lk_arena_block {
  struct lk_arena_block *next;
  size_t size;
  size_t used;
  unsigned char *data;
};

struct lk_arena {
  struct lk_arena_block *head;
  size_t ceiling;
  size_t total;      /* bytes handed out */
};

#define LK_ARENA_MIN (64 * 1024)

struct lk_arena *lk_arena_create(size_t ceiling)
{
  struct lk_arena *a = lk_calloc(1, sizeof *a);
  if(a)
    a->ceiling = ceiling;
  return a;
}

static void lk_arena_free_chain(struct lk_arena_block *b)
{
  while(b) {
    struct lk_arena_block *next = b->next;
    lk_free(b);
    b = next;
  }
}

void lk_arena_destroy(struct lk_arena *a)
{
  if(!a)
    return;
  lk_arena_free_chain(a->head);
  lk_free(a);
}

static struct lk_arena_block *lk_arena_grow(struct lk_arena *a, size_t n)
{
  size_t size = a->head ? a->head->size * 2 : LK_ARENA_MIN;
  struct lk_arena_block *b;
  if(size < n)
    size = n;
  b = lk_malloc(sizeof *b + 32 + size);
  if(!b)
    return NULL;
  b->data = (unsigned char *)(((uintptr_t)(b + 1) + 31) & ~(uintptr_t)31);
  b->size = size;
  b->used = 0;
  b->next = a->head;
  a->head = b;
  return b;
}

void *lk_arena_alloc(struct lk_arena *a, size_t n)
{
  struct lk_arena_block *b;
  void *p;
  if(!a || n > SIZE_MAX - 64)
    return NULL;
  n = (n + 31) & ~(size_t)31;
  if(a->ceiling && a->total + n > a->ceiling)
    return NULL;
  b = a->head;
  if(!b || b->size - b->used < n) {
    b = lk_arena_grow(a, n);
    if(!b)
      return NULL;
  }
  p = b->data + b->used;
  b->used += n;
  a->total += n;
  return p;
}

void *lk_arena_calloc(struct lk_arena *a, size_t n)
{
  void *p = lk_arena_alloc(a, n);
  if(p)
    memset(p, 0, n);
  return p;
}

size_t lk_arena_used(const struct lk_arena *a)
{
  return a ? a->total : 0;
}

void lk_arena_reset(struct lk_arena *a)
{
  struct lk_arena_block *keep;
  if(!a || !a->head)
    return;
  /* keep the largest (newest) block, free the rest */
  keep = a->head;
  lk_arena_free_chain(keep->next);
  keep->next = NULL;
  keep->used = 0;
  a->total = 0;
}

char *lk_arena_strndup(struct lk_arena *a, const char *s, size_t n)
{
  char *d = lk_arena_alloc(a, n + 1);
  if(d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

char *lk_arena_strdup(struct lk_arena *a, const char *s)
{
  return lk_arena_strndup(a, s, strlen(s));
}
