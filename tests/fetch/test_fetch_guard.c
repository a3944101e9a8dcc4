/* test_fetch_guard.c - the guard without a network: the address classifier
 * over a table of addresses, lk_fetch_url_check over every spelling of an
 * inside address, allow-lists and policy checks. Nothing here connects or
 * resolves: lk_fetch_url_check only reads literal addresses. */
#include <arpa/inet.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "fetch/fetch.h"
#include "test.h"

#define PUB LK_FETCH_ADDR_PUBLIC
#define LOOP LK_FETCH_ADDR_LOOPBACK
#define PRIV LK_FETCH_ADDR_PRIVATE
#define LINK LK_FETCH_ADDR_LINK_LOCAL
#define UNSP LK_FETCH_ADDR_UNSPECIFIED
#define MCAST LK_FETCH_ADDR_MULTICAST
#define BCAST LK_FETCH_ADDR_BROADCAST
#define CGNAT LK_FETCH_ADDR_SHARED
#define RSVD LK_FETCH_ADDR_RESERVED

static const struct {
  const char *ip;
  enum lk_fetch_addr want;
} addrs[] = {
  { "8.8.8.8", PUB }, { "1.1.1.1", PUB }, { "93.184.216.34", PUB },
  { "223.255.255.255", PUB }, { "172.15.255.255", PUB },
  { "172.32.0.0", PUB }, { "192.167.255.255", PUB },
  { "100.63.255.255", PUB }, { "100.128.0.0", PUB }, { "198.20.0.0", PUB },
  { "11.0.0.0", PUB }, { "126.255.255.255", PUB }, { "128.0.0.0", PUB },
  { "127.0.0.1", LOOP }, { "127.255.255.254", LOOP }, { "127.1.2.3", LOOP },
  { "10.0.0.1", PRIV }, { "10.255.255.255", PRIV }, { "172.16.0.1", PRIV },
  { "172.31.255.255", PRIV }, { "192.168.0.1", PRIV },
  { "192.168.255.255", PRIV },
  { "169.254.169.254", LINK }, { "169.254.0.1", LINK },
  { "0.0.0.0", UNSP }, { "0.1.2.3", UNSP },
  { "224.0.0.1", MCAST }, { "239.255.255.250", MCAST },
  { "255.255.255.255", BCAST },
  { "100.64.0.1", CGNAT }, { "100.127.255.255", CGNAT },
  { "240.0.0.1", RSVD }, { "255.255.255.254", RSVD }, { "192.0.2.1", RSVD },
  { "198.51.100.7", RSVD }, { "203.0.113.9", RSVD }, { "198.18.0.1", RSVD },
  { "198.19.255.255", RSVD }, { "192.0.0.8", RSVD },
  /* IPv6 */
  { "2001:4860::8888", PUB }, { "2001:4860:4860::8888", PUB },
  { "2606:4700::1111", PUB }, { "2a00:1450:4001::1", PUB },
  { "3fff:ffff::1", PUB }, { "::ffff:8.8.8.8", PUB },
  { "64:ff9b::808:808", PUB }, { "2002:808:808::1", PUB },
  { "::1", LOOP }, { "::ffff:127.0.0.1", LOOP }, { "64:ff9b::7f00:1", LOOP },
  { "2002:7f00:1::1", LOOP },
  { "::", UNSP }, { "::ffff:0.0.0.0", UNSP },
  { "::ffff:10.1.2.3", PRIV }, { "::ffff:192.168.1.1", PRIV },
  { "fc00::1", PRIV }, { "fd12:3456::1", PRIV }, { "fec0::1", PRIV },
  { "64:ff9b:1::1", PRIV }, { "2002:a00:1::1", PRIV },
  { "fe80::1", LINK }, { "febf:ffff::1", LINK },
  { "::ffff:169.254.169.254", LINK },
  { "ff02::1", MCAST }, { "ff05::1:3", MCAST }, { "::ffff:224.0.0.1", MCAST },
  { "::ffff:255.255.255.255", BCAST }, { "::ffff:100.64.0.1", CGNAT },
  { "2001::1", RSVD }, { "2001:db8::1", RSVD }, { "::127.0.0.1", RSVD },
  { "::2", RSVD }, { "100::1", RSVD }, { "4000::1", RSVD },
  { "1fff::1", RSVD },
};

