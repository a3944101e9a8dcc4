/* dt_api_common.c - the answers and query readers every Double Take route
 * shares: {"error":..}, the 422 validation body, {"success":true}, and
 * booleans and numbers as Double Take's validators take them, and its
 * timestamps. */
#include "dt_api_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dt/dt_result.h"

lk_err lk_dtapi_error(struct lk_http_resp *resp, int status,
                      const char *message)
{
  cJSON *o = cJSON_CreateObject();
  if(o && !cJSON_AddStringToObject(o, "error", message)) {
    cJSON_Delete(o);
    o = NULL;
  }
  if(!o)
    return LK_ERR_NOMEM;
  return lk_http_resp_json(resp, status, o);
}

lk_err lk_dtapi_invalid(struct lk_http_resp *resp, const char *location,
                        const char *key, const char *error)
{
  cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray(),
        *e = cJSON_CreateObject();
  if(!o || !a || !e || !cJSON_AddStringToObject(e, "location", location) ||
     !cJSON_AddStringToObject(e, "key", key) ||
     !cJSON_AddStringToObject(e, "error", error)) {
    cJSON_Delete(o);
    cJSON_Delete(a);
    cJSON_Delete(e);
    return LK_ERR_NOMEM;
  }
  cJSON_AddItemToArray(a, e);
  cJSON_AddItemToObject(o, "errors", a);
  return lk_http_resp_json(resp, 422, o);
}

lk_err lk_dtapi_success(struct lk_http_resp *resp)
{
  cJSON *o = cJSON_CreateObject();
  if(o && !cJSON_AddTrueToObject(o, "success")) {
    cJSON_Delete(o);
    o = NULL;
  }
  if(!o)
    return LK_ERR_NOMEM;
  return lk_http_resp_json(resp, 200, o);
}

int lk_dtapi_query_bool(struct lk_http_req *req, const char *key, int def)
{
  const char *v = lk_http_req_query(req, key);
  if(!v)
    return def;
  if(!strcmp(v, "true") || !strcmp(v, "1"))
    return 1;
  if(!strcmp(v, "false") || !strcmp(v, "0"))
    return 0;
  return -1;
}

lk_err lk_dtapi_query_int(struct lk_http_req *req, const char *key, long lo,
                          long hi, long def, long *out)
{
  const char *v = lk_http_req_query(req, key);
  char *end;
  long x;
  *out = def;
  if(!v)
    return LK_OK;
  errno = 0;
  x = strtol(v, &end, 10);
  if(!*v || *end || errno || x < lo || x > hi)
    return LK_ERR_INVAL;
  *out = x;
  return LK_OK;
}

/* "2021-06-17T05:01:36.030Z" for Unix seconds t; null for 0 (a row never
 * reprocessed has no updatedAt). */
cJSON *lk_dtapi_time(double t)
{
  struct lk_dt_clock c;
  char text[64];
  if(!(t > 0))
    return cJSON_CreateNull();
  c.unix_ms = (int64_t)llround(t * 1000.0);
  c.offset_min = 0;
  c.utc = 1;
  if(lk_dt_time_format(&c, NULL, text, sizeof text))
    return cJSON_CreateNull();
  return cJSON_CreateString(text);
}
