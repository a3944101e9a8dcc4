/* cli_detect.c - likeness detect: boxes and scores only, as a table or JSON
 * lines, optionally drawn into a JPEG (like a "last detection" snapshot). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CLI_ANNOTATE_QUALITY 90

/* OUT for a single image, else OUT with "-N" before its extension. */
static int cli_annotate_path(const struct cli_ctx *c, int index, char *buf,
                             size_t size)
{
  const char *out = c->annotate;
  const char *dot = strrchr(out, '.');
  const char *slash = strrchr(out, '/');
  int n;

  if(c->n_pos == 1)
    n = snprintf(buf, size, "%s", out);
  else {
    if(!dot || (slash && dot < slash))
      dot = out + strlen(out);
    n = snprintf(buf, size, "%.*s-%d%s", (int)(dot - out), out, index + 1,
                 dot);
  }
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

static lk_err cli_annotate(const struct cli_ctx *c, int index,
                           struct lk_image *img, const struct lk_face *faces,
                           int n, char *why)
{
  char path[4096];
  unsigned char *jpeg = NULL;
  size_t len = 0;
  int w, h, i, thick;
  float sx, sy;
  lk_err err;

  if(cli_annotate_path(c, index, path, sizeof path)) {
    snprintf(why, CLI_WHYMAX, "%s: path too long", c->annotate);
    return LK_ERR_INVAL;
  }
  /* boxes are in the file's pixels; the decoder may have scaled down */
  cli_image_size(img, &w, &h);
  sx = (float)img->width / (float)w;
  sy = (float)img->height / (float)h;
  thick = (img->width < img->height ? img->width : img->height) / 200 + 2;
  for(i = 0; i < n; i++) {
    const struct lk_box *b = &faces[i].box;
    lk_image_draw_rect(img, (int)(b->x_min * sx), (int)(b->y_min * sy),
                       (int)(b->x_max * sx), (int)(b->y_max * sy), thick,
                       0, 255, 0);
  }
  err = lk_image_encode_jpeg(img, CLI_ANNOTATE_QUALITY, &jpeg, &len);
  if(err) {
    snprintf(why, CLI_WHYMAX, "%.400s: %s", path, lk_strerror(err));
    return err;
  }
  err = cli_write_file(path, jpeg, len, why);
  lk_free(jpeg);
  return err;
}

static void cli_detect_table(const char *path, const struct lk_image *img,
                             const struct lk_face *faces, int n)
{
  int w, h, i;

  cli_image_size(img, &w, &h);
  printf("%s (%dx%d): %d face%s\n", path, w, h, n, n == 1 ? "" : "s");
  if(n)
    printf("  %3s %9s %9s %9s %9s %7s\n", "#", "x_min", "y_min", "x_max",
           "y_max", "score");
  for(i = 0; i < n; i++) {
    const struct lk_face *f = &faces[i];
    printf("  %3d %9.1f %9.1f %9.1f %9.1f %7.4f\n", i + 1, f->box.x_min,
           f->box.y_min, f->box.x_max, f->box.y_max, f->score);
  }
}

/* One image: detect, print, annotate. Returns 1 when it failed. */
static int cli_detect_one(struct cli_ctx *c, int index,
                          struct lk_arena *arena)
{
  const char *path = c->pos[index];
  struct lk_image img;
  struct lk_face *faces;
  char why[CLI_WHYMAX];
  int n;
  lk_err err;

  err = cli_image_process(c, path, NULL, 0, CLI_DETECT, arena, &img, &faces,
                          &n, why);
  if(c->json)
    cli_print_result(path, err, why, &img, faces, n, CLI_PART_BOX);
  else if(err)
    cli_error(c, "%s: %s", path, why);
  else
    cli_detect_table(path, &img, faces, n);
  if(!err && c->annotate) {
    err = cli_annotate(c, index, &img, faces, n, why);
    if(err)
      cli_error(c, "--annotate: %s", why);
  }
  return err != LK_OK;
}

/* Boxes alone need far fewer pixels than the 512 px detector input's
 * source photo has: a large JPEG is decoded at 1/2, 1/4 or 1/8 in the DCT
 * domain while both sides stay >= this (--full-decode turns it off). The
 * engine reports boxes in the file's full-size pixels either way. */
#define CLI_DETECT_MIN_SIDE 1024

static int cli_detect_run(struct cli_ctx *c)
{
  struct lk_arena *arena;
  int i, failed = 0, rc;

  if(!c->full_decode)
    c->image.min_side = CLI_DETECT_MIN_SIDE;
  rc = cli_open_one_at_a_time(c, &arena);
  if(rc)
    return rc;
  for(i = 0; i < c->n_pos; i++) {
    failed |= cli_detect_one(c, i, arena);
    lk_arena_reset(arena);
  }
  lk_arena_destroy(arena);
  return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static const char *const cli_detect_opts[] = {
  CLI_OPTS_DETECT, "--json", "--annotate", "--full-decode", CLI_OPTS_COMMON,
  NULL
};

const struct cli_cmd cli_cmd_detect = {
  "detect", cli_detect_run, "[options] [--json] [--annotate OUT.jpg] "
  "IMAGE...",
  "face boxes and scores (table or JSON), optionally drawn into a JPEG",
  "Detect the faces in each IMAGE and print their boxes and scores, best\n"
  "score first: a table per image, or with --json one line per image:\n"
  "  {\"image\":PATH,\"width\":W,\"height\":H,\"faces\":[{\"box\":{\"x_min\":..,\n"
  "   \"y_min\":..,\"x_max\":..,\"y_max\":..},\"score\":S}]}\n"
  "--annotate draws the boxes and writes a JPEG. A JPEG larger than\n"
  "2048 px on its short side is decoded at reduced size in the DCT domain\n"
  "(boxes still in full-size pixels); --full-decode decodes every pixel.\n"
  "Exit status 1 when an image could not be read or the JPEG not written.",
  cli_detect_opts, 1, -1
};