static void test_classify_table(void)
{
  unsigned char ip[16];
  size_t i, n;
  for(i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
    n = strchr(addrs[i].ip, ':') ? 16 : 4;
    CHECK(inet_pton(n == 4 ? AF_INET : AF_INET6, addrs[i].ip, ip) == 1);
    CHECK_MSG(lk_fetch_addr_classify(ip, n) == addrs[i].want,
              "%s: %s, want %s", addrs[i].ip,
              lk_fetch_addr_name(lk_fetch_addr_classify(ip, n)),
              lk_fetch_addr_name(addrs[i].want));
  }
  CHECK(lk_fetch_addr_classify(ip, 5) == RSVD);
  CHECK(lk_fetch_addr_classify(NULL, 4) == RSVD);
  CHECK(!strcmp(lk_fetch_addr_name(LOOP), "loopback"));
  CHECK(!strcmp(lk_fetch_addr_name((enum lk_fetch_addr)99), "unknown"));
}

static void check_url(const struct lk_fetch_policy *p, const char *url,
                      lk_err want, const char *msg)
{
  char why[LK_FETCH_ERRMAX] = "";
  lk_err err = lk_fetch_url_check(p, url, why);
  CHECK_MSG(err == want && (!msg || !strcmp(why, msg)),
            "%s: %s \"%s\", want %s \"%s\"", url, lk_strerror(err),
            err ? why : "", lk_strerror(want), msg ? msg : "");
}

static void test_inside_spellings(void)
{
  static const char *const loop[] = {
    "http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/",
    "http://0177.0.0.1/", "http://127.1/", "http://0x7f000001/",
    "http://0x7F.0.0.1/", "http://127.0.0.1./", "http://017700000001/",
    "HTTP://127.0.0.1:8080/x", "http://u:p@127.0.0.1/",
    "http://%31%32%37.0.0.1/", "https://127.0.0.1/",
  };
  const char *lmsg = "refused: 127.0.0.1 is a loopback address";
  size_t i;
  for(i = 0; i < sizeof loop / sizeof loop[0]; i++)
    check_url(NULL, loop[i], LK_ERR_DENIED, lmsg);
  check_url(NULL, "http://[::1]/", LK_ERR_DENIED,
            "refused: ::1 is a loopback address");
  check_url(NULL, "http://[::ffff:127.0.0.1]/", LK_ERR_DENIED,
            "refused: ::ffff:127.0.0.1 is a loopback address");
  check_url(NULL, "http://[::ffff:7f00:1]/", LK_ERR_DENIED,
            "refused: ::ffff:127.0.0.1 is a loopback address");
  check_url(NULL, "http://[0:0:0:0:0:ffff:7f00:1]/", LK_ERR_DENIED, NULL);
  check_url(NULL, "http://169.254.169.254/latest/meta-data/", LK_ERR_DENIED,
            "refused: 169.254.169.254 is a link-local address");
  check_url(NULL, "http://[fe80::1%25eth0]/", LK_ERR_DENIED,
            "refused: fe80::1 is a link-local address");
  check_url(NULL, "http://0.0.0.0/", LK_ERR_DENIED,
            "refused: 0.0.0.0 is an unspecified address");
  check_url(NULL, "http://0/", LK_ERR_DENIED,
            "refused: 0.0.0.0 is an unspecified address");
  check_url(NULL, "http://[::]/", LK_ERR_DENIED,
            "refused: :: is an unspecified address");
  check_url(NULL, "http://10.0.0.1/", LK_ERR_DENIED,
            "refused: 10.0.0.1 is a private address");
  check_url(NULL, "http://172.16.5.4/", LK_ERR_DENIED, NULL);
  check_url(NULL, "http://192.168.1.1/", LK_ERR_DENIED, NULL);
  check_url(NULL, "http://[fd00::1]/", LK_ERR_DENIED, NULL);
  check_url(NULL, "http://100.64.1.1/", LK_ERR_DENIED,
            "refused: 100.64.1.1 is a shared (CGNAT) address");
  check_url(NULL, "http://224.0.0.1/", LK_ERR_DENIED,
            "refused: 224.0.0.1 is a multicast address");
  check_url(NULL, "http://255.255.255.255/", LK_ERR_DENIED,
            "refused: 255.255.255.255 is a broadcast address");
}

