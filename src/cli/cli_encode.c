/* cli_encode.c - likeness encode: a descriptor per single-face image,
 * written as the dataset recognize reads (cli_dataset.c).
 *
 * Throughput over latency: one engine with one pthreadpool thread, shared
 * by --threads workers that each take the next image from a shared index.
 * Results land in a slot per input, so the output order is the input order
 * (sorted by person, then path) however the workers interleave. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CLI_BAR_WIDTH 30

enum cli_enc_status {
  CLI_ENC_OK, CLI_ENC_NO_FACE, CLI_ENC_MANY, CLI_ENC_ERROR
};

struct cli_enc_result {
  enum cli_enc_status status;
  int faces;
  float desc[LK_FACE_DESCRIPTOR_DIM];
  char why[CLI_WHYMAX];        /* CLI_ENC_ERROR only */
};

struct cli_encoder {
  struct cli_ctx *c;
  const struct cli_inputs *in;
  struct cli_enc_result *res;   /* one per input */
  atomic_int next;              /* the next input to take */
  pthread_mutex_t lock;         /* guards done and the progress line */
  int done;
  int progress;                 /* draw a bar: stderr is a terminal */
  double t0;
};

static void cli_encode_one(struct cli_encoder *e, int i,
                           struct lk_arena *arena)
{
  struct cli_enc_result *r = &e->res[i];
  struct lk_image img;
  struct lk_face *faces;
  int n;

  if(!arena) {
    r->status = CLI_ENC_ERROR;
    snprintf(r->why, sizeof r->why, "%s", lk_strerror(LK_ERR_NOMEM));
    return;
  }
  if(cli_image_process(e->c, e->in->items[i].path, NULL, 0, CLI_DESCRIBE,
                       arena, &img, &faces, &n, r->why)) {
    r->status = CLI_ENC_ERROR;
    return;
  }
  r->faces = n;
  r->status = n == 1 ? CLI_ENC_OK : n ? CLI_ENC_MANY : CLI_ENC_NO_FACE;
  if(n == 1)
    memcpy(r->desc, faces[0].descriptor, sizeof r->desc);
}

static void cli_encode_progress(struct cli_encoder *e)
{
  int total = e->in->n;
  int fill = total ? e->done * CLI_BAR_WIDTH / total : CLI_BAR_WIDTH;
  double dt = cli_now() - e->t0;

  fprintf(stderr, "\rencode [%.*s%*s] %d/%d %.1f images/s", fill,
          "##############################", CLI_BAR_WIDTH - fill, "",
          e->done, total, dt > 0 ? e->done / dt : 0.0);
  if(e->done == total)
    fputc('\n', stderr);
  fflush(stderr);
}

static void *cli_encode_worker(void *arg)
{
  struct cli_encoder *e = arg;
  struct lk_arena *arena = cli_arena_create(e->c);
  int i;

  while((i = atomic_fetch_add(&e->next, 1)) < e->in->n) {
    cli_encode_one(e, i, arena);
    lk_arena_reset(arena);
    pthread_mutex_lock(&e->lock);
    e->done++;
    if(e->progress)
      cli_encode_progress(e);
    pthread_mutex_unlock(&e->lock);
  }
  lk_arena_destroy(arena);
  return NULL;
}

/* Run n_threads workers (no more than inputs; the calling thread works
 * alone when no thread can be made). Returns how many ran. */
