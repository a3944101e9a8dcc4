/* bulk.c - the byte store behind request bodies and form parts.
 *
 * Items (one part's data, or a raw body) are appended to the current block
 * and stay contiguous: when the open item does not fit, it moves to a new,
 * larger block, and the old block is freed if the item was all it held.
 * With a Content-Length the first block is sized from it (decoded parts plus
 * their NULs never exceed the encoded body), so nothing ever moves; chunked
 * bodies start at 64 KiB and double, copying each byte O(1) times. */
#include "http_int.h"

#include <stdint.h>
#include <string.h>

struct lk_http_blk {
  struct lk_http_blk *next;
  size_t cap;
  size_t used;
  unsigned char data[];
};

#define LK_HTTP_BULK_MIN ((size_t)64 * 1024)

void lk_http_bulk_init(struct lk_http_bulk *b, size_t ceiling, size_t hint)
{
  memset(b, 0, sizeof *b);
  b->ceiling = ceiling;
  b->hint = hint;
}

void lk_http_bulk_clear(struct lk_http_bulk *b)
{
  struct lk_http_blk *k = b->head;
  while(k) {
    struct lk_http_blk *next = k->next;
    lk_free(k);
    k = next;
  }
  b->head = NULL;
  b->live = 0;
  b->open = 0;
  b->item = 0;
}

void lk_http_bulk_open(struct lk_http_bulk *b)
{
  b->open = 1;
  b->item = b->head ? b->head->used : 0;
}

size_t lk_http_bulk_open_size(const struct lk_http_bulk *b)
{
  if(!b->open || !b->head)
    return 0;
  return b->head->used - b->item;
}

static size_t lk_http_bulk_next_cap(const struct lk_http_bulk *b, size_t need)
{
  size_t room = b->ceiling - b->live;
  size_t cap;
  if(!b->head)
    cap = b->hint ? b->hint : LK_HTTP_BULK_MIN;
  else
    cap = b->head->cap > SIZE_MAX / 4 ? b->head->cap : b->head->cap * 2;
  if(cap < need)
    cap = need;
  /* doubling must not fail a body that would still fit */
  if(cap > room)
    cap = room;
  return cap;
}

/* A new head block with at least need bytes, holding the open item. */
static lk_err lk_http_bulk_grow(struct lk_http_bulk *b, size_t need)
{
  struct lk_http_blk *old = b->head;
  struct lk_http_blk *k;
  size_t cap, len = lk_http_bulk_open_size(b);

  if(need > b->ceiling - b->live)
    return LK_ERR_TOO_LARGE;
  cap = lk_http_bulk_next_cap(b, need);
  k = lk_malloc(sizeof *k + cap);
  if(!k)
    return LK_ERR_NOMEM;
  k->cap = cap;
  k->used = len;
  k->next = old;
  if(len)
    memcpy(k->data, old->data + b->item, len);
  if(old && b->open) {
    old->used = b->item;
    if(!b->item) {
      /* the old block held only the open item */
      k->next = old->next;
      b->live -= old->cap;
      lk_free(old);
    }
  }
  b->head = k;
  b->item = 0;
  b->live += cap;
  return LK_OK;
}

lk_err lk_http_bulk_put(struct lk_http_bulk *b, const void *data, size_t n)
{
  size_t len = lk_http_bulk_open_size(b);
  lk_err err;
  if(!b->open)
    return LK_ERR_INVAL;
  if(n > SIZE_MAX - len - 1)
    return LK_ERR_TOO_LARGE;
  /* one byte always stays free for the closing NUL */
  if(!b->head || b->head->cap - b->head->used < n + 1) {
    err = lk_http_bulk_grow(b, len + n + 1);
    if(err)
      return err;
  }
  if(n)
    memcpy(b->head->data + b->head->used, data, n);
  b->head->used += n;
  return LK_OK;
}

lk_err lk_http_bulk_close(struct lk_http_bulk *b, const unsigned char **data,
                          size_t *size)
{
  lk_err err;
  if(!b->open)
    return LK_ERR_INVAL;
  if(!b->head || b->head->used == b->head->cap) {
    err = lk_http_bulk_grow(b, lk_http_bulk_open_size(b) + 1);
    if(err)
      return err;
  }
  *data = b->head->data + b->item;
  *size = b->head->used - b->item;
  b->head->data[b->head->used++] = '\0';
  b->open = 0;
  return LK_OK;
}
