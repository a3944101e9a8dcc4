/* cli_bench.c - likeness bench: time the pipeline on images held in memory
 * (no disk in the timings), the engine on every core as for one request.
 * Full pipeline = decode + describe, detection = decode + detect; the
 * difference over the faces is the cost of one face's landmarks, crop and
 * descriptor. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cli_bench_img {
  const char *path;
  unsigned char *data;
  size_t len;
};

struct cli_bench {
  struct cli_ctx *c;
  struct cli_bench_img *imgs;
  struct lk_arena *arena;
  int faces;         /* in one pass */
  double full;       /* seconds over all timed passes */
  double detect;
};

static int cli_bench_read(struct cli_bench *b)
{
  char why[LK_IMAGE_ERRMAX];
  int i;
  lk_err err;

  for(i = 0; i < b->c->n_pos; i++) {
    struct cli_bench_img *im = &b->imgs[i];
    im->path = b->c->pos[i];
    why[0] = '\0';
    err = lk_file_read(im->path, LK_IMAGE_MAX_BYTES, &im->data, &im->len,
                       why);
    if(err) {
      cli_error(b->c, "%s: %s%s%s", im->path, lk_strerror(err),
                why[0] ? ": " : "", why);
      return CLI_EXIT_FAIL;
    }
  }
  return CLI_EXIT_OK;
}

/* One pass over every image; adds its time to *secs, faces to *faces. */
static int cli_bench_pass(struct cli_bench *b, enum cli_stage stage,
                          double *secs, int *faces)
{
  struct lk_image img;
  struct lk_face *f;
  char why[CLI_WHYMAX];
  double t;
  int i, n;

  for(i = 0; i < b->c->n_pos; i++) {
    const struct cli_bench_img *im = &b->imgs[i];
    t = cli_now();
    if(cli_image_process(b->c, im->path, im->data, im->len, stage,
                         b->arena, &img, &f, &n, why)) {
      cli_error(b->c, "%s: %s", im->path, why);
      return CLI_EXIT_FAIL;
    }
    *secs += cli_now() - t;
    *faces += n;
    lk_arena_reset(b->arena);
  }
  return CLI_EXIT_OK;
}

static int cli_bench_time(struct cli_bench *b)
{
  double warm = 0;
  int r, ignored = 0;

  /* the warm-up pass creates the engine's runtimes and counts the faces */
  if(cli_bench_pass(b, CLI_DESCRIBE, &warm, &b->faces))
    return CLI_EXIT_FAIL;
  for(r = 0; r < b->c->runs; r++) {
    if(cli_bench_pass(b, CLI_DESCRIBE, &b->full, &ignored) ||
       cli_bench_pass(b, CLI_DETECT, &b->detect, &ignored))
      return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
}

static void cli_bench_report(const struct cli_bench *b)
{
  const struct cli_ctx *c = b->c;
  double per = 1000.0 / ((double)c->runs * c->n_pos);
  double full = b->full * per, det = b->detect * per;
  double face = b->faces ? (b->full - b->detect) * 1000.0 /
                ((double)c->runs * b->faces) : -1;
  int threads = lk_face_engine_threads(c->eng);
  cJSON *o;

  printf("bench: %d images, %d faces, %d runs, %d threads, %s detector\n",
         c->n_pos, b->faces, c->runs, threads,
         c->detector == LK_DETECTOR_TINY ? "tiny" : "ssd");
  printf("  full pipeline (decode + describe): %8.2f ms/image\n", full);
  printf("  detection only (decode + detect):  %8.2f ms/image\n", det);
  if(b->faces)
    printf("  one face's landmarks + descriptor: %8.2f ms/face\n", face);
  if(!c->json)
    return;
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "ms_per_image_full", cli_json_num(full));
  cJSON_AddItemToObject(o, "ms_per_image_detect", cli_json_num(det));
  cJSON_AddItemToObject(o, "ms_per_face_descriptor",
                        b->faces ? cli_json_num(face) : cJSON_CreateNull());
  cJSON_AddNumberToObject(o, "images", c->n_pos);
  cJSON_AddNumberToObject(o, "faces", b->faces);
  cJSON_AddNumberToObject(o, "threads", threads);
  cJSON_AddNumberToObject(o, "runs", c->runs);
  cJSON_AddStringToObject(o, "detector",
                          c->detector == LK_DETECTOR_TINY ? "tiny" : "ssd");
  cJSON_AddStringToObject(o, "build", cli_build_info());
  cli_json_print_line(o);
}

static int cli_bench_run(struct cli_ctx *c)
{
  struct cli_bench b;
  int i, rc;

  memset(&b, 0, sizeof b);
  b.c = c;
  b.imgs = lk_calloc((size_t)c->n_pos, sizeof *b.imgs);
  b.arena = cli_arena_create(c);
  rc = b.imgs && b.arena ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  if(rc)
    cli_error(c, "%s", lk_strerror(LK_ERR_NOMEM));
  if(!rc)
    rc = cli_bench_read(&b);
  /* as for one request: every core on one image */
  if(!rc)
    rc = cli_engine_open(c, cli_online_cpus());
  if(!rc)
    rc = cli_bench_time(&b);
  if(!rc)
    cli_bench_report(&b);
  for(i = 0; b.imgs && i < c->n_pos; i++)
    lk_free(b.imgs[i].data);
  lk_free(b.imgs);
  lk_arena_destroy(b.arena);
  return rc;
}

static const char *const cli_bench_opts[] = {
  "--runs", "--json", CLI_OPTS_FACE, CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_bench = {
  "bench", cli_bench_run, "[--detector ssd|tiny] [--runs N] [--json] "
  "IMAGE...",
  "time decode + detect and decode + describe on images in memory",
  "Read every IMAGE into memory, run one warm-up pass, then N timed passes\n"
  "of the full pipeline (decode + describe) and of detection alone\n"
  "(decode + detect), with the engine on every online CPU. Prints the\n"
  "milliseconds per image of each, and per face descriptor: (describe -\n"
  "detect) / faces. With --json the last line is\n"
  "  {\"ms_per_image_full\":..,\"ms_per_image_detect\":..,\n"
  "   \"ms_per_face_descriptor\":..,\"images\":..,\"faces\":..,\"threads\":..,\n"
  "   \"runs\":..,\"detector\":..,\"build\":\"compiler and flags\"}",
  cli_bench_opts, 1, -1
};
