/* cli.h - what the likeness commands share inside src/cli: the command
 * table entry, option parsing from one table, engine setup, image loading
 * and the JSON shapes of faces. Nothing outside src/cli includes this.
 * Threads: parsing and setup run on the main thread; cli_image_process and
 * the JSON builders are reentrant (each caller brings its own arena).
 *
 *   static const char *const opts[] = { CLI_OPTS_COMMON, "--json", NULL };
 *   const struct cli_cmd cli_cmd_x = { "x", cli_x_run, "[options] IMAGE...",
 *                                      "one line", "longer help", opts, 1, -1 };
 *   main.c: cli_ctx_init(&c, &cli_cmd_x); cli_parse(&c, argc, argv);
 *           rc = cli_cmd_x.run(&c); cli_ctx_clear(&c); */
#ifndef LK_CLI_H
#define LK_CLI_H

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/mem.h"
#include "face/face.h"
#include "image/image.h"

/* Exit statuses of every command. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1      /* a runtime error: an image, a file, the models */
#define CLI_EXIT_USAGE 2     /* a bad option or argument */

#define CLI_WHYMAX 512       /* one-line error reasons */

/* Option names each command accepts, in --help order. */
#define CLI_OPTS_COMMON "--models", "--max-pixels"
#define CLI_OPTS_DETECT "--detector", "--min-score", "--input-size"
#define CLI_OPTS_FACE CLI_OPTS_DETECT, "--align", "--tiny-landmarks", "--flip"

/* Everything a command can be told on its command line, plus the engine it
 * sets up. cli_ctx_init fills the defaults shown by --help. */
struct cli_cmd;
struct lk_conf_node;

struct cli_ctx {
  const struct cli_cmd *def;  /* the command being run */
  const char *cmd;            /* its name, for messages */
  /* common */
  const char *models_dir;
  long long max_pixels;
  /* face options, copied into face by cli_ctx_finish */
  int detector;
  double min_score;
  int input_size;
  int align;
  int tiny_landmarks;
  int flip;
  /* output */
  int json;
  int full_decode;            /* detect: no DCT-domain downscaling */
  const char *annotate;
  /* encode */
  const char *people_dir;
  const char *inline_json;
  const char *output;
  int threads;
  /* recognize, compare */
  const char *dataset;
  double threshold;
  /* bench */
  int runs;
  /* serve (cli_config.c maps config.yml keys onto these) */
  int port;
  const char *bind;
  const char *data_dir;
  const char *config;
  int log_level;              /* enum lk_log_level */
  int max_body_mb;
  int slots;                  /* inference slots; 0: one per CPU */
  int queue;                  /* requests waiting for a slot */
  const char *cors_origin;
  int allow_private_urls;
  const char *api_key;        /* DeepStack's */
  const char *cf_recognition_key, *cf_detection_key, *cf_verification_key;
  const char *facebox_user, *facebox_password;
  const char *native_key;
  double match_distance;      /* descriptor distance of confidence 0.5 */
  /* Set while options come from a file or the environment: messages
   * start with it ("config.yml:12: server.port") and print no usage. */
  const char *origin;
  const struct lk_conf_node *conf_root;   /* the --config file's tree */
  unsigned long long given;   /* bit i: option i came on the command line */
  /* positional arguments (point into argv) */
  char **pos;
  int n_pos;
  /* set up by cli_ctx_finish and cli_engine_open */
  struct lk_face_opts face;
  struct lk_image_opts image;
  struct lk_face_models *models;
  struct lk_face_engine *eng;
};

struct cli_cmd {
  const char *name;
  int (*run)(struct cli_ctx *c);      /* returns an exit status */
  const char *synopsis;               /* after "likeness NAME " */
  const char *summary;                /* one line for likeness --help */
  const char *help;                   /* paragraphs for likeness NAME --help */
  const char *const *opts;            /* NULL-terminated option names */
  int min_pos;                        /* positional arguments allowed */
  int max_pos;                        /* -1: no limit */
};

/* Commands, one file each; main.c holds the table. */
extern const struct cli_cmd cli_cmd_describe;   /* cli_describe.c */
extern const struct cli_cmd cli_cmd_detect;     /* cli_detect.c */
extern const struct cli_cmd cli_cmd_encode;     /* cli_encode.c */
extern const struct cli_cmd cli_cmd_recognize;  /* cli_recognize.c */
extern const struct cli_cmd cli_cmd_compare;    /* cli_recognize.c */
extern const struct cli_cmd cli_cmd_bench;      /* cli_bench.c */
extern const struct cli_cmd cli_cmd_rgb;        /* cli_rgb.c */
extern const struct cli_cmd cli_cmd_serve;      /* cli_serve.c */

/* --- cli_opts.c: the option table, parsing, --help ------------------- */

/* Parse argv[1..] (argv[0] is the command name) against the options of
 * c->def, leaving the positional arguments in c->pos. Returns -1 after
 * printing --help to stdout, CLI_EXIT_USAGE after a message and the usage
 * on stderr, else CLI_EXIT_OK with c->face and c->image set. */
int cli_parse(struct cli_ctx *c, int argc, char **argv);

/* Build c->face and c->image from the options (cli_parse does; call it
 * again after changing them). CLI_EXIT_OK or CLI_EXIT_USAGE. */
int cli_ctx_finish(struct cli_ctx *c);

/* Set option name (e.g. "--port") as if given value on the command line;
 * a flag takes a YAML boolean (true/false, yes/no, on/off, 1/0). Messages
 * start with c->origin when set. CLI_EXIT_OK or CLI_EXIT_USAGE. */
