/* cli_json.c - the JSON shapes of images and faces that describe, detect
 * and recognize print, built with cJSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

cJSON *cli_json_num(double v)
{
  char buf[32];
  if(!isfinite(v))
    return cJSON_CreateNull();
  /* 6 significant digits, as the reference files: cJSON then prints the
   * rounded double in its shortest form ("0.123457", "1234.57") */
  snprintf(buf, sizeof buf, "%.6g", v);
  return cJSON_CreateNumber(strtod(buf, NULL));
}

/* cJSON's Add* calls ignore a NULL item, so a failed allocation leaves a
 * field out instead of crashing; the builders do not check every one. */
static void cli_add_num(cJSON *obj, const char *key, double v)
{
  cJSON_AddItemToObject(obj, key, cli_json_num(v));
}

static cJSON *cli_box_json(const struct lk_box *b)
{
  cJSON *o = cJSON_CreateObject();
  if(!o)
    return NULL;
  cli_add_num(o, "x_min", b->x_min);
  cli_add_num(o, "y_min", b->y_min);
  cli_add_num(o, "x_max", b->x_max);
  cli_add_num(o, "y_max", b->y_max);
  return o;
}

static cJSON *cli_landmarks_json(const struct lk_face *f)
{
  cJSON *arr = cJSON_CreateArray();
  int k;
  if(!arr)
    return NULL;
  for(k = 0; k < LK_FACE_LANDMARKS; k++) {
    cJSON *pt = cJSON_CreateArray();
    if(!pt)
      break;
    cJSON_AddItemToArray(pt, cli_json_num(f->landmarks[k][0]));
    cJSON_AddItemToArray(pt, cli_json_num(f->landmarks[k][1]));
    cJSON_AddItemToArray(arr, pt);
  }
  return arr;
}

static cJSON *cli_descriptor_json(const float *d)
{
  cJSON *arr = cJSON_CreateArray();
  int k;
  if(!arr)
    return NULL;
  for(k = 0; k < LK_FACE_DESCRIPTOR_DIM; k++)
    cJSON_AddItemToArray(arr, cli_json_num(d[k]));
  return arr;
}

cJSON *cli_face_json(const struct lk_face *f, int parts)
{
  cJSON *o = cJSON_CreateObject();
  if(!o)
    return NULL;
  cJSON_AddItemToObject(o, "box", cli_box_json(&f->box));
  cli_add_num(o, "score", f->score);
  if(parts & CLI_PART_LANDMARKS)
    cJSON_AddItemToObject(o, "landmarks", cli_landmarks_json(f));
  if(parts & CLI_PART_DESCRIPTOR)
    cJSON_AddItemToObject(o, "descriptor", cli_descriptor_json(f->descriptor));
  return o;
}

cJSON *cli_image_json(const char *path, const struct lk_image *img,
                      const struct lk_face *faces, int n, int parts)
{
  cJSON *o = cJSON_CreateObject();
  cJSON *arr;
  int w, h, i;

  if(!o)
    return NULL;
  cli_image_size(img, &w, &h);
  cJSON_AddStringToObject(o, "image", path);
  cJSON_AddNumberToObject(o, "width", w);
  cJSON_AddNumberToObject(o, "height", h);
  arr = cJSON_AddArrayToObject(o, "faces");
  for(i = 0; arr && i < n; i++)
    cJSON_AddItemToArray(arr, cli_face_json(&faces[i], parts));
  return o;
}

cJSON *cli_error_json(const char *path, const char *why)
{
  cJSON *o = cJSON_CreateObject();
  if(!o)
    return NULL;
  cJSON_AddStringToObject(o, "image", path);
  cJSON_AddStringToObject(o, "error", why);
  return o;
}

void cli_json_print_line(cJSON *item)
{
  char *text = item ? cJSON_PrintUnformatted(item) : NULL;
  if(text) {
    fputs(text, stdout);
    fputc('\n', stdout);
    cJSON_free(text);
  }
  else {
    /* a line is still owed to the reader, one per image */
    fputs("{\"error\":\"out of memory\"}\n", stdout);
  }
  cJSON_Delete(item);
  fflush(stdout);
}

void cli_print_result(const char *path, lk_err err, const char *why,
                      const struct lk_image *img,
                      const struct lk_face *faces, int n, int parts)
{
  if(err)
    cli_json_print_line(cli_error_json(path, why));
  else
    cli_json_print_line(cli_image_json(path, img, faces, n, parts));
}
