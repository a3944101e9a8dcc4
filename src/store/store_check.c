/* store_check.c - input checks shared by every store call. Each refusal is
 * logged once at debug level with its reason, so an adapter can return
 * LK_ERR_INVAL without inventing its own sentence. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "base/log.h"
#include "store/store_int.h"

static lk_err lk_store_refuse(const char *what, const char *why)
{
  lk_log(LK_LOG_DEBUG, "store", "%s refused: %s", what, why);
  return LK_ERR_INVAL;
}

/* Length of the UTF-8 sequence starting with byte c, 0 if c cannot start
 * one (a continuation byte, C0/C1 overlong leads, or past U+10FFFF). */
static int lk_utf8_len(unsigned char c)
{
  if(c < 0x80)
    return 1;
  if(c >= 0xc2 && c <= 0xdf)
    return 2;
  if(c >= 0xe0 && c <= 0xef)
    return 3;
  if(c >= 0xf0 && c <= 0xf4)
    return 4;
  return 0;
}

/* The second byte's range rules out overlong forms, surrogates
 * (U+D800..DFFF) and code points past U+10FFFF (RFC 3629 table). */
static int lk_utf8_second_ok(unsigned char lead, unsigned char c)
{
  if(lead == 0xe0)
    return c >= 0xa0 && c <= 0xbf;
  if(lead == 0xed)
    return c >= 0x80 && c <= 0x9f;
  if(lead == 0xf0)
    return c >= 0x90 && c <= 0xbf;
  if(lead == 0xf4)
    return c >= 0x80 && c <= 0x8f;
  return c >= 0x80 && c <= 0xbf;
}

int lk_store_utf8_valid(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while(i < len) {
    int n = lk_utf8_len(p[i]);
    int k;
    if(!n || len - i < (size_t)n)
      return 0;
    if(n > 1 && !lk_utf8_second_ok(p[i], p[i + 1]))
      return 0;
    for(k = 2; k < n; k++)
      if((p[i + k] & 0xc0) != 0x80)
        return 0;
    i += (size_t)n;
  }
  return 1;
}

lk_err lk_store_check_name(const char *name)
{
  size_t len;
  if(!name)
    return lk_store_refuse("name", "missing");
  len = strnlen(name, LK_STORE_NAME_MAX + 1);
  if(!len)
    return lk_store_refuse("name", "empty");
  if(len > LK_STORE_NAME_MAX)
    return lk_store_refuse("name", "longer than 256 bytes");
  if(!lk_store_utf8_valid(name, len))
    return lk_store_refuse("name", "not valid UTF-8");
  return LK_OK;
}

lk_err lk_store_check_label(const char *label, const char *what)
{
  size_t len;
  if(!label)
    return LK_OK;
  len = strnlen(label, LK_STORE_LABEL_MAX + 1);
  if(len > LK_STORE_LABEL_MAX)
    return lk_store_refuse(what, "longer than 64 bytes");
  if(!lk_store_utf8_valid(label, len))
    return lk_store_refuse(what, "not valid UTF-8");
  return LK_OK;
}

lk_err lk_store_check_path(const char *path)
{
  size_t len;
  if(!path)
    return LK_OK;
  len = strnlen(path, LK_STORE_PATH_MAX + 1);
  if(len > LK_STORE_PATH_MAX)
    return lk_store_refuse("image path", "longer than 4096 bytes");
  if(!lk_store_utf8_valid(path, len))
    return lk_store_refuse("image path", "not valid UTF-8");
  return LK_OK;
}

lk_err lk_store_check_descriptor(const float *d)
{
  int i;
  if(!d)
    return lk_store_refuse("descriptor", "missing");
  for(i = 0; i < LK_STORE_DIM; i++)
    if(!isfinite(d[i]))
      return lk_store_refuse("descriptor", "NaN or infinite value");
  return LK_OK;
}

/* cJSON answers NULL both for bad JSON and for a failed allocation (when
 * the program routed its hooks to lk_malloc). A probe allocation tells the
 * two apart: under memory pressure it fails too. */
static lk_err lk_store_json_failed(void)
{
  void *probe = lk_malloc(64);
  if(!probe)
    return LK_ERR_NOMEM;
  lk_free(probe);
  return lk_store_refuse("metadata", "not valid JSON");
}

lk_err lk_store_check_meta(const char *json)
{
  cJSON *root;
  size_t len;
  lk_err err = LK_OK;
  if(!json)
    return LK_OK;
  len = strnlen(json, LK_STORE_META_MAX + 1);
  if(len > LK_STORE_META_MAX)
    return lk_store_refuse("metadata", "larger than 64 KiB");
  if(!lk_store_utf8_valid(json, len))
    return lk_store_refuse("metadata", "not valid UTF-8");
  /* the length counts the NUL: that is how cJSON checks that nothing
   * follows the value when require_null_terminated is set */
  root = cJSON_ParseWithLengthOpts(json, len + 1, NULL, 1);
  if(!root)
    return lk_store_json_failed();
  if(!cJSON_IsObject(root))
    err = lk_store_refuse("metadata", "not a JSON object");
  cJSON_Delete(root);
  return err;
}

static int lk_hex_lower(char c)
{
  if(c >= '0' && c <= '9')
    return c;
  if(c >= 'a' && c <= 'f')
    return c;
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 'a';
  return 0;
}

lk_err lk_store_check_sha256(const char *hex, int allow_empty, char *out)
{
  int i;
  out[0] = '\0';
  if(!hex || (allow_empty && !hex[0]))
    return LK_OK;
  for(i = 0; i < 64; i++) {
    int c = lk_hex_lower(hex[i]);
    if(!c)
      return lk_store_refuse("sha256", "not 64 hex digits");
    out[i] = (char)c;
  }
  if(hex[64])
    return lk_store_refuse("sha256", "not 64 hex digits");
  out[64] = '\0';
  return LK_OK;
}

