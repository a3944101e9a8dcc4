/* cli_inputs.c - the (person, image) list encode works through: from a
 * folder per person (-p DIR) or the inline JSON of the encoder we follow
 * (-i '{"person":["a.jpg",...]}' or -i @file.json). Sorted by person then
 * path so the dataset comes out the same whatever order the OS lists. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

/* Ceilings: inputs per run, and the size of an -i @file. */
#define CLI_INPUTS_MAX 1000000
#define CLI_INPUT_JSON_MAX ((size_t)64 << 20)

int cli_is_image_name(const char *name)
{
  static const char *const exts[] = { "jpg", "jpeg", "png", "webp", "bmp" };
  const char *dot = strrchr(name, '.');
  size_t i;

  if(!dot)
    return 0;
  for(i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    if(!strcasecmp(dot + 1, exts[i]))
      return 1;
  }
  return 0;
}

static lk_err cli_inputs_add(struct cli_inputs *in, const char *person,
                             const char *path, int *cap)
{
  struct cli_input *it;

  if(in->n >= CLI_INPUTS_MAX)
    return LK_ERR_TOO_LARGE;
  if(in->n == *cap) {
    int ncap = *cap ? *cap * 2 : 64;
    it = lk_realloc(in->items, (size_t)ncap * sizeof *it);
    if(!it)
      return LK_ERR_NOMEM;
    in->items = it;
    *cap = ncap;
  }
  it = &in->items[in->n];
  it->person = lk_strdup(person);
  it->path = lk_strdup(path);
  if(!it->person || !it->path) {
    lk_free(it->person);
    lk_free(it->path);
    return LK_ERR_NOMEM;
  }
  in->n++;
  return LK_OK;
}

static char *cli_join(const char *dir, const char *name)
{
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = lk_malloc(n);
  if(p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static int cli_is_dir(const char *path)
{
  struct stat st;
  return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* The images in one person's folder; hidden files are skipped silently,
 * anything else that is not an image with a warning. */
static lk_err cli_inputs_person(struct cli_inputs *in, const char *person,
                                const char *dir, int *cap)
{
  struct dirent *e;
  DIR *d = opendir(dir);
  lk_err err = LK_OK;

  if(!d) {
    fprintf(stderr, "likeness encode: skipping %s: %s\n", dir,
            strerror(errno));
    return LK_OK;
  }
  while(!err && (e = readdir(d))) {
    char *path;
    if(e->d_name[0] == '.')
      continue;
    path = cli_join(dir, e->d_name);
    if(!path)
      err = LK_ERR_NOMEM;
    else if(cli_is_dir(path) || !cli_is_image_name(e->d_name))
      fprintf(stderr, "likeness encode: skipping %s: not an image file\n",
              path);
    else
      err = cli_inputs_add(in, person, path, cap);
    lk_free(path);
  }
  closedir(d);
  return err;
}

static int cli_input_cmp(const void *a, const void *b)
{
  const struct cli_input *x = a, *y = b;
  int r = strcmp(x->person, y->person);
  return r ? r : strcmp(x->path, y->path);
}

static lk_err cli_inputs_done(struct cli_inputs *in, lk_err err,
                              const char *what, char *why)
{
  if(!err && !in->n) {
    snprintf(why, CLI_WHYMAX, "%s: no images found", what);
    err = LK_ERR_NOT_FOUND;
  }
  else if(err == LK_ERR_TOO_LARGE)
    snprintf(why, CLI_WHYMAX, "%s: more than %d images", what,
             CLI_INPUTS_MAX);
  else if(err && err != LK_ERR_INVAL)
    snprintf(why, CLI_WHYMAX, "%s: %s", what, lk_strerror(err));
  if(err)
    cli_inputs_clear(in);
  else
    qsort(in->items, (size_t)in->n, sizeof *in->items, cli_input_cmp);
  return err;
}

lk_err cli_inputs_from_dir(const char *dir, struct cli_inputs *in, char *why)
{
  struct dirent *e;
  DIR *d;
  int cap = 0;
  lk_err err = LK_OK;

  memset(in, 0, sizeof *in);
  d = opendir(dir);
  if(!d) {
    snprintf(why, CLI_WHYMAX, "%s: %s", dir, strerror(errno));
    return LK_ERR_NOT_FOUND;
  }
  while(!err && (e = readdir(d))) {
    char *path;
    if(e->d_name[0] == '.')
      continue;
    path = cli_join(dir, e->d_name);
    if(!path)
      err = LK_ERR_NOMEM;
    else if(!cli_is_dir(path))
      fprintf(stderr, "likeness encode: skipping %s: not a person folder\n",
              path);
    else
      err = cli_inputs_person(in, e->d_name, path, &cap);
    lk_free(path);
  }
  closedir(d);
  return cli_inputs_done(in, err, dir, why);
}

/* One member of the -i object: "person": ["a.jpg", ...]. */
static lk_err cli_inputs_json_person(struct cli_inputs *in,
                                     const cJSON *member, int *cap,
                                     char *why)
{
  const cJSON *file;
  int k = 0;
  lk_err err;

  if(!member->string[0] || !cJSON_IsArray(member)) {
    snprintf(why, CLI_WHYMAX, "-i: \"%.64s\" must be a non-empty name with "
             "an array of image paths", member->string);
    return LK_ERR_INVAL;
  }
  cJSON_ArrayForEach(file, member) {
    k++;
    if(!cJSON_IsString(file) || !file->valuestring[0]) {
      snprintf(why, CLI_WHYMAX, "-i: \"%.64s\": item %d is not a path",
               member->string, k);
      return LK_ERR_INVAL;
    }
    err = cli_inputs_add(in, member->string, file->valuestring, cap);
    if(err)
      return err;
  }
  return LK_OK;
}

static cJSON *cli_inputs_parse(const char *spec, char *why)
{
  unsigned char *data = NULL;
  size_t len = 0;
  char detail[LK_IMAGE_ERRMAX];
  cJSON *root;
  lk_err err;

  if(spec[0] != '@')
    root = cJSON_Parse(spec);
  else {
    detail[0] = '\0';
    err = lk_file_read(spec + 1, CLI_INPUT_JSON_MAX, &data, &len, detail);
    if(err) {
      snprintf(why, CLI_WHYMAX, "-i: %s: %s%s%s", spec + 1,
               lk_strerror(err), detail[0] ? ": " : "", detail);
      return NULL;
    }
    root = cJSON_ParseWithLength((const char *)data, len);
    lk_free(data);
  }
  if(!root || !cJSON_IsObject(root)) {
    snprintf(why, CLI_WHYMAX, "-i: expected a JSON object "
             "{\"person\":[\"image\",...],...}");
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

lk_err cli_inputs_from_json(const char *spec, struct cli_inputs *in,
                            char *why)
{
  const cJSON *member;
  cJSON *root;
  int cap = 0;
  lk_err err = LK_OK;

  memset(in, 0, sizeof *in);
  root = cli_inputs_parse(spec, why);
  if(!root)
    return LK_ERR_INVAL;
  cJSON_ArrayForEach(member, root) {
    err = cli_inputs_json_person(in, member, &cap, why);
    if(err)
      break;
  }
  cJSON_Delete(root);
  return cli_inputs_done(in, err, "-i", why);
}

void cli_inputs_clear(struct cli_inputs *in)
{
  int i;
  for(i = 0; i < in->n; i++) {
    lk_free(in->items[i].person);
    lk_free(in->items[i].path);
  }
  lk_free(in->items);
  memset(in, 0, sizeof *in);
}
