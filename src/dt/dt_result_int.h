/* dt_result_int.h - helpers shared by the dt_result files (dt_text.c,
 * dt_json.c, dt_mqtt.c); nothing outside src/dt includes this. */
#ifndef LK_DT_RESULT_INT_H
#define LK_DT_RESULT_INT_H

#include "dt/dt_result.h"

/* Add item to o under key / append it to a; on failure free o (or a) and
 * item and give NULL, so a builder chains calls and checks once (as
 * lk_api_json_add, which lives in a layer above this one). */
cJSON *lk_dtr_add(cJSON *o, const char *key, cJSON *item);
cJSON *lk_dtr_push(cJSON *a, cJSON *item);

/* s copied into arena; NULL when out of memory. */
char *lk_dtr_strdup(struct lk_arena *arena, const char *s);
/* The NULL-terminated list of strings joined, in arena. */
char *lk_dtr_join(struct lk_arena *arena, ...);
/* s with every run of JavaScript white space (/\s+/g) replaced by one
 * rep character, in arena. */
char *lk_dtr_spaces(struct lk_arena *arena, const char *s, char rep);

/* lk_dt_lower into lk_malloc'd memory (lk_free it); NULL for NULL. */
char *lk_dtr_lower_dup(const char *s);

/* tree printed compactly into arena; tree is freed either way. */
char *lk_dtr_print(struct lk_arena *arena, cJSON *tree, size_t *len);

#endif
