/* cli_opts.c - one table of every option the commands take, the parser
 * that applies it, and --help generated from it, so each command only lists
 * the option names it accepts and the defaults shown are the real ones. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli.h"

enum cli_type { CLI_FLAG, CLI_INT, CLI_LLONG, CLI_REAL, CLI_STR, CLI_CHOICE };

struct cli_choice {
  const char *name;
  int value;
};

struct cli_opt {
  const char *name;
  const char *alias;                  /* a short form, or NULL */
  enum cli_type type;
  size_t off;                         /* field in struct cli_ctx */
  double min, max;                    /* range of numbers, inclusive */
  const struct cli_choice *choices;   /* CLI_CHOICE only */
  const char *metavar;
  const char *help;
  const char *defdoc;   /* the default in words, when the value says less */
};

static const struct cli_choice cli_detectors[] = {
  { "ssd", LK_DETECTOR_SSD }, { "tiny", LK_DETECTOR_TINY }, { NULL, 0 }
};

static const struct cli_choice cli_aligns[] = {
  { "similarity", LK_ALIGN_SIMILARITY }, { "faceapi", LK_ALIGN_FACEAPI },
  { NULL, 0 }
};

static const struct cli_choice cli_log_levels[] = {
  { "error", LK_LOG_ERROR }, { "warn", LK_LOG_WARN }, { "info", LK_LOG_INFO },
  { "debug", LK_LOG_DEBUG }, { NULL, 0 }
};

#define OFF(field) offsetof(struct cli_ctx, field)