static int cli_encode_all(struct cli_encoder *e, int n_threads)
{
  pthread_t tid[256];
  int i, started = 0;

  if(n_threads > e->in->n)
    n_threads = e->in->n;
  for(i = 0; i < n_threads && i < 256; i++) {
    if(pthread_create(&tid[started], NULL, cli_encode_worker, e))
      break;
    started++;
  }
  if(!started)
    cli_encode_worker(e);
  for(i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  return started ? started : 1;
}

/* The dataset text for the single-face inputs, in input order. */
static char *cli_encode_dataset(const struct cli_encoder *e, int *count)
{
  cJSON *root = cJSON_CreateArray();
  char *text = NULL;
  int i;

  *count = 0;
  for(i = 0; root && i < e->in->n; i++) {
    cJSON *entry;
    if(e->res[i].status != CLI_ENC_OK)
      continue;
    entry = cli_dataset_entry(e->in->items[i].person, e->res[i].desc);
    if(!entry || !cJSON_AddItemToArray(root, entry)) {
      cJSON_Delete(entry);
      goto out;
    }
    (*count)++;
  }
  text = root ? cJSON_Print(root) : NULL;
out:
  cJSON_Delete(root);
  return text;
}

/* Print the inputs with status st under title; returns how many. */
static int cli_encode_list(const struct cli_encoder *e,
                           enum cli_enc_status st, const char *title)
{
  int i, n = 0;
  for(i = 0; i < e->in->n; i++) {
    const struct cli_enc_result *r = &e->res[i];
    if(r->status != st)
      continue;
    if(!n++)
      fprintf(stderr, "  %s:\n", title);
    if(st == CLI_ENC_MANY)
      fprintf(stderr, "    %s (%d faces)\n", e->in->items[i].path, r->faces);
    else if(st == CLI_ENC_ERROR)
      fprintf(stderr, "    %s: %s\n", e->in->items[i].path, r->why);
    else
      fprintf(stderr, "    %s\n", e->in->items[i].path);
  }
  return n;
}

static int cli_encode_summary(const struct cli_encoder *e, int encoded,
                              int n_threads, double secs)
{
  int errors;

  fprintf(stderr, "likeness encode: %d images read, %d encoded into %s in "
          "%.1f s (%.1f images/s, %d thread%s)\n", e->in->n, encoded,
          e->c->output, secs, secs > 0 ? e->in->n / secs : 0.0, n_threads,
          n_threads == 1 ? "" : "s");
  cli_encode_list(e, CLI_ENC_NO_FACE, "no face (skipped)");
  cli_encode_list(e, CLI_ENC_MANY, "more than one face (skipped)");
  errors = cli_encode_list(e, CLI_ENC_ERROR, "could not read or decode");
  return errors || !encoded ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int cli_encode_run_inputs(struct cli_ctx *c, struct cli_inputs *in)
{
  struct cli_encoder e;
  char why[CLI_WHYMAX];
  char *text = NULL;
  int n_threads, encoded = 0, rc = CLI_EXIT_FAIL;
  double secs;

  memset(&e, 0, sizeof e);
  e.c = c;
  e.in = in;
  e.progress = isatty(STDERR_FILENO);
  e.res = lk_calloc((size_t)in->n, sizeof *e.res);
  if(!e.res || pthread_mutex_init(&e.lock, NULL)) {
    lk_free(e.res);
    cli_error(c, "%s", lk_strerror(LK_ERR_NOMEM));
    return CLI_EXIT_FAIL;
  }
  atomic_init(&e.next, 0);
  e.t0 = cli_now();
  n_threads = cli_encode_all(&e, c->threads);
  secs = cli_now() - e.t0;
  text = cli_encode_dataset(&e, &encoded);
  if(!text)
    cli_error(c, "%s", lk_strerror(LK_ERR_NOMEM));
  else if(cli_write_file(c->output, text, strlen(text), why))
    cli_error(c, "%s", why);
  else
    rc = cli_encode_summary(&e, encoded, n_threads, secs);
  cJSON_free(text);
  pthread_mutex_destroy(&e.lock);
  lk_free(e.res);
  return rc;
}

static int cli_encode_run(struct cli_ctx *c)
{
  struct cli_inputs in;
  char why[CLI_WHYMAX];
  int rc;
  lk_err err;

  if(!c->people_dir == !c->inline_json)
    return cli_usage_error(c, "give either -p DIR or -i JSON");
  if(!c->output)
    return cli_usage_error(c, "-o FILE is required");
  if(c->people_dir)
    err = cli_inputs_from_dir(c->people_dir, &in, why);
  else
    err = cli_inputs_from_json(c->inline_json, &in, why);
  if(err) {
    cli_error(c, "%s", why);
    return CLI_EXIT_FAIL;
  }
  /* the workers are the parallelism: one pool thread per call */
  rc = cli_engine_open(c, 1);
  if(!rc)
    rc = cli_encode_run_inputs(c, &in);
  cli_inputs_clear(&in);
  return rc;
}

static const char *const cli_encode_opts[] = {
  "--people", "--input", "--output", "--threads", CLI_OPTS_FACE,
  CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_encode = {
  "encode", cli_encode_run, "(-p DIR | -i JSON) -o DATASET.json [options]",
  "descriptors of labelled face images into a dataset file",
  "Describe every image of every person and write the dataset recognize\n"
  "uses: [[\"person\",\"f1,f2,...,f128\"],...], one entry per image that\n"
  "holds exactly one face, sorted by person then file.\n"
  "  -p DIR   DIR/<person>/<images>; hidden files are skipped, other\n"
  "           non-images with a warning\n"
  "  -i JSON  '{\"person1\":[\"a.jpg\",\"b.jpg\"],\"person2\":[...]}', or\n"
  "           @FILE holding that object\n"
  "A progress bar is drawn when stderr is a terminal; a summary lists the\n"
  "images with no face, several faces or read errors. Exit status 1 when\n"
  "an image could not be read, or none was encoded.",
  cli_encode_opts, 0, 0
};
