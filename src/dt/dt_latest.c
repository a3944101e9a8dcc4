/* dt_latest.c - Double Take's "latest" images (DATA/latest/<key>.jpg, one
 * per person's name, camera and "unknown"), annotated once when written:
 * each face's box, and "name - 91.5%" on a label of the box's colour.
 * Double Take copies the plain image and draws boxes on every request
 * with ?box=true; drawing once at write time costs one decode and encode
 * per event instead of one per view. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "base/log.h"
#include "dt_matches_int.h"
#include "image/image.h"

#define LK_DTM_KEY_MAX 200        /* bytes of a key kept in its file name */
#define LK_DTM_KEYS_MAX 64        /* latest files written for one image */
#define LK_DTM_COORD_MAX (1 << 24)  /* px; keeps box arithmetic in int */

/* ---- file names -------------------------------------------------------- */

/* Length of the valid UTF-8 character (2..4 bytes) at s, 0 when s starts
 * anything else: ASCII, a stray continuation byte, an overlong form, a
 * surrogate or a value past U+10FFFF. */
static int lk_dtm_utf8_len(const unsigned char *s)
{
  int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0, i;
  unsigned long cp;
  if(!n || s[0] > 0xF4)
    return 0;
  cp = s[0] & (0x7F >> n);
  for(i = 1; i < n; i++) {
    if((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
     (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

static int lk_dtm_key_byte_ok(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == ' ';
}

int lk_dt_matches_latest_file(char *buf, size_t size, const char *key)
{
  const unsigned char *s = (const unsigned char *)(key ? key : "");
  char out[LK_DTM_KEY_MAX + 5];
  size_t o = 0;
  while(*s && o < LK_DTM_KEY_MAX) {
    int n = lk_dtm_utf8_len(s);
    if(n && o + (size_t)n > LK_DTM_KEY_MAX)
      break;                      /* never half a character */
    if(n) {
      memcpy(out + o, s, (size_t)n);
      o += (size_t)n;
      s += n;
    } else {
      out[o++] = lk_dtm_key_byte_ok(*s) ? (char)*s : '_';
      s++;
    }
  }
  if(!o)
    out[o++] = '_';
  if(out[0] == '.')               /* no hidden files, no "." or ".." */
    out[0] = '_';
  memcpy(out + o, ".jpg", 5);
  o += 4;
  if(o + 1 > size)
    return -1;
  memcpy(buf, out, o + 1);
  return (int)o;
}

/* ---- annotation -------------------------------------------------------- */

/* Sizes from the image's shorter side, so labels read alike on a 500-px
 * Frigate snapshot (3-px lines, 16-px text) and a 1080p frame. */
struct lk_dtm_style {
  int line;                  /* box outline, px */
  int scale;                 /* font scale */
  int pad;                   /* label padding, px */
};

static struct lk_dtm_style lk_dtm_style_for(const struct lk_image *img)
{
  struct lk_dtm_style s;
  int side = img->width < img->height ? img->width : img->height;
  s.line = side / 150 > 2 ? side / 150 : 2;
  s.scale = side / 250 > 1 ? side / 250 : 1;
  s.pad = 2 * s.scale;
  return s;
}

/* Green for a match, red for unknown, orange for a known name below the
 * match threshold (Double Take's "miss"). */
static void lk_dtm_colour(const struct lk_dt_match_face *f,
                          unsigned char c[3])
{
  static const unsigned char match[3] = { 20, 170, 60 };
  static const unsigned char miss[3] = { 240, 140, 0 };
  static const unsigned char unknown[3] = { 220, 30, 30 };
  const unsigned char *p = f->match ? match
                         : strcmp(f->name, "unknown") ? miss : unknown;
  memcpy(c, p, 3);
}

/* "ada - 91.5%": the confidence as Double Take prints its number, with
 * no trailing zeros. */
static void lk_dtm_label_text(char *buf, size_t size,
                              const struct lk_dt_match_face *f)
{
  char num[32];
  size_t n;
  snprintf(num, sizeof num, "%.2f", f->confidence);
  n = strlen(num);
  while(n && num[n - 1] == '0')
    num[--n] = '\0';
  if(n && num[n - 1] == '.')
    num[--n] = '\0';
  snprintf(buf, size, "%s - %s%%", f->name, num);
}

/* The label above the box; below it when there is no room above; inside
 * its top when there is room for neither. Kept inside the image's width
 * where it fits. */
static void lk_dtm_label(struct lk_image *img, const struct lk_dtm_style *s,
                         const struct lk_dt_match_face *f,
                         const unsigned char c[3])
{
  char text[LK_DT_MATCHES_TEXT_MAX + 32];
  int w, h, x, y;
  lk_dtm_label_text(text, sizeof text, f);
  w = lk_image_text_width(text, s->scale) + 2 * s->pad;
  h = LK_IMAGE_FONT_H * s->scale + 2 * s->pad;
  x = f->left + w > img->width ? img->width - w : f->left;
  x = x < 0 ? 0 : x;
  y = f->top - h;
  if(y < 0)
    y = f->top + f->height;
  if(y + h > img->height)
    y = f->top < 0 ? 0 : f->top;
  lk_image_fill_rect(img, x, y, x + w - 1, y + h - 1, c[0], c[1], c[2]);
  lk_image_draw_text(img, x + s->pad, y + s->pad, text, s->scale, 255, 255,
                     255);
}

/* Faces a drawing can take: named, and boxes within LK_DTM_COORD_MAX so
 * the box and label arithmetic stays in int. */
static lk_err lk_dtm_faces_check(const struct lk_dt_match_face *faces,
                                 int n_faces)
{
  int i;
  if(n_faces < 0 || n_faces > LK_DT_MATCHES_FACES_MAX || (n_faces && !faces))
    return LK_ERR_INVAL;
  for(i = 0; i < n_faces; i++) {
    const struct lk_dt_match_face *f = &faces[i];
    if(!f->name || f->width < 0 || f->height < 0 ||
       f->width > LK_DTM_COORD_MAX || f->height > LK_DTM_COORD_MAX ||
       f->left < -LK_DTM_COORD_MAX || f->left > LK_DTM_COORD_MAX ||
       f->top < -LK_DTM_COORD_MAX || f->top > LK_DTM_COORD_MAX)
      return LK_ERR_INVAL;
  }
  return LK_OK;
}

static lk_err lk_dtm_latest_check(const char *const *keys, int n_keys,
                                  const struct lk_dt_match_face *faces,
                                  int n_faces)
{
  int i;
  if(n_keys < 0 || n_keys > LK_DTM_KEYS_MAX || (n_keys && !keys))
    return LK_ERR_INVAL;
  for(i = 0; i < n_keys; i++)
    if(!keys[i])
      return LK_ERR_INVAL;
  return lk_dtm_faces_check(faces, n_faces);
}

/* Boxes first, then labels, so no box runs through a label. */
lk_err lk_dt_matches_annotate(struct lk_image *img,
                              const struct lk_dt_match_face *faces, int n)
{
  struct lk_dtm_style s;
  unsigned char c[3];
  int i;
  lk_err err = lk_dtm_faces_check(faces, n);
  if(err)
    return err;
  s = lk_dtm_style_for(img);
  for(i = 0; i < n; i++) {
    const struct lk_dt_match_face *f = &faces[i];
    lk_dtm_colour(f, c);
    lk_image_draw_rect(img, f->left, f->top, f->left + f->width - 1,
                       f->top + f->height - 1, s.line, c[0], c[1], c[2]);
  }
  for(i = 0; i < n; i++) {
    lk_dtm_colour(&faces[i], c);
    lk_dtm_label(img, &s, &faces[i], c);
  }
  return LK_OK;
}

/* ---- write and read ---------------------------------------------------- */

static lk_err lk_dtm_latest_write(struct lk_dt_matches *m,
                                  const char *const *keys, int n_keys,
                                  const unsigned char *jpeg, size_t len)
{
  char name[LK_DTM_KEY_MAX + 5];
  int i;
  lk_err err = LK_OK;
  pthread_rwlock_rdlock(&m->files);
  for(i = 0; !err && i < n_keys; i++) {
    lk_dt_matches_latest_file(name, sizeof name, keys[i]);
    err = lk_file_write_durable(m->latest_dir, name, jpeg, len);
    if(err)
      lk_log(LK_LOG_ERROR, "dt", "cannot write %s/%s: %s", m->latest_dir,
             name, strerror(errno));
  }
  pthread_rwlock_unlock(&m->files);
  return err ? LK_ERR_IO : LK_OK;
}

lk_err lk_dt_matches_latest_save(struct lk_dt_matches *m,
                                 const char *const *keys, int n_keys,
                                 const void *jpeg, size_t len,
                                 const struct lk_dt_match_face *faces,
                                 int n_faces, struct lk_arena *arena)
{
  struct lk_image_opts o = lk_image_default_opts();
  struct lk_image img;
  unsigned char *out = NULL;
  size_t out_len = 0;
  char why[LK_IMAGE_ERRMAX];
  lk_err err = lk_dtm_latest_check(keys, n_keys, faces, n_faces);

  if(err || !n_keys)
    return err;
  err = lk_image_decode(jpeg, len, &o, arena, &img, why);
  if(err) {
    lk_log(LK_LOG_WARN, "dt", "latest image: %s", why);
    return err;
  }
  lk_dt_matches_annotate(&img, faces, n_faces);   /* faces checked above */
  err = lk_image_encode_jpeg(&img, m->opts.jpeg_quality, &out, &out_len);
  if(!err)
    err = lk_dtm_latest_write(m, keys, n_keys, out, out_len);
  lk_free(out);
  return err;
}

lk_err lk_dt_matches_latest_read(struct lk_dt_matches *m,
                                 const char *filename, struct lk_arena *arena,
                                 const unsigned char **data, size_t *len)
{
  char key[1024], name[LK_DTM_KEY_MAX + 5], path[4096];
  size_t n = filename ? strlen(filename) : 0;

  *data = NULL;
  *len = 0;
  if(n < 5 || n - 4 >= sizeof key || strcmp(filename + n - 4, ".jpg"))
    return LK_ERR_NOT_FOUND;
  memcpy(key, filename, n - 4);
  key[n - 4] = '\0';
  lk_dt_matches_latest_file(name, sizeof name, key);
  if(snprintf(path, sizeof path, "%s/%s", m->latest_dir, name) >=
     (int)sizeof path)
    return LK_ERR_NOT_FOUND;
  return lk_file_read_arena(path, LK_IMAGE_MAX_BYTES, arena, data, len);
}
