/* weights.c - load a face-api.js (tfjs) weights manifest and its shards.
 *
 * The manifest is a JSON array of groups {paths:[...], weights:[...]}; each
 * group's shards are concatenated and its weights laid out back to back.
 * Quantized weights (quantization {dtype:uint8|uint16, scale, min}) decode as
 * tfjs's io_utils does: q * scale + min in double precision, then float. */
#include "nn.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"

#define LK_NN_MAX_FILE ((size_t)64 << 20)   /* largest shard/manifest read */

struct lk_nn_weights {
  int n;
  struct lk_nn_tensor *t;
};

/* Reasons may be cut short: vsnprintf keeps them within LK_NN_ERRMAX. */
static void lk_nn_why(char *why, const char *fmt, ...)
{
  va_list ap;
  if(!why)
    return;
  va_start(ap, fmt);
  vsnprintf(why, LK_NN_ERRMAX, fmt, ap);
  va_end(ap);
}

/* Read a whole file; NULL and why on failure. */
static unsigned char *lk_nn_slurp(const char *path, size_t *len, char *why)
{
  FILE *f = fopen(path, "rb");
  unsigned char *buf = NULL;
  long size;

  if(!f) {
    lk_nn_why(why, "cannot open %s", path);
    return NULL;
  }
  if(fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
     (size_t)size > LK_NN_MAX_FILE || fseek(f, 0, SEEK_SET)) {
    lk_nn_why(why, "cannot size %s (or over 64 MiB)", path);
    goto out;
  }
  buf = lk_malloc((size_t)size + 1);
  if(buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
    lk_nn_why(why, "short read on %s", path);
    lk_free(buf);
    buf = NULL;
    goto out;
  }
  if(buf) {
    buf[size] = 0;
    *len = (size_t)size;
  }
out:
  fclose(f);
  return buf;
}

/* DIR/NAME, or DIR/model/NAME when that exists. */
static void lk_nn_model_path(char *out, size_t n, const char *dir,
                             const char *file)
{
  FILE *f;
  snprintf(out, n, "%s/model/%s", dir, file);
  f = fopen(out, "rb");
  if(f) {
    fclose(f);
    return;
  }
  snprintf(out, n, "%s/%s", dir, file);
}

struct lk_nn_blob {
  unsigned char *data;
  size_t len;
  size_t pos;
};

/* Concatenate a group's shards. */
static lk_err lk_nn_group_read(const cJSON *paths, const char *dir,
                               struct lk_nn_blob *blob, char *why)
{
  const cJSON *p;
  char path[4096];
  blob->data = NULL;
  blob->len = blob->pos = 0;
  cJSON_ArrayForEach(p, paths) {
    size_t len;
    unsigned char *part, *grown;
    if(!cJSON_IsString(p) || strchr(p->valuestring, '/')) {
      lk_nn_why(why, "manifest in %s: bad shard path", dir);
      return LK_ERR_MODEL;
    }
    lk_nn_model_path(path, sizeof path, dir, p->valuestring);
    part = lk_nn_slurp(path, &len, why);
    if(!part)
      return LK_ERR_MODEL;
    grown = lk_realloc(blob->data, blob->len + len + 1);
    if(!grown) {
      lk_free(part);
      return LK_ERR_NOMEM;
    }
    memcpy(grown + blob->len, part, len);
    lk_free(part);
    blob->data = grown;
    blob->len += len;
  }
  return LK_OK;
}

static size_t lk_nn_dtype_size(const char *dtype)
{
  if(!strcmp(dtype, "uint8"))
    return 1;
  if(!strcmp(dtype, "uint16"))
    return 2;
  if(!strcmp(dtype, "float32") || !strcmp(dtype, "int32"))
    return 4;
  return 0;
}