static const struct cli_opt cli_opts[] = {
  { "--models", NULL, CLI_STR, OFF(models_dir), 0, 0, NULL, "DIR",
    "folder holding the face-api.js weights (tools/fetch-models.sh)", NULL },
  /* 1e10 pixels is far past LK_IMAGE_MAX_BYTES of any real file */
  { "--max-pixels", NULL, CLI_LLONG, OFF(max_pixels), 1, 1e10, NULL, "N",
    "refuse images of more than N pixels (width x height)", NULL },
  { "--detector", NULL, CLI_CHOICE, OFF(detector), 0, 0, cli_detectors,
    "ssd|tiny", "face detector: SSD MobileNet v1 or Tiny Face Detector",
    NULL },
  { "--min-score", NULL, CLI_REAL, OFF(min_score), 0, 1, NULL, "S",
    "drop detections scoring below S (0..1)", NULL },
  { "--input-size", NULL, CLI_INT, OFF(input_size), 128, 608, NULL, "N",
    "tiny detector input size, a multiple of 32 in 128..608", NULL },
  { "--align", NULL, CLI_CHOICE, OFF(align), 0, 0, cli_aligns,
    "similarity|faceapi",
    "descriptor crop: dlib-style similarity chip or face-api.js box", NULL },
  { "--tiny-landmarks", NULL, CLI_FLAG, OFF(tiny_landmarks), 0, 0, NULL,
    NULL, "use the tiny 68-point landmark net", NULL },
  { "--flip", NULL, CLI_FLAG, OFF(flip), 0, 0, NULL, NULL,
    "average each descriptor with its mirror image's (similarity align; "
    "twice the descriptor cost, a little more accurate)", NULL },
  { "--full-decode", NULL, CLI_FLAG, OFF(full_decode), 0, 0, NULL, NULL,
    "decode every pixel of large JPEGs (detect scales them down)", NULL },
  { "--port", "-P", CLI_INT, OFF(port), 0, 65535, NULL, "PORT",
    "TCP port to listen on (0: any free port, printed at start)", NULL },
  { "--bind", NULL, CLI_STR, OFF(bind), 0, 0, NULL, "ADDR",
    "address to listen on (\"::\" for IPv6 too)", NULL },
  { "--data", NULL, CLI_STR, OFF(data_dir), 0, 0, NULL, "DIR",
    "folder for the gallery database (created if missing)", NULL },
  { "--config", "-c", CLI_STR, OFF(config), 0, 0, NULL, "FILE",
    "read settings from this YAML file (docs/config.md); command-line "
    "options win over it", "none" },
  { "--log-level", NULL, CLI_CHOICE, OFF(log_level), 0, 0, cli_log_levels,
    "error|warn|info|debug", "what the server logs", NULL },
  { "--max-body-mb", NULL, CLI_INT, OFF(max_body_mb), 1, 1024, NULL, "MB",
    "largest request body; larger ones get 413", NULL },
  { "--slots", NULL, CLI_INT, OFF(slots), 0, 256, NULL, "N",
    "inferences at once (0: one per CPU)", NULL },
  { "--queue", NULL, CLI_INT, OFF(queue), 0, 1024, NULL, "N",
    "requests waiting for a slot; more get 503 with Retry-After", NULL },
  { "--cors-origin", NULL, CLI_STR, OFF(cors_origin), 0, 0, NULL, "ORIGIN",
    "answer CORS for this origin (\"*\" for any)", "off" },
  { "--allow-private-urls", NULL, CLI_FLAG, OFF(allow_private_urls), 0, 0,
    NULL, NULL, "let image URLs in requests reach loopback, private and "
    "link-local addresses (off: SSRF guard)", NULL },
  { "--api-key", NULL, CLI_STR, OFF(api_key), 0, 0, NULL, "KEY",
    "require this key (DeepStack: form field api_key)", "none" },
  { "--compreface-recognition-key", NULL, CLI_STR, OFF(cf_recognition_key),
    0, 0, NULL, "KEY", "CompreFace recognition service x-api-key",
    "any key" },
  { "--compreface-detection-key", NULL, CLI_STR, OFF(cf_detection_key), 0, 0,
    NULL, "KEY", "CompreFace detection service x-api-key", "any key" },
  { "--compreface-verification-key", NULL, CLI_STR,
    OFF(cf_verification_key), 0, 0, NULL, "KEY",
    "CompreFace verification service x-api-key", "any key" },
  { "--facebox-user", NULL, CLI_STR, OFF(facebox_user), 0, 0, NULL, "USER",
    "Facebox HTTP Basic user name", "no auth" },
  { "--facebox-password", NULL, CLI_STR, OFF(facebox_password), 0, 0, NULL,
    "PASSWORD", "Facebox HTTP Basic password", "none" },
  { "--match-distance", NULL, CLI_REAL, OFF(match_distance), 0.2, 1.0, NULL,
    "D", "descriptor distance where every API's confidence is 0.5 (the "
    "calibration curve's centre, docs/pipeline.md)", NULL },
  { "--native-key", NULL, CLI_STR, OFF(native_key), 0, 0, NULL, "KEY",
    "native API key (Authorization: Bearer KEY or X-API-Key)", "none" },
  { "--json", NULL, CLI_FLAG, OFF(json), 0, 0, NULL, NULL,
    "print JSON, one object per line", NULL },
  { "--annotate", NULL, CLI_STR, OFF(annotate), 0, 0, NULL, "OUT.jpg",
    "draw the boxes and write a JPEG (OUT-1.jpg, OUT-2.jpg, ... when "
    "there are several images)", NULL },
  { "--people", "-p", CLI_STR, OFF(people_dir), 0, 0, NULL, "DIR",
    "a folder per person, images inside", NULL },
  { "--input", "-i", CLI_STR, OFF(inline_json), 0, 0, NULL, "JSON",
    "'{\"person\":[\"a.jpg\",...],...}' or @FILE holding it", NULL },
  { "--output", "-o", CLI_STR, OFF(output), 0, 0, NULL, "FILE",
    "write the dataset here", NULL },
  { "--threads", NULL, CLI_INT, OFF(threads), 1, 256, NULL, "N",
    "worker threads, one image each", "number of online CPUs" },
  { "--dataset", "-d", CLI_STR, OFF(dataset), 0, 0, NULL, "FILE",
    "dataset written by likeness encode", NULL },
  { "--threshold", NULL, CLI_REAL, OFF(threshold), 0, 10, NULL, "T",
    "largest descriptor distance still the same person", NULL },
  { "--runs", NULL, CLI_INT, OFF(runs), 1, 1000, NULL, "N",
    "timed passes over the images", NULL },
};

