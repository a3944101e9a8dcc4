/* cli_config.c - likeness serve's settings from a YAML file and LIKENESS_*
 * environment variables. Every key maps onto a command-line option, so one
 * parser checks every value whichever way it arrives, --help shows the
 * defaults, and the order of precedence is simple: command line, then
 * environment, then config file, then the built-in default.
 * docs/config.md lists the keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli.h"
#include "conf/conf.h"
#include "dt/dt_config.h"

struct cli_conf_key {
  const char *path;     /* key in config.yml */
  const char *opt;      /* the option it sets */
  const char *env;      /* environment variable, or NULL */
  int secret;           /* printed as ******** */
};

static const struct cli_conf_key cli_conf_keys[] = {
  { "server.port", "--port", "LIKENESS_PORT", 0 },
  { "server.bind", "--bind", "LIKENESS_BIND", 0 },
  { "server.data", "--data", "LIKENESS_DATA", 0 },
  { "server.max_body_mb", "--max-body-mb", NULL, 0 },
  { "server.inference_slots", "--slots", NULL, 0 },
  { "server.queue", "--queue", NULL, 0 },
  { "server.cors_origin", "--cors-origin", NULL, 0 },
  { "server.allow_private_urls", "--allow-private-urls", NULL, 0 },
  { "engine.models", "--models", "LIKENESS_MODELS", 0 },
  { "engine.detector", "--detector", NULL, 0 },
  { "engine.min_score", "--min-score", NULL, 0 },
  { "engine.input_size", "--input-size", NULL, 0 },
  { "engine.align", "--align", NULL, 0 },
  { "engine.flip", "--flip", NULL, 0 },
  { "engine.max_pixels", "--max-pixels", NULL, 0 },
  { "engine.match_distance", "--match-distance", NULL, 0 },
  { "api_keys.deepstack", "--api-key", "LIKENESS_DEEPSTACK_KEY", 1 },
  { "api_keys.compreface.recognition", "--compreface-recognition-key",
    "LIKENESS_COMPREFACE_RECOGNITION_KEY", 1 },
  { "api_keys.compreface.detection", "--compreface-detection-key",
    "LIKENESS_COMPREFACE_DETECTION_KEY", 1 },
  { "api_keys.compreface.verification", "--compreface-verification-key",
    "LIKENESS_COMPREFACE_VERIFICATION_KEY", 1 },
  { "api_keys.facebox.username", "--facebox-user", "LIKENESS_FACEBOX_USER",
    0 },
  { "api_keys.facebox.password", "--facebox-password",
    "LIKENESS_FACEBOX_PASSWORD", 1 },
  { "api_keys.native", "--native-key", "LIKENESS_NATIVE_KEY", 1 },
  /* Double Take's key, so a pasted config keeps its log level */
  { "logs.level", "--log-level", "LIKENESS_LOG_LEVEL", 0 },
};

#define CLI_CONF_N (sizeof cli_conf_keys / sizeof cli_conf_keys[0])

/* Double Take's log levels (winston's) that have no likeness name. */
static const char *cli_conf_level(const char *path, const char *v)
{
  if(!strcmp(path, "logs.level") &&
     (!strcmp(v, "verbose") || !strcmp(v, "silly") || !strcmp(v, "http")))
    return "debug";
  return v;
}

static void cli_conf_warn(void *ctx, const char *path, int line)
{
  const struct cli_ctx *c = ctx;
  lk_log(LK_LOG_WARN, "config", "%s:%d: unknown key '%s' (ignored)",
         c->config, line, path);
}

/* One walk over the file with likeness's keys and Double Take's, which
 * share it: a key neither reads is warned about. */
static int cli_conf_check_unknown(struct cli_ctx *c,
                                  const struct lk_conf_node *root,
                                  struct lk_arena *arena)
{
  const char *const *dt = lk_dt_config_paths();
  const char **known;
  size_t i, n = 0;
  while(dt[n])
    n++;
  known = lk_arena_alloc(arena, (CLI_CONF_N + n + 1) * sizeof *known);
  if(!known)
    return CLI_EXIT_FAIL;
  for(i = 0; i < CLI_CONF_N; i++)
    known[i] = cli_conf_keys[i].path;
  for(i = 0; i < n; i++)
    known[CLI_CONF_N + i] = dt[i];
  known[CLI_CONF_N + n] = NULL;
  lk_conf_unknown(root, known, cli_conf_warn, c);
  return CLI_EXIT_OK;
}

/* One key from the file, when it is there and not null. */
static int cli_conf_from_file(struct cli_ctx *c, const struct cli_conf_key *k,
                              const struct lk_conf_node *n, char *origin,
                              size_t size)
{
  snprintf(origin, size, "%s:%d: %s", c->config, n->line, k->path);
  c->origin = origin;
  if(n->kind != LK_CONF_SCALAR)
    return cli_usage_error(c, "%s: expected a single value, not a %s",
                           origin, n->kind == LK_CONF_MAP ? "map" : "list");
  if(n->null)
    return CLI_EXIT_OK;     /* `key:` with nothing: the default */
  return cli_opt_set(c, k->opt, cli_conf_level(k->path, n->value));
}

static int cli_conf_one(struct cli_ctx *c, const struct cli_conf_key *k,
                        const struct lk_conf_node *root, const char **from,
                        char *origin, size_t size)
{
  const struct lk_conf_node *n = root ? lk_conf_find(root, k->path) : NULL;
  const char *env = k->env ? getenv(k->env) : NULL;
  int rc = CLI_EXIT_OK;

  *from = "default";
  if(cli_opt_given(c, k->opt)) {
    *from = "command line";
    return CLI_EXIT_OK;
  }
  if(env && env[0]) {
    snprintf(origin, size, "%s", k->env);
    c->origin = origin;
    rc = cli_opt_set(c, k->opt, cli_conf_level(k->path, env));
    *from = k->env;
  } else if(n) {
    rc = cli_conf_from_file(c, k, n, origin, size);
    *from = n->null ? "default" : c->config;
  }
  c->origin = NULL;
  return rc;
}

int cli_config_apply(struct cli_ctx *c, struct lk_arena *arena)
{
  struct lk_conf_node *root = NULL;
  char why[LK_CONF_ERRMAX], origin[512], value[512];
  const char *from[CLI_CONF_N];
  size_t i;
  int rc = CLI_EXIT_OK;

  if(c->config) {
    if(lk_conf_load(c->config, arena, &root, why)) {
      cli_error(c, "%s", why);
      return CLI_EXIT_USAGE;
    }
    if(cli_conf_check_unknown(c, root, arena))
      return CLI_EXIT_FAIL;
    c->conf_root = root;
  }
  for(i = 0; i < CLI_CONF_N && !rc; i++)
    rc = cli_conf_one(c, &cli_conf_keys[i], root, &from[i], origin,
                      sizeof origin);
  if(!rc)
    rc = cli_ctx_finish(c);      /* engine keys may have changed */
  if(rc)
    return rc;
  lk_log_set_level((enum lk_log_level)c->log_level);
  for(i = 0; i < CLI_CONF_N; i++) {
    const struct cli_conf_key *k = &cli_conf_keys[i];
    cli_opt_text(c, k->opt, value, sizeof value);
    lk_log(LK_LOG_INFO, "config", "%s = %s (%s)", k->path,
           !value[0] ? "(none)" : k->secret ? "********" : value, from[i]);
  }
  return CLI_EXIT_OK;
}
