/* dt_api_int.h - what the REST API's files share: dt_api.c (the table,
 * errors, recognize, camera, config, status), dt_api_match.c (/match,
 * /storage/matches, /storage/latest) and dt_api_train.c (/train,
 * /filesystem, /storage/train). Each file gives its rows; dt_api.c
 * prefixes them with ui.path and hands them to the server. */
#ifndef LK_DT_API_INT_H
#define LK_DT_API_INT_H

#include "dt/dt_api.h"
#include "http/api.h"

/* One file's routes: patterns relative to <ui.path>, e.g. "/api/match". */
struct lk_dtapi_table {
  const struct lk_api_route *rows;
  size_t n;
};
struct lk_dtapi_table lk_dtapi_match_table(void);
struct lk_dtapi_table lk_dtapi_train_table(void);

/* The handler's context. */
#define LK_DTAPI(ctx) ((struct lk_dt_api *)(ctx))

/* {"error":message} with status. */
lk_err lk_dtapi_error(struct lk_http_resp *resp, int status,
                      const char *message);
/* 422 {"errors":[{"location":location,"key":key,"error":error}]}: a field
 * failed validation (location: "query", "body", "params", "files"). */
lk_err lk_dtapi_invalid(struct lk_http_resp *resp, const char *location,
                        const char *key, const char *error);
/* {"success":true} with 200. */
lk_err lk_dtapi_success(struct lk_http_resp *resp);

/* A query value as Double Take's express-validator reads booleans and
 * whole numbers: 1 for "true"/"1", 0 for "false"/"0", def when absent;
 * -1 for anything else (the caller answers 422). */
int lk_dtapi_query_bool(struct lk_http_req *req, const char *key, int def);
/* A whole number in lo..hi; def when absent; LK_ERR_INVAL otherwise. */
lk_err lk_dtapi_query_int(struct lk_http_req *req, const char *key, long lo,
                          long hi, long def, long *out);

/* "2021-06-17T05:01:36.030Z" for Unix seconds t (UTC, as Double Take's
 * createdAt); JSON null for t <= 0. NULL when out of memory. */
cJSON *lk_dtapi_time(double t);

#endif
