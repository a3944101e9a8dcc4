/* cli_common.c - setup the commands share: defaults, the engine and its
 * models, per-image arenas, decode + detect/describe, file output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "cli.h"
#include "pipeline/pipeline.h"

/* Default for recognize and compare: face-api.js and dlib call descriptors
 * closer than 0.6 the same person. */
#define CLI_DEFAULT_THRESHOLD 0.6
#define CLI_DEFAULT_RUNS 3

void cli_ctx_init(struct cli_ctx *c, const struct cli_cmd *cmd)
{
  memset(c, 0, sizeof *c);
  c->def = cmd;
  c->cmd = cmd->name;
  c->face = lk_face_default_opts();
  c->image = lk_image_default_opts();
  c->models_dir = lk_face_models_default_dir();
  c->max_pixels = (long long)c->image.max_pixels;
  c->detector = (int)c->face.detector;
  c->min_score = c->face.min_score;
  c->input_size = c->face.tiny_input_size;
  c->align = (int)c->face.align;
  c->tiny_landmarks = c->face.tiny_landmarks;
  c->flip = c->face.flip;
  c->threads = cli_online_cpus();
  c->threshold = CLI_DEFAULT_THRESHOLD;
  c->runs = CLI_DEFAULT_RUNS;
  c->port = 5000;
  c->bind = "0.0.0.0";
  c->data_dir = "./likeness-data";
  c->log_level = LK_LOG_INFO;
  c->max_body_mb = 20;
  c->queue = 8;
  c->match_distance = LK_PIPELINE_CALIB_CENTER;
}

void cli_ctx_clear(struct cli_ctx *c)
{
  lk_face_engine_destroy(c->eng);
  lk_face_models_free(c->models);
  c->eng = NULL;
  c->models = NULL;
}

int cli_online_cpus(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

double cli_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_engine_open(struct cli_ctx *c, int n_threads)
{
  char why[LK_FACE_ERRMAX];
  lk_err err;

  why[0] = '\0';
  err = lk_face_models_load(&c->models, c->models_dir, why);
  if(err) {
    cli_error(c, "cannot load the face models from '%s': %s%s%s",
              c->models_dir, lk_strerror(err), why[0] ? ": " : "", why);
    cli_error(c, "fetch them with tools/fetch-models.sh [DEST], then pass "
              "--models DEST/face-api-1.7.15 or set LIKENESS_MODELS");
    return CLI_EXIT_FAIL;
  }
  err = lk_face_engine_create(&c->eng, c->models, n_threads);
  if(err) {
    cli_error(c, "cannot create the face engine: %s", lk_strerror(err));
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

struct lk_arena *cli_arena_create(const struct cli_ctx *c)
{
  /* the pixels, a padded copy for the refind pass, the network inputs and
   * activations (tens of MB whatever the image size) */
  size_t pixels = (size_t)c->max_pixels * 3;
  return lk_arena_create(pixels * 3 + ((size_t)512 << 20));
}

int cli_open_one_at_a_time(struct cli_ctx *c, struct lk_arena **arena)
{
  int rc = cli_engine_open(c, cli_online_cpus());
  *arena = NULL;
  if(rc)
    return rc;
  *arena = cli_arena_create(c);
  if(!*arena) {
    cli_error(c, "%s", lk_strerror(LK_ERR_NOMEM));
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

void cli_image_size(const struct lk_image *img, int *w, int *h)
{
  *w = img->width;
  *h = img->height;
  if(img->scale_denom <= 1)
    return;
  /* orientations 5..8 transpose the stored image */
  *w = img->orientation >= 5 ? img->src_height : img->src_width;
  *h = img->orientation >= 5 ? img->src_width : img->src_height;
}

static void cli_why(char *why, lk_err err, const char *detail)
{
  snprintf(why, CLI_WHYMAX, "%s%s%s", lk_strerror(err),
           detail[0] ? ": " : "", detail);
}

lk_err cli_image_process(struct cli_ctx *c, const char *path,
                         const unsigned char *data, size_t len,
                         enum cli_stage stage, struct lk_arena *arena,
                         struct lk_image *img, struct lk_face **faces,
                         int *n, char *why)
{
  char detail[LK_IMAGE_ERRMAX];
  lk_err err;

  detail[0] = '\0';
  *faces = NULL;
  *n = 0;
  if(data)
    err = lk_image_decode(data, len, &c->image, arena, img, detail);
  else
    err = lk_image_load(path, &c->image, arena, img, detail);
  if(err) {
    cli_why(why, err, detail);
    return err;
  }
  if(stage == CLI_DETECT)
    err = lk_face_detect(c->eng, img, &c->face, arena, faces, n);
  else
    err = lk_face_describe(c->eng, img, &c->face, arena, faces, n);
  if(err == LK_ERR_NO_FACE) {
    *n = 0;
    err = LK_OK;
  }
  if(err) {
    cli_why(why, err, "");
    return err;
  }
  return LK_OK;
}

int cli_largest_face(const struct lk_face *faces, int n)
{
  float best = -1;
  int i, at = -1;
  for(i = 0; i < n; i++) {
    const struct lk_box *b = &faces[i].box;
    float area = (b->x_max - b->x_min) * (b->y_max - b->y_min);
    if(area > best) {
      best = area;
      at = i;
    }
  }
  return at;
}

lk_err cli_write_file(const char *path, const void *data, size_t len,
                      char *why)
{
  char tmp[4096];
  FILE *f;
  int n, bad;

  n = snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  if(n < 0 || (size_t)n >= sizeof tmp) {
    snprintf(why, CLI_WHYMAX, "%s: path too long", path);
    return LK_ERR_INVAL;
  }
  f = fopen(tmp, "wb");
  if(!f) {
    snprintf(why, CLI_WHYMAX, "%.400s: %s", tmp, strerror(errno));
    return LK_ERR_IO;
  }
  bad = fwrite(data, 1, len, f) != len;
  bad |= fclose(f) != 0;
  if(bad || rename(tmp, path)) {
    snprintf(why, CLI_WHYMAX, "%.400s: %s", path, strerror(errno));
    remove(tmp);
    return LK_ERR_IO;
  }
  return LK_OK;
}

/* LK_BUILD_FLAGS may come from the build; else what the compiler tells. */
#if defined(__clang__)
#define CLI_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define CLI_COMPILER "gcc " __VERSION__
#else
#define CLI_COMPILER "unknown compiler"
#endif
#ifdef LK_BUILD_FLAGS
#define CLI_FLAGS " " LK_BUILD_FLAGS
#elif defined(__OPTIMIZE__) && defined(NDEBUG)
#define CLI_FLAGS ", optimized, NDEBUG"
#elif defined(__OPTIMIZE__)
#define CLI_FLAGS ", optimized"
#else
#define CLI_FLAGS ", not optimized"
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CLI_SAN ", ASan"
#else
#define CLI_SAN ""
#endif

const char *cli_build_info(void)
{
  return CLI_COMPILER CLI_FLAGS CLI_SAN;
}
