/* cli_recognize.c - likeness recognize (faces against an encoded dataset)
 * and likeness compare (the largest faces of two images).
 *
 * A face is the person of its nearest dataset sample: the minimum euclidean
 * distance over all of a person's samples, as in the encoder/recognizer CLI
 * we follow (and face_recognition's compare_faces). */
#include <stdio.h>

#include "cli.h"

struct cli_match {
  const char *nearest;    /* the closest person, NULL with an empty dataset */
  const char *name;       /* nearest, or "unknown" past the threshold */
  float distance;
  float confidence;
};

/* 1 - distance clamped to [0, 1]: a plain, monotone score, not a
 * calibrated probability. */
static float cli_confidence(float distance)
{
  float v = 1.0f - distance;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

static void cli_match_face(const struct cli_ctx *c,
                           const struct cli_dataset *ds, const float *desc,
                           struct cli_match *m)
{
  int at = cli_dataset_nearest(ds, desc, &m->distance);

  m->nearest = at >= 0 ? ds->names[at] : NULL;
  m->name = at >= 0 && m->distance <= c->threshold ? m->nearest : "unknown";
  m->confidence = at >= 0 ? cli_confidence(m->distance) : 0;
}

static void cli_recognize_json(const struct cli_ctx *c,
                               const struct cli_dataset *ds, const char *path,
                               const struct lk_image *img,
                               const struct lk_face *faces, int n)
{
  cJSON *o = cli_image_json(path, img, faces, n, CLI_PART_BOX);
  cJSON *face;
  struct cli_match m;
  int i = 0;

  cJSON_ArrayForEach(face, cJSON_GetObjectItem(o, "faces")) {
    cli_match_face(c, ds, faces[i++].descriptor, &m);
    cJSON_AddStringToObject(face, "name", m.name);
    if(m.nearest)
      cJSON_AddStringToObject(face, "nearest", m.nearest);
    cJSON_AddItemToObject(face, "distance", cli_json_num(m.distance));
    cJSON_AddItemToObject(face, "confidence", cli_json_num(m.confidence));
  }
  cli_json_print_line(o);
}

static void cli_recognize_text(const struct cli_ctx *c,
                               const struct cli_dataset *ds, const char *path,
                               const struct lk_face *faces, int n)
{
  struct cli_match m;
  int i;

  printf("%s: %d face%s\n", path, n, n == 1 ? "" : "s");
  for(i = 0; i < n; i++) {
    const struct lk_box *b = &faces[i].box;
    cli_match_face(c, ds, faces[i].descriptor, &m);
    printf("  face %d at (%.0f,%.0f)-(%.0f,%.0f): %s", i + 1, b->x_min,
           b->y_min, b->x_max, b->y_max, m.name);
    if(!m.nearest)
      printf(" (empty dataset)\n");
    else if(m.name == m.nearest)
      printf(" (distance %.4f, confidence %.2f)\n", m.distance, m.confidence);
    else
      printf(" (nearest %s, distance %.4f)\n", m.nearest, m.distance);
  }
}

/* Recognize every image; returns 1 when one failed. */
static int cli_recognize_images(struct cli_ctx *c,
                                const struct cli_dataset *ds,
                                struct lk_arena *arena)
{
  struct lk_image img;
  struct lk_face *faces;
  char why[CLI_WHYMAX];
  int i, n, failed = 0;
  lk_err err;

  for(i = 0; i < c->n_pos; i++) {
    const char *path = c->pos[i];
    err = cli_image_process(c, path, NULL, 0, CLI_DESCRIBE, arena, &img,
                            &faces, &n, why);
    failed |= err != LK_OK;
    if(err && c->json)
      cli_json_print_line(cli_error_json(path, why));
    else if(err)
      cli_error(c, "%s: %s", path, why);
    else if(c->json)
      cli_recognize_json(c, ds, path, &img, faces, n);
    else
      cli_recognize_text(c, ds, path, faces, n);
    lk_arena_reset(arena);
  }
  return failed;
}

static int cli_recognize_run(struct cli_ctx *c)
{
  struct cli_dataset ds;
  struct lk_arena *arena = NULL;
  char why[CLI_WHYMAX];
  int rc;

  if(!c->dataset)
    return cli_usage_error(c, "-d DATASET is required");
  if(cli_dataset_load(c->dataset, &ds, why)) {
    cli_error(c, "%s", why);
    return CLI_EXIT_FAIL;
  }
  if(!ds.n)
    cli_error(c, "warning: %s has no entries: every face is unknown",
              c->dataset);
  rc = cli_open_one_at_a_time(c, &arena);
  if(!rc && cli_recognize_images(c, &ds, arena))
    rc = CLI_EXIT_FAIL;
  lk_arena_destroy(arena);
  cli_dataset_clear(&ds);
  return rc;
}

static const char *const cli_recognize_opts[] = {
  "--dataset", "--threshold", "--json", CLI_OPTS_FACE, CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_recognize = {
  "recognize", cli_recognize_run,
  "-d DATASET.json [--threshold T] [--json] [options] IMAGE...",
  "name the faces in images from an encoded dataset",
  "For each face in each IMAGE, find the dataset sample nearest to its\n"
  "descriptor (euclidean distance; a person's distance is the minimum over\n"
  "all their samples). The face gets that person's name, or \"unknown\"\n"
  "when the distance is above T. Printed with the distance and a\n"
  "confidence, for now simply 1 - distance clamped to [0, 1] (not a\n"
  "calibrated probability). --json prints one line per image:\n"
  "  {\"image\":..,\"width\":..,\"height\":..,\"faces\":[{\"box\":{..},\"score\":..,\n"
  "   \"name\":..,\"nearest\":..,\"distance\":..,\"confidence\":..}]}\n"
  "The dataset (from likeness encode) is checked strictly: any malformed\n"
  "entry is an error naming it.",
  cli_recognize_opts, 1, -1
};

/* The descriptor of the largest face in path, into desc. */
static int cli_compare_face(struct cli_ctx *c, const char *path,
                            struct lk_arena *arena, float *desc)
{
  struct lk_image img;
  struct lk_face *faces;
  char why[CLI_WHYMAX];
  int n, at;

  if(cli_image_process(c, path, NULL, 0, CLI_DESCRIBE, arena, &img, &faces,
                       &n, why)) {
    cli_error(c, "%s: %s", path, why);
    return CLI_EXIT_FAIL;
  }
  at = cli_largest_face(faces, n);
  if(at < 0) {
    cli_error(c, "no face found in %s", path);
    return CLI_EXIT_FAIL;
  }
  for(n = 0; n < LK_FACE_DESCRIPTOR_DIM; n++)
    desc[n] = faces[at].descriptor[n];
  lk_arena_reset(arena);
  return CLI_EXIT_OK;
}

static int cli_compare_run(struct cli_ctx *c)
{
  float a[LK_FACE_DESCRIPTOR_DIM], b[LK_FACE_DESCRIPTOR_DIM], d;
  struct lk_arena *arena;
  int rc;

  rc = cli_open_one_at_a_time(c, &arena);
  if(rc) {
    lk_arena_destroy(arena);
    return rc;
  }
  rc = cli_compare_face(c, c->pos[0], arena, a);
  if(!rc)
    rc = cli_compare_face(c, c->pos[1], arena, b);
  if(!rc) {
    d = lk_face_distance(a, b);
    printf("%s (distance %.4f, threshold %g)\n",
           d <= c->threshold ? "same person" : "different people", d,
           c->threshold);
  }
  lk_arena_destroy(arena);
  return rc;
}

static const char *const cli_compare_opts[] = {
  "--threshold", CLI_OPTS_FACE, CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_compare = {
  "compare", cli_compare_run, "[--threshold T] [options] A B",
  "same person or not: the largest faces of two images",
  "Describe the largest face of image A and of image B and print \"same\n"
  "person\" when their descriptor distance is at most T, else \"different\n"
  "people\", with the distance. Exit status 0 either way; 1 when an image\n"
  "cannot be read or holds no face (the message names it).",
  cli_compare_opts, 2, 2
};
