/* cli_bench.c - likeness bench: time the pipeline on images held in memory
 * (no disk in the timings). Two layouts, both with every core busy:
 *  - throughput (the headline figures): --threads workers, each taking the
 *    next image, on an engine with one thread per call, as `encode` and a
 *    loaded server run;
 *  - latency: one image at a time with the engine on every core, as one
 *    lone request sees it.
 * Full pipeline = decode + describe, detection = decode + detect; their
 * difference over the faces is the cost of one face's landmarks, crop and
 * descriptor. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cli_bench_img {
  const char *path;
  unsigned char *data;
  size_t len;
};

#define CLI_BENCH_MAX_WORKERS 256

struct cli_bench {
  struct cli_ctx *c;
  struct cli_bench_img *imgs;
  /* one arena per worker, kept across passes as a server keeps its
   * workers' arenas: the timings then hold no first-touch page faults */
  struct lk_arena *arenas[CLI_BENCH_MAX_WORKERS];
  atomic_int worker;          /* next arena to hand out in a pass */
  enum cli_stage stage;       /* of the pass running */
  atomic_int next;            /* next image to take */
  atomic_int faces;           /* found in the pass */
  atomic_int failed;
};

/* Milliseconds per image of each stage in one layout. */
struct cli_bench_ms {
  double full, detect, face;
  int threads;
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

/* A worker: images from the shared index until none are left. */
static void *cli_bench_worker(void *arg)
{
  struct cli_bench *b = arg;
  struct lk_arena *arena = b->arenas[atomic_fetch_add(&b->worker, 1)];
  char why[CLI_WHYMAX];
  struct lk_image img;
  struct lk_face *f;
  int i, n;

  if(!arena) {
    atomic_fetch_add(&b->failed, 1);
    return NULL;
  }
  while((i = atomic_fetch_add(&b->next, 1)) < b->c->n_pos) {
    const struct cli_bench_img *im = &b->imgs[i];
    if(cli_image_process(b->c, im->path, im->data, im->len, b->stage, arena,
                         &img, &f, &n, why)) {
      cli_error(b->c, "%s: %s", im->path, why);
      atomic_fetch_add(&b->failed, 1);
      break;
    }
    atomic_fetch_add(&b->faces, n);
    lk_arena_reset(arena);
  }
  return NULL;
}

/* One pass over every image with n workers; wall seconds, or -1. */
static double cli_bench_pass(struct cli_bench *b, enum cli_stage stage,
                             int n, int *faces)
{
  pthread_t tid[CLI_BENCH_MAX_WORKERS];
  double t;
  int i, started = 0;

  for(i = 0; i < n; i++)
    if(!b->arenas[i] && !(b->arenas[i] = cli_arena_create(b->c)))
      return -1.0;
  b->stage = stage;
  atomic_store(&b->worker, 0);
  atomic_store(&b->next, 0);
  atomic_store(&b->faces, 0);
  t = cli_now();
  for(i = 0; i < n; i++)
    started += !pthread_create(&tid[started], NULL, cli_bench_worker, b);
  for(i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  t = cli_now() - t;
  *faces = atomic_load(&b->faces);
  return started == n && !atomic_load(&b->failed) ? t : -1.0;
}

/* Warm-up pass (creates the runtimes), then the timed passes. Images are
 * timed by their mean; a face by the difference of the fastest full and
 * fastest detection-only passes, since a mean difference of two noisy
 * times can even come out negative on a busy machine (-1 when the noise
 * still hides it). */
static int cli_bench_layout(struct cli_bench *b, int workers,
                            struct cli_bench_ms *ms, int *faces)
{
  const struct cli_ctx *c = b->c;
  double full = 0, detect = 0, full_min = 0, detect_min = 0, t;
  int r, ignored;

  if(cli_bench_pass(b, CLI_DESCRIBE, workers, faces) < 0)
    return CLI_EXIT_FAIL;
  for(r = 0; r < c->runs; r++) {
    if((t = cli_bench_pass(b, CLI_DESCRIBE, workers, &ignored)) < 0)
      return CLI_EXIT_FAIL;
    full += t;
    full_min = !r || t < full_min ? t : full_min;
    if((t = cli_bench_pass(b, CLI_DETECT, workers, &ignored)) < 0)
      return CLI_EXIT_FAIL;
    detect += t;
    detect_min = !r || t < detect_min ? t : detect_min;
  }
  ms->full = full * 1000.0 / ((double)c->runs * c->n_pos);
  ms->detect = detect * 1000.0 / ((double)c->runs * c->n_pos);
  ms->face = *faces && full_min > detect_min
             ? (full_min - detect_min) * 1000.0 / *faces : -1;
  ms->threads = workers;
  return CLI_EXIT_OK;
}

static void cli_bench_print(const char *name, const struct cli_bench_ms *m,
                            const char *layout)
{
  printf("  %s (%s):\n", name, layout);
  printf("    full pipeline (decode + describe): %8.2f ms/image\n", m->full);
  printf("    detection only (decode + detect):  %8.2f ms/image\n",
         m->detect);
  if(m->face >= 0)
    printf("    one face's landmarks + descriptor: %8.2f ms/face\n",
           m->face);
}

static void cli_bench_json(const struct cli_ctx *c, int faces,
                           const struct cli_bench_ms *tp,
                           const struct cli_bench_ms *lat)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "ms_per_image_full", cli_json_num(tp->full));
  cJSON_AddItemToObject(o, "ms_per_image_detect", cli_json_num(tp->detect));
  cJSON_AddItemToObject(o, "ms_per_face_descriptor",
                        faces && tp->face >= 0 ? cli_json_num(tp->face)
                                               : cJSON_CreateNull());
  cJSON_AddNumberToObject(o, "images", c->n_pos);
  cJSON_AddNumberToObject(o, "faces", faces);
  cJSON_AddNumberToObject(o, "threads", tp->threads);
  cJSON_AddStringToObject(o, "mode", "throughput");
  cJSON_AddItemToObject(o, "latency_ms_per_image_full",
                        cli_json_num(lat->full));
  cJSON_AddItemToObject(o, "latency_ms_per_image_detect",
                        cli_json_num(lat->detect));
  cJSON_AddNumberToObject(o, "latency_threads", lat->threads);
  cJSON_AddNumberToObject(o, "runs", c->runs);
  cJSON_AddStringToObject(o, "detector",
                          c->detector == LK_DETECTOR_TINY ? "tiny" : "ssd");
  cJSON_AddStringToObject(o, "build", cli_build_info());
  cli_json_print_line(o);
}

