/* cli_describe.c - likeness describe: boxes, 68 landmarks and a descriptor
 * for every face, one JSON line per image, in the file's pixels. */
#include "cli.h"

static int cli_describe_run(struct cli_ctx *c)
{
  struct lk_arena *arena;
  struct lk_image img;
  struct lk_face *faces;
  char why[CLI_WHYMAX];
  int i, n, failed = 0, rc;
  lk_err err;

  rc = cli_open_one_at_a_time(c, &arena);
  if(rc)
    return rc;
  for(i = 0; i < c->n_pos; i++) {
    err = cli_image_process(c, c->pos[i], NULL, 0, CLI_DESCRIBE, arena, &img,
                            &faces, &n, why);
    cli_print_result(c->pos[i], err, why, &img, faces, n,
                     CLI_PART_LANDMARKS | CLI_PART_DESCRIPTOR);
    failed |= err != LK_OK;
    lk_arena_reset(arena);
  }
  lk_arena_destroy(arena);
  return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static const char *const cli_describe_opts[] = {
  CLI_OPTS_FACE, "--json", CLI_OPTS_COMMON, NULL
};

const struct cli_cmd cli_cmd_describe = {
  "describe", cli_describe_run, "[options] --json IMAGE...",
  "faces, 68 landmarks and 128-D descriptors as JSON lines",
  "Detect every face in each IMAGE and print one JSON object per image on\n"
  "one line:\n"
  "  {\"image\":PATH,\"width\":W,\"height\":H,\"faces\":[{\"box\":{\"x_min\":..,\n"
  "   \"y_min\":..,\"x_max\":..,\"y_max\":..},\"score\":S,\"landmarks\":[[x,y],\n"
  "   ...68],\"descriptor\":[...128]}]}\n"
  "Coordinates are pixels of the image as displayed (EXIF orientation\n"
  "applied); numbers have 6 significant digits. Output is always JSON\n"
  "(--json is accepted for symmetry with detect). An image that cannot be\n"
  "read gives {\"image\":PATH,\"error\":\"...\"} and the run goes on; the exit\n"
  "status is then 1.",
  cli_describe_opts, 1, -1
};