/* Names and public addresses are "not refused yet": names are checked
 * again once resolved, at connect time. */
static void test_outside_passes(void)
{
  static const char *const ok[] = {
    "http://8.8.8.8/", "https://[2001:4860::8888]/", "https://1.1.1.1:8443/a",
    "http://example.com/x.jpg", "https://u:p@example.com/",
    "http://1.2.3.4.5/", "http://256.1.1.1/", "http:/example.com/",
    "http://localhost/", "http://[::ffff:8.8.8.8]/",
  };
  size_t i;
  for(i = 0; i < sizeof ok / sizeof ok[0]; i++)
    check_url(NULL, ok[i], LK_OK, NULL);
}

static void test_schemes(void)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  check_url(NULL, "file:///etc/passwd", LK_ERR_DENIED,
            "refused: scheme file is not allowed (http and https only)");
  check_url(NULL, "gopher://example.com/", LK_ERR_DENIED, NULL);
  check_url(NULL, "ftp://example.com/x.jpg", LK_ERR_DENIED, NULL);
  check_url(NULL, "dict://127.0.0.1:11211/", LK_ERR_DENIED, NULL);
  check_url(NULL, "foo://bar/", LK_ERR_DENIED,
            "refused: scheme foo is not allowed (http and https only)");
  p.https_only = 1;
  check_url(&p, "http://example.com/", LK_ERR_DENIED,
            "refused: scheme http is not allowed (https only)");
  check_url(&p, "https://example.com/", LK_OK, NULL);
}

static void test_malformed(void)
{
  static const char *const bad[] = {
    "", "http://", "ht!tp://x", "example.com/x.jpg", "http://a b/",
    "http://[::1/", "http://[::1]:99999/", "://x", "\x01\x7f\xff garbage",
    "http://exa mple.com/", "http://[1.2.3.4]/", "http://[::1]x/",
    "http://:80/", " http://example.com/",
  };
  char *huge = lk_malloc(LK_FETCH_URL_MAX + 2);
  size_t i;
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++)
    check_url(NULL, bad[i], LK_ERR_INVAL, NULL);
  check_url(NULL, NULL, LK_ERR_INVAL, NULL);
  if(!huge)
    return;
  memcpy(huge, "http://", 7);
  memset(huge + 7, 'a', LK_FETCH_URL_MAX - 7 + 1);
  huge[LK_FETCH_URL_MAX + 1] = '\0';
  check_url(NULL, huge, LK_ERR_INVAL, "malformed URL: longer than 8192 bytes");
  lk_free(huge);
}

static void test_allow_private_flag(void)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  p.allow_private = 1;
  check_url(&p, "http://127.0.0.1/", LK_OK, NULL);
  check_url(&p, "http://10.0.0.1/", LK_OK, NULL);
  check_url(&p, "http://[fd00::1]/", LK_OK, NULL);
  check_url(&p, "http://100.64.0.1/", LK_OK, NULL);
  check_url(&p, "http://[::ffff:192.168.0.1]/", LK_OK, NULL);
  /* never opened by the flag: metadata, and addresses with no server */
  check_url(&p, "http://169.254.169.254/", LK_ERR_DENIED, NULL);
  check_url(&p, "http://0.0.0.0/", LK_ERR_DENIED, NULL);
  check_url(&p, "http://224.0.0.1/", LK_ERR_DENIED, NULL);
  check_url(&p, "http://192.0.2.1/", LK_ERR_DENIED, NULL);
}

