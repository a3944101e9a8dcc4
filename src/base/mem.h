/* mem.h - the counted allocator every module allocates through, and the
 * per-request arena.
 * Threads: lk_malloc/lk_free/lk_mem_in_use are thread safe (atomic counters).
 * An arena belongs to one thread at a time.
 *
 *   struct lk_arena *a = lk_arena_create(64 << 20);   ceiling 64 MiB
 *   float *x = lk_arena_alloc(a, n * sizeof *x);        NULL past ceiling
 *   lk_arena_destroy(a);                                frees it all */
#ifndef LK_MEM_H
#define LK_MEM_H

#include <stddef.h>

void *lk_malloc(size_t n);
void *lk_calloc(size_t count, size_t size);
void *lk_realloc(void *p, size_t n);
void  lk_free(void *p);                  /* NULL is fine */
char *lk_strdup(const char *s);

/* Bytes currently allocated through lk_malloc and friends. */
size_t lk_mem_in_use(void);

/* Test hook: allocation number n (counting from 1 after this call) and every
 * later one fail; 0 turns failure injection off. */
void lk_mem_fail_after(long n);

struct lk_arena;
struct lk_arena *lk_arena_create(size_t ceiling);
void  lk_arena_destroy(struct lk_arena *a);  /* NULL is fine */
/* 32-byte aligned, uninitialised; NULL when out of memory or over ceiling. */
void *lk_arena_alloc(struct lk_arena *a, size_t n);
void *lk_arena_calloc(struct lk_arena *a, size_t n);
size_t lk_arena_used(const struct lk_arena *a);
/* A NUL-terminated copy of s (of its first n bytes) in the arena. */
char *lk_arena_strdup(struct lk_arena *a, const char *s);
char *lk_arena_strndup(struct lk_arena *a, const char *s, size_t n);
/* Forget everything allocated (keeps the first block for reuse). */
void  lk_arena_reset(struct lk_arena *a);

#endif