#define CLI_N_OPTS (sizeof cli_opts / sizeof cli_opts[0])
_Static_assert(CLI_N_OPTS <= 64, "cli_ctx.given has 64 bits");

static const struct cli_opt *cli_opt_find(const char *name)
{
  size_t i;
  for(i = 0; i < CLI_N_OPTS; i++) {
    if(!strcmp(cli_opts[i].name, name))
      return &cli_opts[i];
  }
  return NULL;
}

/* The option cmd accepts under arg (long name or alias), or NULL. */
static const struct cli_opt *cli_opt_accepted(const struct cli_cmd *cmd,
                                              const char *arg)
{
  int i;
  for(i = 0; cmd->opts[i]; i++) {
    const struct cli_opt *o = cli_opt_find(cmd->opts[i]);
    if(o && (!strcmp(o->name, arg) || (o->alias && !strcmp(o->alias, arg))))
      return o;
  }
  return NULL;
}

static const char *cli_choice_name(const struct cli_choice *ch, int value)
{
  for(; ch->name; ch++) {
    if(ch->value == value)
      return ch->name;
  }
  return "?";
}

static void cli_print_usage(FILE *f, const struct cli_cmd *cmd)
{
  fprintf(f, "usage: likeness %s %s\n", cmd->name, cmd->synopsis);
}

/* The current value of o in c as text ("" when there is none to show). */
static void cli_opt_value(const struct cli_opt *o, const struct cli_ctx *c,
                          char *buf, size_t size)
{
  const char *p = (const char *)c + o->off;
  const char *s;

  buf[0] = '\0';
  switch(o->type) {
  case CLI_INT:
    snprintf(buf, size, "%d", *(const int *)(const void *)p);
    break;
  case CLI_LLONG:
    snprintf(buf, size, "%lld", *(const long long *)(const void *)p);
    break;
  case CLI_REAL:
    snprintf(buf, size, "%g", *(const double *)(const void *)p);
    break;
  case CLI_STR:
    s = *(const char *const *)(const void *)p;
    if(s)
      snprintf(buf, size, "%s", s);
    break;
  case CLI_CHOICE:
    snprintf(buf, size, "%s",
             cli_choice_name(o->choices, *(const int *)(const void *)p));
    break;
  case CLI_FLAG:
    break;
  }
}

/* "  LEFT   text... tail" wrapped at spaces to fit 79 columns; tail (the
 * default) is never split, so it reads (and greps) as one piece. */
static void cli_print_wrapped(const char *left, const char *text,
                              const char *tail)
{
  const int indent = 31, width = 79;
  int col = printf("  %-28s", left);

  while(*text || *tail) {
    const char *w = *text ? text : tail;
    size_t len = *text ? strcspn(text, " ") : strlen(tail);
    if(col > indent && col + 1 + (int)len > width) {
      printf("\n%*s", indent - 1, "");
      col = indent - 1;
    }
    col += printf(" %.*s", (int)len, w);
    if(w == tail)
      break;
    text += len;
    while(*text == ' ')
      text++;
  }
  printf("\n");
}