static void test_allow_list(void)
{
  const char *allow[] = { "192.168.1.0/24", "fd00::/8", "169.254.0.0/16",
                          "Frigate.LAN", "0.0.0.0/0", NULL };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  p.allow = allow;
  check_url(&p, "http://192.168.1.7/", LK_OK, NULL);
  check_url(&p, "http://[::ffff:192.168.1.9]/", LK_OK, NULL);
  check_url(&p, "http://192.168.2.7/", LK_OK, NULL);    /* via 0.0.0.0/0 */
  check_url(&p, "http://[fd00::5]/", LK_OK, NULL);
  check_url(&p, "http://[fe80::1]/", LK_ERR_DENIED, NULL);
  check_url(&p, "http://169.254.169.254/", LK_OK, NULL);
  /* never, whatever the list says */
  check_url(&p, "http://0.0.0.0/", LK_ERR_DENIED, NULL);
  check_url(&p, "http://255.255.255.255/", LK_ERR_DENIED, NULL);
  allow[4] = NULL;
  check_url(&p, "http://192.168.2.7/", LK_ERR_DENIED,
            "refused: 192.168.2.7 is a private address");
  check_url(&p, "http://frigate.lan./", LK_OK, NULL);
}

static void check_policy(const struct lk_fetch_policy *p, lk_err want)
{
  char why[LK_FETCH_ERRMAX] = "";
  lk_err err = lk_fetch_policy_check(p, why);
  CHECK_MSG(err == want, "%s \"%s\", want %s", lk_strerror(err), why,
            lk_strerror(want));
}

static void test_policy_check(void)
{
  static const char *const good[] = {
    "10.0.0.0/8", "127.0.0.1", "127.0.0.1/32", "::1", "fd00::/8",
    "::ffff:10.0.0.0/104", "0.0.0.0/0", "frigate.lan", "cam-1.home.arpa",
    "x_y", "frigate.lan.",
  };
  static const char *const bad[] = {
    "", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.0/-1",
    "10.0.0.0/ 8", "::/129", "127.1", "0x7f.1", "2130706433", "127.0.0.1.",
    "bad host!", ".lan", "-x", "http://x/", "frigate.lan/24", "[::1]",
  };
  struct lk_fetch_policy p = lk_fetch_default_policy();
  const char *one[2] = { NULL, NULL };
  size_t i;
  check_policy(&p, LK_OK);
  check_policy(NULL, LK_OK);
  p.allow = one;
  for(i = 0; i < sizeof good / sizeof good[0]; i++) {
    one[0] = good[i];
    check_policy(&p, LK_OK);
  }
  for(i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    one[0] = bad[i];
    check_policy(&p, LK_ERR_INVAL);
  }
  p = lk_fetch_default_policy();
  p.timeout_ms = 0;
  check_policy(&p, LK_ERR_INVAL);
  p = lk_fetch_default_policy();
  p.max_redirects = LK_FETCH_MAX_REDIRECTS + 1;
  check_policy(&p, LK_ERR_INVAL);
  p = lk_fetch_default_policy();
  p.max_bytes = 0;
  check_policy(&p, LK_ERR_INVAL);
  p = lk_fetch_default_policy();
  p.user_agent = "x\r\nHost: evil";
  check_policy(&p, LK_ERR_INVAL);
}

static void test_defaults(void)
{
  struct lk_fetch_policy p = lk_fetch_default_policy();
  CHECK(p.max_bytes == 20971520);
  CHECK(p.timeout_ms == 10000);
  CHECK(p.max_redirects == 3);
  CHECK(!p.allow_private && !p.allow && !p.https_only);
}

static void test_alloc_failures(void)
{
  size_t before = lk_mem_in_use();
  char why[LK_FETCH_ERRMAX];
  lk_err err = LK_ERR_NOMEM;
  long n;
  for(n = 1; n < 1000 && err == LK_ERR_NOMEM; n++) {
    lk_mem_fail_after(n);
    err = lk_fetch_url_check(NULL, "http://0x7f.1/", why);
    lk_mem_fail_after(0);
    CHECK(lk_mem_in_use() == before);
  }
  CHECK_MSG(err == LK_ERR_DENIED, "%s: %s", lk_strerror(err), why);
}

int main(void)
{
  size_t start;
  lk_log_set_level(LK_LOG_WARN);
  if(lk_fetch_init())
    return 1;
  start = lk_mem_in_use();
  RUN(test_classify_table);
  RUN(test_inside_spellings);
  RUN(test_outside_passes);
  RUN(test_schemes);
  RUN(test_malformed);
  RUN(test_allow_private_flag);
  RUN(test_allow_list);
  RUN(test_policy_check);
  RUN(test_defaults);
  RUN(test_alloc_failures);
  CHECK(lk_mem_in_use() == start);
  return test_report();
}
