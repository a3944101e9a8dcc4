/* dt_config.c - loading a Double Take config.yml: the sections in order
 * (dt_config_keys.c), the maps named by the user (dt_config_cameras.c),
 * then what spans keys: the DETECTORS variable, mqtt.host's port,
 * frigate.url against mqtt.topics.frigate, ui.path's slashes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_config_int.h"

static const char *const dt_detector_names[LK_DT_DETECTORS] = {
  "compreface", "deepstack", "facebox", "rekognition", "aiserver", "likeness"
};

const char *lk_dt_detector_name(enum lk_dt_detector_kind kind)
{
  return (int)kind >= 0 && kind < LK_DT_DETECTORS ? dt_detector_names[kind]
                                                  : NULL;
}

static const char *dt_env(struct dt_load *l, const char *name)
{
  const char *v = l->getenv ? l->getenv(l->env_ctx, name) : NULL;
  return v && v[0] ? v : NULL;   /* NAME= is unset, as in cli_config.c */
}

static int dt_env_touches(struct dt_load *l, const struct dt_table *t)
{
  size_t i;
  for(i = 0; i < t->n; i++) {
    if(t->keys[i].env && dt_env(l, t->keys[i].env))
      return 1;
  }
  return 0;
}

static lk_err dt_section_read(struct dt_load *l,
                              const struct lk_conf_node *root,
                              const struct dt_section *s)
{
  struct dt_apply a = { s->prefix, root, root ? root->line : 0,
                        (char *)l->cfg + s->off, 0, NULL, 0 };
  int mentioned;
  lk_err err;

  if(s->prefix[0] && (err = dt_find(l, root, "", s->prefix, &a.node)))
    return err;
  a.line = a.node ? a.node->line : 0;
  mentioned = a.node || dt_env_touches(l, s->t);
  if((s->flags & DT_SEC_MENTIONED) && !mentioned)
    return LK_OK;
  if(s->present != DT_NOFLAG && (mentioned || (s->flags & DT_SEC_ALWAYS)))
    *(int *)((char *)l->cfg + s->present) = 1;
  return dt_apply(l, s->t, &a);
}

/* DETECTORS=compreface,facebox (the v0.x README): exactly these run. */
static lk_err dt_detectors(struct dt_load *l)
{
  struct lk_dt_detector *d = l->cfg->detectors;
  const char *env = dt_env(l, "DETECTORS");
  struct dt_where w = { "detectors", 0, "DETECTORS" };
  unsigned listed = 0;
  char name[32];
  int k;

  for(k = 0; k < LK_DT_LIKENESS; k++)
    d[k].enabled = d[k].present;
  while(env && *env) {
    size_t len = strcspn(env, ","), a = 0;
    while(a < len && isspace((unsigned char)env[a]))
      a++;
    while(len > a && isspace((unsigned char)env[len - 1]))
      len--;
    snprintf(name, sizeof name, "%.*s", (int)(len - a), env + a);
    for(k = 0; k < LK_DT_DETECTORS && strcasecmp(name, dt_detector_names[k]);)
      k++;
    if(name[0] && k == LK_DT_DETECTORS)
      return dt_fail(l, &w, "unknown detector '%s' (compreface, deepstack, "
                     "facebox, rekognition, aiserver or likeness)", name);
    if(name[0] && !d[k].present)
      return dt_fail(l, &w, "%s is listed, but detectors.%s is not "
                     "configured", name, name);
    listed |= name[0] ? 1u << k : 0;
    env += strcspn(env, ",");
    env += *env == ',';
  }
  if(!dt_env(l, "DETECTORS"))
    return LK_OK;
  for(k = 0; k < LK_DT_DETECTORS; k++)
    d[k].enabled = (listed >> k) & 1;   /* the variable wins over enabled */
  return dt_origin_add(l, &w, 0);
}

static lk_err dt_port(struct dt_load *l, const struct dt_where *w,
                      const char *s, long *port)
{
  char *end;
  long p = strtol(s, &end, 10);
  if(!isdigit((unsigned char)*s) || *end || p < 1 || p > 65535)
    return dt_fail(l, w, "expected host or host:port with a port from 1 to "
                   "65535, got '%.80s'", l->cfg->mqtt.host);
  *port = p;
  return LK_OK;
}