/* Throughput on an engine of one thread per call, then latency on an
 * engine with every core. */
static int cli_bench_time(struct cli_bench *b, struct cli_bench_ms *tp,
                          struct cli_bench_ms *lat, int *faces)
{
  struct cli_ctx *c = b->c;
  struct lk_face_engine *wide = NULL;
  int rc, cpus = cli_online_cpus();

  rc = cli_engine_open(c, 1);
  if(!rc)
    rc = cli_bench_layout(b, c->threads, tp, faces);
  if(!rc && lk_face_engine_create(&wide, c->models, cpus)) {
    cli_error(c, "cannot create the face engine");
    rc = CLI_EXIT_FAIL;
  }
  if(!rc) {
    struct lk_face_engine *narrow = c->eng;
    c->eng = wide;
    rc = cli_bench_layout(b, 1, lat, faces);
    c->eng = narrow;
    lat->threads = cpus;
  }
  lk_face_engine_destroy(wide);
  return rc;
}

static int cli_bench_run(struct cli_ctx *c)
{
  struct cli_bench b;
  struct cli_bench_ms tp, lat;
  int i, rc, faces = 0;

  memset(&b, 0, sizeof b);
  b.c = c;
  b.imgs = lk_calloc((size_t)c->n_pos, sizeof *b.imgs);
  rc = b.imgs ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  if(rc)
    cli_error(c, "%s", lk_strerror(LK_ERR_NOMEM));
  if(!rc)
    rc = cli_bench_read(&b);
  if(!rc)
    rc = cli_bench_time(&b, &tp, &lat, &faces);
  if(!rc) {
    printf("bench: %d images, %d faces, %d runs, %s detector\n", c->n_pos,
           faces, c->runs, c->detector == LK_DETECTOR_TINY ? "tiny" : "ssd");
    cli_bench_print("throughput", &tp, "one image per worker, 1-thread "
                    "engine");
    cli_bench_print("latency", &lat, "one image at a time, engine on "
                    "every core");
    if(c->json)
      cli_bench_json(c, faces, &tp, &lat);
  }
  for(i = 0; b.imgs && i < c->n_pos; i++)
    lk_free(b.imgs[i].data);
  for(i = 0; i < CLI_BENCH_MAX_WORKERS; i++)
    lk_arena_destroy(b.arenas[i]);
  lk_free(b.imgs);
  return rc;
}

static const char *const cli_bench_opts[] = {
  "--runs", "--threads", "--json", CLI_OPTS_FACE, CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_bench = {
  "bench", cli_bench_run, "[--detector ssd|tiny] [--runs N] [--threads N] "
  "[--json] IMAGE...",
  "time decode + detect and decode + describe on images in memory",
  "Read every IMAGE into memory, then time the full pipeline (decode +\n"
  "describe) and detection alone (decode + detect) in two layouts, each\n"
  "after one warm-up pass and over N timed passes:\n"
  "  throughput: --threads workers (default: online CPUs) each take the\n"
  "    next image, on an engine with one thread per call;\n"
  "  latency: one image at a time on an engine using every CPU.\n"
  "Prints milliseconds per image (wall time / images) and per face\n"
  "descriptor: (describe - detect) / faces. With --json the last line is\n"
  "  {\"ms_per_image_full\":..,\"ms_per_image_detect\":..,\n"
  "   \"ms_per_face_descriptor\":..,\"images\":..,\"faces\":..,\"threads\":..,\n"
  "   \"mode\":\"throughput\",\"latency_ms_per_image_full\":..,\n"
  "   \"latency_ms_per_image_detect\":..,\"latency_threads\":..,\"runs\":..,\n"
  "   \"detector\":..,\"build\":\"compiler and flags\"}",
  cli_bench_opts, 1, -1
};