/* Decode count elements at blob->pos into t->data. */
static lk_err lk_nn_decode(struct lk_nn_tensor *t, const char *dtype,
                           const cJSON *quant, struct lk_nn_blob *blob,
                           char *why)
{
  const char *qtype = NULL;
  double scale = 1.0, min = 0.0;
  size_t esize, i;
  const unsigned char *src;

  if(quant) {
    const cJSON *qd = cJSON_GetObjectItemCaseSensitive(quant, "dtype");
    const cJSON *qs = cJSON_GetObjectItemCaseSensitive(quant, "scale");
    const cJSON *qm = cJSON_GetObjectItemCaseSensitive(quant, "min");
    if(!cJSON_IsString(qd) || !cJSON_IsNumber(qs) || !cJSON_IsNumber(qm)) {
      lk_nn_why(why, "weight %s: unsupported quantization", t->name);
      return LK_ERR_MODEL;
    }
    qtype = qd->valuestring;
    scale = qs->valuedouble;
    min = qm->valuedouble;
  }
  esize = lk_nn_dtype_size(qtype ? qtype : dtype);
  if(!esize || (qtype && !strcmp(qtype, "float32"))) {
    lk_nn_why(why, "weight %s: unsupported dtype %s", t->name,
              qtype ? qtype : dtype);
    return LK_ERR_MODEL;
  }
  if(blob->len - blob->pos < t->count * esize) {
    lk_nn_why(why, "weight %s: weights file too short", t->name);
    return LK_ERR_MODEL;
  }
  src = blob->data + blob->pos;
  for(i = 0; i < t->count; i++) {
    double v;
    if(esize == 1) {
      v = src[i];
    }
    else if(esize == 2) {
      uint16_t q;
      memcpy(&q, src + 2 * i, 2);
      v = q;
    }
    else if(!strcmp(dtype, "int32")) {
      int32_t q;
      memcpy(&q, src + 4 * i, 4);
      v = q;
    }
    else {
      float f;
      memcpy(&f, src + 4 * i, 4);
      v = f;
    }
    t->data[i] = qtype ? (float)(v * scale + min) : (float)v;
  }
  blob->pos += t->count * esize;
  return LK_OK;
}

static lk_err lk_nn_tensor_init(struct lk_nn_tensor *t, const cJSON *spec,
                                char *why)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(spec, "name");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(spec, "shape");
  const cJSON *d;

  if(!cJSON_IsString(name) || !cJSON_IsArray(shape) ||
     cJSON_GetArraySize(shape) > LK_NN_MAX_DIMS) {
    lk_nn_why(why, "manifest: malformed weight entry");
    return LK_ERR_MODEL;
  }
  t->name = lk_strdup(name->valuestring);
  if(!t->name)
    return LK_ERR_NOMEM;
  t->count = 1;
  cJSON_ArrayForEach(d, shape) {
    if(!cJSON_IsNumber(d) || d->valuedouble < 1 || d->valuedouble > 1e7) {
      lk_nn_why(why, "weight %s: bad shape", t->name);
      return LK_ERR_MODEL;
    }
    t->dims[t->ndim++] = d->valueint;
    t->count *= (size_t)d->valueint;
    if(t->count > ((size_t)1 << 28)) {
      lk_nn_why(why, "weight %s: too large", t->name);
      return LK_ERR_MODEL;
    }
  }
  t->data = lk_malloc(t->count * sizeof(float));
  return t->data ? LK_OK : LK_ERR_NOMEM;
}