int cli_opt_set(struct cli_ctx *c, const char *name, const char *value);
/* Whether the option was given on the command line. */
int cli_opt_given(const struct cli_ctx *c, const char *name);
/* The option's current value as text (flags: true/false). */
void cli_opt_text(const struct cli_ctx *c, const char *name, char *buf,
                  size_t size);

/* --- cli_config.c: likeness serve --config FILE, LIKENESS_* variables -- */

/* Apply the config file c->config (if set), then LIKENESS_* environment
 * variables, to every serve option not given on the command line; warn
 * about unknown keys (with their line); log the effective settings.
 * CLI_EXIT_OK, or CLI_EXIT_USAGE after a message naming file and line. */
int cli_config_apply(struct cli_ctx *c, struct lk_arena *arena);

/* A usage error found by a command after parsing: message, usage, 2. */
int cli_usage_error(const struct cli_ctx *c, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* "likeness CMD: message" on stderr. */
void cli_error(const struct cli_ctx *c, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* --- cli_common.c: defaults, engine, images, files -------------------- */

/* Defaults (those --help shows) for cmd; cli_ctx_clear frees the engine. */
void cli_ctx_init(struct cli_ctx *c, const struct cli_cmd *cmd);
void cli_ctx_clear(struct cli_ctx *c);

/* Load the models from c->models_dir and create c->eng with n_threads.
 * Prints a message naming the folder (and how to fetch it) on failure. */
int cli_engine_open(struct cli_ctx *c, int n_threads);

/* Online CPUs, at least 1. */
int cli_online_cpus(void);

/* An arena big enough for one image at c->max_pixels and its inference. */
struct lk_arena *cli_arena_create(const struct cli_ctx *c);

/* cli_engine_open with every online CPU (one image at a time), then an
 * arena; messages on failure. The caller destroys *arena. */
int cli_open_one_at_a_time(struct cli_ctx *c, struct lk_arena **arena);

/* Compiler and flags of this build, for version and bench. */
const char *cli_build_info(void);

/* Seconds from a monotonic clock. */
double cli_now(void);

enum cli_stage { CLI_DETECT, CLI_DESCRIBE };

/* Decode data (NULL: read path) then detect or describe. faces live in
 * arena; coordinates are in the oriented full-size image's pixels. why gets
 * a one-line reason on failure. */
lk_err cli_image_process(struct cli_ctx *c, const char *path,
                         const unsigned char *data, size_t len,
                         enum cli_stage stage, struct lk_arena *arena,
                         struct lk_image *img, struct lk_face **faces,
                         int *n, char *why);

/* The oriented size of the file's image, before any JPEG DCT scaling:
 * the frame of the coordinates cli_image_process returns. */
void cli_image_size(const struct lk_image *img, int *w, int *h);

/* Index of the face with the largest box, -1 when n is 0. */
int cli_largest_face(const struct lk_face *faces, int n);

/* Write len bytes to path through a temporary file and a rename. */
lk_err cli_write_file(const char *path, const void *data, size_t len,
                      char *why);

/* --- cli_json.c: JSON shapes shared by the commands ------------------- */

enum cli_parts {
  CLI_PART_BOX = 0,             /* box and score are always there */
  CLI_PART_LANDMARKS = 1,
  CLI_PART_DESCRIPTOR = 2,
};

/* A number rounded to 6 significant digits (like the face-api.js reference
 * files), null when not finite. */
cJSON *cli_json_num(double v);

/* {"box":{...},"score":S[,"landmarks":[[x,y]...]][,"descriptor":[...]]} */
cJSON *cli_face_json(const struct lk_face *f, int parts);

/* {"image":PATH,"width":W,"height":H,"faces":[...]} */
cJSON *cli_image_json(const char *path, const struct lk_image *img,
                      const struct lk_face *faces, int n, int parts);

/* {"image":PATH,"error":WHY} */
cJSON *cli_error_json(const char *path, const char *why);

/* Print item on one stdout line and delete it. */
void cli_json_print_line(cJSON *item);

/* The line for one image: the error when err is set, else the faces. */
void cli_print_result(const char *path, lk_err err, const char *why,
                      const struct lk_image *img,
                      const struct lk_face *faces, int n, int parts);

/* --- cli_dataset.c: the encoder's dataset file ------------------------ */

/* [["person","f1,...,f128"],...] as written by encode, read by recognize. */
struct cli_dataset {
  int n;
  char **names;                              /* lk_malloc'd, one per entry */
  float (*desc)[LK_FACE_DESCRIPTOR_DIM];
};

/* Entry ["name","f1,...,f128"] with %.8g values. */
cJSON *cli_dataset_entry(const char *name, const float *desc);

/* Read and validate path strictly; why names the offending entry. */
lk_err cli_dataset_load(const char *path, struct cli_dataset *ds, char *why);
void cli_dataset_clear(struct cli_dataset *ds);

/* Index of the entry nearest to desc (euclidean), -1 when empty. */
int cli_dataset_nearest(const struct cli_dataset *ds, const float *desc,
                        float *distance);

/* --- cli_inputs.c: encode's list of (person, image) ------------------- */

struct cli_input {
  char *person;
  char *path;
};

struct cli_inputs {
  int n;
  struct cli_input *items;    /* sorted by person, then path */
};

/* From a folder per person (-p) or inline JSON / @file (-i). Warnings for
 * skipped entries go to stderr. */
lk_err cli_inputs_from_dir(const char *dir, struct cli_inputs *in, char *why);
lk_err cli_inputs_from_json(const char *spec, struct cli_inputs *in,
                            char *why);
void cli_inputs_clear(struct cli_inputs *in);

/* 1 when the file name ends in an image extension we decode. */
int cli_is_image_name(const char *name);

#endif
