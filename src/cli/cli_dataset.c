/* cli_dataset.c - the dataset file of encode and recognize, in the format
 * of the insightface encoder/recognizer CLI we follow:
 *
 *   [["person1","0.2681454,0.9309953,..."],["person1","..."],...]
 *
 * one entry per face image, the descriptor as comma-joined text. Loading
 * is strict: a file that is not exactly this is refused with the entry
 * that is wrong, rather than matching against half a dataset. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A descriptor is ~1.3 KB of text: 256 MiB holds some 200,000 faces. */
#define CLI_DATASET_MAX ((size_t)256 << 20)
/* Width of one %.8g value with its comma ("-1.2345678e-05,"). */
#define CLI_VALUE_CHARS 16

cJSON *cli_dataset_entry(const char *name, const float *desc)
{
  char text[LK_FACE_DESCRIPTOR_DIM * CLI_VALUE_CHARS];
  size_t used = 0;
  cJSON *entry;
  int k, n;

  for(k = 0; k < LK_FACE_DESCRIPTOR_DIM; k++) {
    n = snprintf(text + used, sizeof text - used, "%s%.8g", k ? "," : "",
                 (double)desc[k]);
    if(n < 0 || (size_t)n >= sizeof text - used)
      return NULL;
    used += (size_t)n;
  }
  entry = cJSON_CreateArray();
  if(!entry)
    return NULL;
  cJSON_AddItemToArray(entry, cJSON_CreateString(name));
  cJSON_AddItemToArray(entry, cJSON_CreateString(text));
  if(cJSON_GetArraySize(entry) != 2) {
    cJSON_Delete(entry);
    return NULL;
  }
  return entry;
}

/* Parse "f1,...,f128" into out; why explains what is wrong. */
static int cli_parse_descriptor(const char *text, float *out, char *why,
                                size_t whylen)
{
  const char *p = text;
  char *end;
  int count = 0;
  float v;

  for(;;) {
    errno = 0;
    v = strtof(p, &end);
    if(end == p || (*end && *end != ',') || errno == ERANGE || !isfinite(v)) {
      size_t len = strcspn(p, ",");
      snprintf(why, whylen, "value %d ('%.*s') is not a number", count + 1,
               (int)(len > 24 ? 24 : len), p);
      return -1;
    }
    if(count < LK_FACE_DESCRIPTOR_DIM)
      out[count] = v;
    count++;
    if(!*end)
      break;
    p = end + 1;
  }
  if(count != LK_FACE_DESCRIPTOR_DIM) {
    snprintf(why, whylen, "the descriptor has %d values, expected %d", count,
             LK_FACE_DESCRIPTOR_DIM);
    return -1;
  }
  return 0;
}

/* Entry i (0-based) into slot i of ds; why names it (1-based) on error. */
static lk_err cli_dataset_entry_parse(const cJSON *entry, int i,
                                      struct cli_dataset *ds, char *why)
{
  const cJSON *name, *desc;
  char detail[128];

  if(!cJSON_IsArray(entry) || cJSON_GetArraySize(entry) != 2) {
    snprintf(why, CLI_WHYMAX, "entry %d is not an array "
             "[\"name\", \"f1,...,f%d\"]", i + 1, LK_FACE_DESCRIPTOR_DIM);
    return LK_ERR_INVAL;
  }
  name = cJSON_GetArrayItem(entry, 0);
  desc = cJSON_GetArrayItem(entry, 1);
  if(!cJSON_IsString(name) || !name->valuestring[0]) {
    snprintf(why, CLI_WHYMAX, "entry %d: the name is not a non-empty string",
             i + 1);
    return LK_ERR_INVAL;
  }
  if(!cJSON_IsString(desc)) {
    snprintf(why, CLI_WHYMAX, "entry %d (\"%.64s\"): the descriptor is not "
             "a string", i + 1, name->valuestring);
    return LK_ERR_INVAL;
  }
  if(cli_parse_descriptor(desc->valuestring, ds->desc[i], detail,
                          sizeof detail)) {
    snprintf(why, CLI_WHYMAX, "entry %d (\"%.64s\"): %s", i + 1,
             name->valuestring, detail);
    return LK_ERR_INVAL;
  }
  ds->names[i] = lk_strdup(name->valuestring);
  if(!ds->names[i]) {
    snprintf(why, CLI_WHYMAX, "%s", lk_strerror(LK_ERR_NOMEM));
    return LK_ERR_NOMEM;
  }
  return LK_OK;
}

static lk_err cli_dataset_fill(const cJSON *root, struct cli_dataset *ds,
                               char *why)
{
  const cJSON *entry;
  int n = cJSON_GetArraySize(root);
  lk_err err;

  ds->names = lk_calloc((size_t)n + 1, sizeof *ds->names);
  ds->desc = lk_malloc(((size_t)n + 1) * sizeof *ds->desc);
  if(!ds->names || !ds->desc) {
    snprintf(why, CLI_WHYMAX, "%s", lk_strerror(LK_ERR_NOMEM));
    return LK_ERR_NOMEM;
  }
  cJSON_ArrayForEach(entry, root) {
    err = cli_dataset_entry_parse(entry, ds->n, ds, why);
    if(err)
      return err;
    ds->n++;
  }
  return LK_OK;
}

lk_err cli_dataset_load(const char *path, struct cli_dataset *ds, char *why)
{
  char detail[CLI_WHYMAX];
  unsigned char *data = NULL;
  const char *end = NULL;
  size_t len = 0;
  cJSON *root;
  lk_err err;

  memset(ds, 0, sizeof *ds);
  detail[0] = '\0';
  err = lk_file_read(path, CLI_DATASET_MAX, &data, &len, detail);
  if(err) {
    snprintf(why, CLI_WHYMAX, "%s: %s%s%s", path, lk_strerror(err),
             detail[0] ? ": " : "", detail);
    return err;
  }
  root = cJSON_ParseWithLengthOpts((const char *)data, len, &end, 0);
  if(!root) {
    snprintf(why, CLI_WHYMAX, "%s: not valid JSON (at byte %ld)", path,
             end ? (long)(end - (const char *)data) : 0L);
    err = LK_ERR_INVAL;
  }
  else if(!cJSON_IsArray(root)) {
    snprintf(why, CLI_WHYMAX, "%s: not a JSON array of [name, descriptor] "
             "entries", path);
    err = LK_ERR_INVAL;
  }
  else {
    err = cli_dataset_fill(root, ds, detail);
    if(err)
      snprintf(why, CLI_WHYMAX, "%s: %s", path, detail);
  }
  cJSON_Delete(root);
  lk_free(data);
  if(err)
    cli_dataset_clear(ds);
  return err;
}

void cli_dataset_clear(struct cli_dataset *ds)
{
  int i;
  if(ds->names) {
    for(i = 0; i < ds->n; i++)
      lk_free(ds->names[i]);
  }
  lk_free(ds->names);
  lk_free(ds->desc);
  memset(ds, 0, sizeof *ds);
}

int cli_dataset_nearest(const struct cli_dataset *ds, const float *desc,
                        float *distance)
{
  float best = INFINITY;
  int i, at = -1;
  for(i = 0; i < ds->n; i++) {
    float d = lk_face_distance(ds->desc[i], desc);
    if(d < best) {
      best = d;
      at = i;
    }
  }
  *distance = best;
  return at;
}