static lk_err lk_nn_group_load(struct lk_nn_weights *w, const cJSON *group,
                               const char *dir, char *why)
{
  const cJSON *paths = cJSON_GetObjectItemCaseSensitive(group, "paths");
  const cJSON *specs = cJSON_GetObjectItemCaseSensitive(group, "weights");
  const cJSON *spec;
  struct lk_nn_blob blob;
  struct lk_nn_tensor *grown;
  lk_err err;

  if(!cJSON_IsArray(paths) || !cJSON_IsArray(specs)) {
    lk_nn_why(why, "manifest in %s: group without paths/weights", dir);
    return LK_ERR_MODEL;
  }
  err = lk_nn_group_read(paths, dir, &blob, why);
  if(err)
    goto out;
  grown = lk_realloc(w->t, (size_t)(w->n + cJSON_GetArraySize(specs)) *
                     sizeof *w->t);
  if(!grown) {
    err = LK_ERR_NOMEM;
    goto out;
  }
  w->t = grown;
  cJSON_ArrayForEach(spec, specs) {
    struct lk_nn_tensor *t = &w->t[w->n++];
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(spec, "dtype");
    memset(t, 0, sizeof *t);
    err = lk_nn_tensor_init(t, spec, why);
    if(!err && !cJSON_IsString(dtype))
      err = LK_ERR_MODEL;
    if(!err)
      err = lk_nn_decode(t, dtype->valuestring, cJSON_GetObjectItemCaseSensitive(
                           spec, "quantization"), &blob, why);
    if(err)
      goto out;
  }
  if(blob.pos != blob.len) {
    lk_nn_why(why, "weights in %s longer than the manifest says", dir);
    err = LK_ERR_MODEL;
  }
out:
  lk_free(blob.data);
  return err;
}

lk_err lk_nn_weights_load(struct lk_nn_weights **out, const char *dir,
                          const char *model, char *why)
{
  char file[512], path[4096];
  unsigned char *text;
  size_t len;
  cJSON *root = NULL;
  const cJSON *group;
  struct lk_nn_weights *w;
  lk_err err = LK_OK;

  *out = NULL;
  snprintf(file, sizeof file, "%s-weights_manifest.json", model);
  lk_nn_model_path(path, sizeof path, dir, file);
  text = lk_nn_slurp(path, &len, why);
  if(!text)
    return LK_ERR_MODEL;
  root = cJSON_ParseWithLength((const char *)text, len);
  lk_free(text);
  w = lk_calloc(1, sizeof *w);
  if(!w) {
    cJSON_Delete(root);
    return LK_ERR_NOMEM;
  }
  if(!cJSON_IsArray(root)) {
    lk_nn_why(why, "%s is not a weights manifest", path);
    err = LK_ERR_MODEL;
  }
  cJSON_ArrayForEach(group, root) {
    if(err)
      break;
    err = lk_nn_group_load(w, group, dir, why);
  }
  cJSON_Delete(root);
  if(err) {
    lk_nn_weights_free(w);
    return err;
  }
  *out = w;
  return LK_OK;
}

void lk_nn_weights_free(struct lk_nn_weights *w)
{
  int i;
  if(!w)
    return;
  for(i = 0; i < w->n; i++) {
    lk_free(w->t[i].name);
    lk_free(w->t[i].data);
  }
  lk_free(w->t);
  lk_free(w);
}

const struct lk_nn_tensor *lk_nn_weights_find(const struct lk_nn_weights *w,
                                              const char *name)
{
  int i;
  for(i = 0; w && i < w->n; i++)
    if(w->t[i].name && !strcmp(w->t[i].name, name))
      return &w->t[i];
  return NULL;
}

const struct lk_nn_tensor *lk_nn_weights_need(const struct lk_nn_weights *w,
                                              const char *name, size_t count,
                                              char *why)
{
  const struct lk_nn_tensor *t = lk_nn_weights_find(w, name);
  if(!t)
    lk_nn_why(why, "weight %s missing from the manifest", name);
  else if(t->count != count) {
    lk_nn_why(why, "weight %s has an unexpected shape", name);
    t = NULL;
  }
  return t;
}

int lk_nn_weights_count(const struct lk_nn_weights *w)
{
  return w ? w->n : 0;
}

const struct lk_nn_tensor *lk_nn_weights_at(const struct lk_nn_weights *w,
                                            int i)
{
  return (w && i >= 0 && i < w->n) ? &w->t[i] : NULL;
}