/* host, host:port, [v6]:port or a bare IPv6 address, as mqtt.js takes. */
static lk_err dt_host_split(struct dt_load *l, const struct dt_where *w,
                            const char *h, long *port)
{
  struct lk_dt_mqtt *m = &l->cfg->mqtt;
  const char *colon = strrchr(h, ':'), *close = strchr(h, ']');
  size_t len = strlen(h);
  char *name;

  if(strstr(h, "://") || strpbrk(h, " \t/@?#"))
    return dt_fail(l, w, "expected host or host:port, without a scheme "
                   "(mqtt.protocol picks mqtts), got '%.80s'", h);
  if(h[0] == '[') {
    if(!close || (close[1] && close[1] != ':') || close == h + 1)
      return dt_fail(l, w, "expected [address]:port, got '%.80s'", h);
    if(close[1] && dt_port(l, w, close + 2, port))
      return LK_ERR_INVAL;
    h++;
    len = (size_t)(close - h);
  } else if(colon && colon == strchr(h, ':')) {
    if(dt_port(l, w, colon + 1, port))
      return LK_ERR_INVAL;
    len = (size_t)(colon - h);
  }
  if(!len)
    return dt_fail(l, w, "expected host or host:port, got '%.80s'", m->host);
  name = lk_arena_alloc(l->arena, len + 1);
  if(!name)
    return LK_ERR_NOMEM;
  memcpy(name, h, len);
  name[len] = '\0';
  m->hostname = name;
  return LK_OK;
}

static lk_err dt_mqtt(struct dt_load *l)
{
  struct lk_dt_mqtt *m = &l->cfg->mqtt;
  const struct dt_where *hw = dt_origin(l->cfg, "mqtt.host", NULL);
  const struct dt_where *pw = dt_origin(l->cfg, "mqtt.port", NULL);
  struct dt_where none = { "mqtt.port", 0, NULL };
  long port = -1;
  lk_err err;

  if(m->port == 0)
    return dt_fail(l, pw ? pw : &none, "expected -1 (the protocol's port) "
                   "or a port from 1 to 65535, got '0'");
  if(m->host && (err = dt_host_split(l, hw, m->host, &port)))
    return err;
  if(port > 0 && m->port > 0 && port != m->port)
    return dt_fail(l, pw, "%ld, but mqtt.host says port %ld", m->port, port);
  m->enabled = m->host != NULL;
  if(port > 0) {
    struct dt_where w = *hw;
    w.path = "mqtt.port";
    m->port = port;
    return dt_origin_add(l, &w, 0);
  }
  /* the fork: -1 is 8883 for mqtts, else 1883 */
  if(m->port < 0)
    m->port = !strcmp(m->protocol, "mqtts") || !strcmp(m->protocol, "tls")
              ? 8883 : 1883;
  return LK_OK;
}

/* frigate.util.js topicURL: URL i serves the events of topic i. */
static lk_err dt_frigate(struct dt_load *l)
{
  struct lk_dt_frigate *f = &l->cfg->frigate;
  size_t topics = l->cfg->mqtt.topics.frigate.n;
  f->enabled = f->url.n > 0;
  if(f->url.n > 1 && f->url.n != topics)
    return dt_fail(l, dt_origin(l->cfg, "frigate.url", NULL), "%zu URLs, "
                   "but mqtt.topics.frigate has %zu topic%s; they pair up "
                   "by position", f->url.n, topics, topics == 1 ? "" : "s");
  return LK_OK;
}

/* config.js: no trailing slash, a leading one when not empty. */
static lk_err dt_ui_path(struct dt_load *l)
{
  const char *p = l->cfg->ui.path;
  size_t len = strlen(p);
  char *out;
  while(len && p[len - 1] == '/')
    len--;
  out = lk_arena_alloc(l->arena, len + 2);
  if(!out)
    return LK_ERR_NOMEM;
  snprintf(out, len + 2, "%s%.*s", len && p[0] != '/' ? "/" : "", (int)len,
           p);
  l->cfg->ui.path = out;
  return LK_OK;
}

static const char *dt_process_env(void *ctx, const char *name)
{
  (void)ctx;
  return getenv(name);
}

lk_err lk_dt_config_load(const struct lk_conf_node *root, const char *file,
                         struct lk_arena *arena, struct lk_dt_config *out,
                         char *why)
{
  return lk_dt_config_load_env(root, file, dt_process_env, NULL, arena, out,
                               why);
}

lk_err lk_dt_config_load_env(const struct lk_conf_node *root,
                             const char *file, lk_dt_getenv_fn fn, void *ctx,
                             struct lk_arena *arena, struct lk_dt_config *out,
                             char *why)
{
  struct dt_load l = { arena, file, why, fn, ctx, out };
  lk_err err = LK_OK;
  size_t i;

  memset(out, 0, sizeof *out);
  out->file = file;
  if(why)
    why[0] = '\0';
  if(root && root->kind != LK_CONF_MAP) {
    struct dt_where w = { "config", root->line, NULL };
    return dt_fail(&l, &w, "the file must be a map of keys");
  }
  for(i = 0; i < dt_n_sections && !err; i++)
    err = dt_section_read(&l, root, &dt_sections[i]);
  if(!err)
    err = dt_load_events(&l, root);
  if(!err)
    err = dt_load_cameras(&l, root);
  if(!err)
    err = dt_detectors(&l);
  if(!err)
    err = dt_mqtt(&l);
  if(!err)
    err = dt_frigate(&l);
  if(!err)
    err = dt_ui_path(&l);
  if(err == LK_ERR_NOMEM && why)
    snprintf(why, LK_CONF_ERRMAX, "%s: out of memory", file ? file
             : "config");
  return err;
}
