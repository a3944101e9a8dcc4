/* cli_rgb.c - likeness rgb: our decoder's exact pixels as a binary PPM, the
 * input tools/faceapi-ref feeds to face-api.js so both see the same image. */
#include "cli.h"

static int cli_rgb_run(struct cli_ctx *c)
{
  struct lk_arena *arena = cli_arena_create(c);
  struct lk_image img;
  char why[LK_IMAGE_ERRMAX];
  int rc = CLI_EXIT_FAIL;
  lk_err err;

  if(!arena) {
    cli_error(c, "%s", lk_strerror(LK_ERR_NOMEM));
    return CLI_EXIT_FAIL;
  }
  why[0] = '\0';
  err = lk_image_load(c->pos[0], &c->image, arena, &img, why);
  if(err) {
    cli_error(c, "%s: %s%s%s", c->pos[0], lk_strerror(err), why[0] ? ": " : "",
              why);
    goto out;
  }
  err = lk_image_write_ppm(&img, c->pos[1]);
  if(err) {
    cli_error(c, "%s: %s", c->pos[1], lk_strerror(err));
    goto out;
  }
  rc = CLI_EXIT_OK;
out:
  lk_arena_destroy(arena);
  return rc;
}

static const char *const cli_rgb_opts[] = { "--max-pixels", NULL };

const struct cli_cmd cli_cmd_rgb = {
  "rgb", cli_rgb_run, "[options] IMAGE OUT.ppm",
  "decode an image with our decoder and write its pixels as a PPM",
  "Decode IMAGE exactly as the other commands do (EXIF orientation\n"
  "applied, default decoder options) and write the 8-bit RGB pixels to\n"
  "OUT.ppm as a binary PPM (P6). tools/faceapi-ref/gen.js reads these so\n"
  "the face-api.js reference sees the very pixels we do.",
  cli_rgb_opts, 2, 2
};
