/* fuzz_url.c - libFuzzer target for the URL/address guard, with no network:
 * every input is tried as a URL (curl's URL API, scheme check, literal
 * address in any spelling), as an allow-list entry (the CIDR and host name
 * reader) and, in its first bytes, as a raw IPv4/IPv6 address.
 *
 * Invariants checked with abort(), so the fuzzer reports them as crashes:
 * an IPv4 address and its IPv4-mapped IPv6 form are in the same class, a
 * URL the guard passes with the strict policy also passes the lenient one,
 * and why is always a terminated line.
 *
 * Built with -DLK_FUZZ=ON (clang) as tests/fuzz/fuzz_url; without it,
 * tests/fetch/test_fetch_fuzzcheck.c includes this file and replays its
 * seeds through the same function on every test run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "fetch/fetch.h"

#define LK_FUZZ_URL_MAX (LK_FETCH_URL_MAX + 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lk_fuzz_why_ok(const char *why)
{
  if(!memchr(why, '\0', LK_FETCH_ERRMAX) || strchr(why, '\n'))
    abort();
}

static void lk_fuzz_addr(const uint8_t *data, size_t size)
{
  unsigned char v6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  enum lk_fetch_addr c4;
  if(size >= 16)
    lk_fetch_addr_name(lk_fetch_addr_classify(data, 16));
  if(size < 4)
    return;
  c4 = lk_fetch_addr_classify(data, 4);
  memcpy(v6 + 12, data, 4);
  if(lk_fetch_addr_classify(v6, 16) != c4)
    abort();
}

static void lk_fuzz_url(const char *s)
{
  static const char *const allow[] = { "192.168.1.0/24", "fd00::/8",
                                       "frigate.lan", NULL };
  struct lk_fetch_policy strict = lk_fetch_default_policy();
  struct lk_fetch_policy lenient = lk_fetch_default_policy();
  char why[LK_FETCH_ERRMAX];
  lk_err a, b;
  lenient.allow_private = 1;
  lenient.allow = allow;
  memset(why, 'x', sizeof why);
  a = lk_fetch_url_check(&strict, s, why);
  if(a)
    lk_fuzz_why_ok(why);
  b = lk_fetch_url_check(&lenient, s, why);
  if(a == LK_OK && b != LK_OK && b != LK_ERR_NOMEM)
    abort();
}

static void lk_fuzz_allow(const char *s)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  const char *allow[2];
  char why[LK_FETCH_ERRMAX];
  allow[0] = s;
  allow[1] = NULL;
  p.allow = allow;
  if(lk_fetch_policy_check(&p, why))
    lk_fuzz_why_ok(why);
  else  /* a valid entry must also work inside a real check */
    lk_fetch_url_check(&p, "http://192.168.1.1/", why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s;
  if(size > LK_FUZZ_URL_MAX)
    return 0;
  s = lk_malloc(size + 1);
  if(!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  lk_fuzz_url(s);
  lk_fuzz_allow(s);
  lk_fuzz_addr(data, size);
  lk_free(s);
  return 0;
}