static void cli_print_help(const struct cli_cmd *cmd, const struct cli_ctx *c)
{
  char def[512], left[64], tail[600];
  int i;

  cli_print_usage(stdout, cmd);
  printf("\n%s\n\noptions:\n", cmd->help);
  for(i = 0; cmd->opts[i]; i++) {
    const struct cli_opt *o = cli_opt_find(cmd->opts[i]);
    if(!o)
      continue;
    snprintf(left, sizeof left, "%s%s%s%s%s", o->alias ? o->alias : "",
             o->alias ? ", " : "", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    if(o->defdoc)
      snprintf(def, sizeof def, "%s", o->defdoc);
    else
      cli_opt_value(o, c, def, sizeof def);
    tail[0] = '\0';
    if(def[0])
      snprintf(tail, sizeof tail, "(default: %s)", def);
    cli_print_wrapped(left, o->help, tail);
  }
  cli_print_wrapped("-h, --help", "show this help", "");
}

void cli_error(const struct cli_ctx *c, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "likeness %s: ", c->cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_usage_error(const struct cli_ctx *c, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "likeness %s: ", c->cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if(c->origin)
    return CLI_EXIT_USAGE;
  cli_print_usage(stderr, c->def);
  fprintf(stderr, "Try 'likeness %s --help' for the options.\n", c->cmd);
  return CLI_EXIT_USAGE;
}

/* What a message about o calls it: the option, or where its value came
 * from ("config.yml:12: server.port"). */
static const char *cli_label(const struct cli_ctx *c, const struct cli_opt *o)
{
  return c->origin ? c->origin : o->name;
}

static int cli_parse_number(const struct cli_ctx *c, const struct cli_opt *o,
                            const char *val, double *out)
{
  char *end;
  double v;

  errno = 0;
  if(o->type == CLI_REAL)
    v = strtod(val, &end);
  else
    v = (double)strtoll(val, &end, 10);
  if(end == val || *end || errno == ERANGE || !isfinite(v))
    return cli_usage_error(c, "%s: '%s' is not %s", cli_label(c, o), val,
                           o->type == CLI_REAL ? "a number" : "an integer");
  if(v < o->min || v > o->max)
    return cli_usage_error(c, "%s: %s is out of range %g..%g",
                           cli_label(c, o), val,
                           o->min, o->max);
  *out = v;
  return CLI_EXIT_OK;
}

static int cli_parse_choice(const struct cli_ctx *c, const struct cli_opt *o,
                            const char *val, int *out)
{
  const struct cli_choice *ch;
  for(ch = o->choices; ch->name; ch++) {
    if(!strcmp(ch->name, val)) {
      *out = ch->value;
      return CLI_EXIT_OK;
    }
  }
  return cli_usage_error(c, "%s: '%s' is not one of %s", cli_label(c, o), val,
                         o->metavar);
}

/* Store val (NULL for a flag) into o's field of c. */
static int cli_set(struct cli_ctx *c, const struct cli_opt *o,
                   const char *val)
{
  void *dest = (char *)c + o->off;
  double v = 0;
  int rc = CLI_EXIT_OK;

  switch(o->type) {
  case CLI_FLAG:
    *(int *)dest = 1;
    break;
  case CLI_STR:
    if(!val[0])
      return cli_usage_error(c, "%s needs a non-empty value",
                             cli_label(c, o));
    *(const char **)dest = val;
    break;
  case CLI_CHOICE:
    rc = cli_parse_choice(c, o, val, (int *)dest);
    break;
  case CLI_INT:
  case CLI_LLONG:
  case CLI_REAL:
    rc = cli_parse_number(c, o, val, &v);
    if(rc)
      break;
    if(o->type == CLI_INT)
      *(int *)dest = (int)v;
    else if(o->type == CLI_LLONG)
      *(long long *)dest = (long long)v;
    else
      *(double *)dest = v;
    break;
  }
  return rc;
}

/* argv[*i] is an option: find it, take its value, store it. */
static int cli_parse_opt(const struct cli_cmd *cmd, struct cli_ctx *c,
                         int argc, char **argv, int *i)
{
  char name[64];
  const char *arg = argv[*i];
  const char *eq = strchr(arg, '=');
  const char *val = NULL;
  const struct cli_opt *o;
  size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

  if(len >= sizeof name)
    return cli_usage_error(c, "unknown option '%s'", arg);
  memcpy(name, arg, len);
  name[len] = '\0';
  o = cli_opt_accepted(cmd, name);
  if(!o)
    return cli_usage_error(c, "unknown option '%s'", name);
  c->given |= 1ull << (o - cli_opts);
  if(o->type == CLI_FLAG) {
    if(eq)
      return cli_usage_error(c, "%s takes no value", o->name);
    return cli_set(c, o, NULL);
  }
  if(eq)
    val = eq + 1;
  else if(*i + 1 < argc)
    val = argv[++*i];
  else
    return cli_usage_error(c, "%s needs a value (%s)", o->name, o->metavar);
  return cli_set(c, o, val);
}

static int cli_bool(const char *s, int *out)
{
  static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
                                     "YES", "on", "On", "ON", "1", NULL };
  static const char *const no[] = { "false", "False", "FALSE", "no", "No",
                                    "NO", "off", "Off", "OFF", "0", NULL };
  int i;
  for(i = 0; yes[i]; i++)
    if(!strcmp(s, yes[i]))
      return *out = 1, 1;
  for(i = 0; no[i]; i++)
    if(!strcmp(s, no[i]))
      return *out = 0, 1;
  return 0;
}

int cli_opt_set(struct cli_ctx *c, const char *name, const char *value)
{
  const struct cli_opt *o = cli_opt_find(name);
  int on;
  if(!o)
    return cli_usage_error(c, "unknown option '%s'", name);
  if(o->type != CLI_FLAG)
    return cli_set(c, o, value);
  if(!cli_bool(value, &on))
    return cli_usage_error(c, "%s: '%s' is not true or false",
                           cli_label(c, o), value);
  *(int *)(void *)((char *)c + o->off) = on;
  return CLI_EXIT_OK;
}

int cli_opt_given(const struct cli_ctx *c, const char *name)
{
  const struct cli_opt *o = cli_opt_find(name);
  return o && (c->given >> (o - cli_opts) & 1);
}

void cli_opt_text(const struct cli_ctx *c, const char *name, char *buf,
                  size_t size)
{
  const struct cli_opt *o = cli_opt_find(name);
  buf[0] = '\0';
  if(o && o->type == CLI_FLAG)
    snprintf(buf, size, "%s", *(const int *)(const void *)((const char *)c +
             o->off) ? "true" : "false");
  else if(o)
    cli_opt_value(o, c, buf, size);
}

static int cli_wants_help(int argc, char **argv)
{
  int i;
  for(i = 1; i < argc && strcmp(argv[i], "--"); i++) {
    if(!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return 1;
  }
  return 0;
}

int cli_ctx_finish(struct cli_ctx *c)
{
  char why[LK_FACE_ERRMAX];

  c->face.detector = (enum lk_detector)c->detector;
  c->face.min_score = (float)c->min_score;
  c->face.tiny_input_size = c->input_size;
  c->face.align = (enum lk_align)c->align;
  c->face.tiny_landmarks = c->tiny_landmarks;
  c->face.flip = c->flip;
  why[0] = '\0';
  if(lk_face_opts_check(&c->face, why))
    return cli_usage_error(c, "%s", why[0] ? why : "invalid face options");
  c->image.max_pixels = (uint64_t)c->max_pixels;
  return CLI_EXIT_OK;
}

static int cli_check_positionals(const struct cli_cmd *cmd,
                                 struct cli_ctx *c)
{
  if(c->n_pos < cmd->min_pos)
    return cli_usage_error(c, "missing arguments (%d given, %d needed)",
                           c->n_pos, cmd->min_pos);
  if(cmd->max_pos >= 0 && c->n_pos > cmd->max_pos)
    return cli_usage_error(c, "too many arguments (%d given, at most %d)",
                           c->n_pos, cmd->max_pos);
  return CLI_EXIT_OK;
}

int cli_parse(struct cli_ctx *c, int argc, char **argv)
{
  const struct cli_cmd *cmd = c->def;
  int i, rc, only_pos = 0;

  if(cli_wants_help(argc, argv)) {
    cli_print_help(cmd, c);
    return -1;
  }
  /* positionals are packed into argv itself: slot n_pos+1 <= i is free */
  c->pos = argv + 1;
  c->n_pos = 0;
  for(i = 1; i < argc; i++) {
    const char *a = argv[i];
    if(!only_pos && !strcmp(a, "--")) {
      only_pos = 1;
      continue;
    }
    if(!only_pos && a[0] == '-' && a[1]) {
      rc = cli_parse_opt(cmd, c, argc, argv, &i);
      if(rc)
        return rc;
      continue;
    }
    c->pos[c->n_pos++] = argv[i];
  }
  rc = cli_check_positionals(cmd, c);
  if(rc)
    return rc;
  return cli_ctx_finish(c);
}
