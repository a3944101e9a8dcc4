/* exif.c - the EXIF orientation tag through libexif, and the pixel
 * transform for each of its eight values. */
#include <stddef.h>
#include <string.h>

#include <libexif/exif-data.h>
#include <libexif/exif-log.h>
#include <libexif/exif-mem.h>

#include "image/image_int.h"

/* libexif expects zeroed blocks from its allocator (its default is calloc);
 * going through lk_calloc lets the fault tests reach it. */
static void *lk_img_exif_alloc(ExifLong n)
{
  return lk_calloc(n, 1);
}

static void *lk_img_exif_realloc(void *p, ExifLong n)
{
  return lk_realloc(p, n);
}

/* libexif reports a failed allocation only through its log. */
static void lk_img_exif_log(ExifLog *log, ExifLogCode code,
                            const char *domain, const char *format,
                            va_list args, void *data)
{
  (void)log;
  (void)domain;
  (void)format;
  (void)args;
  if(code == EXIF_LOG_CODE_NO_MEMORY)
    *(int *)data = 1;
}

static int lk_img_exif_read(ExifData *ed)
{
  ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0],
                                        EXIF_TAG_ORIENTATION);
  int v;
  if(!e || e->format != EXIF_FORMAT_SHORT || e->components < 1 || !e->data ||
     e->size < 2)
    return 1;
  v = exif_get_short(e->data, exif_data_get_byte_order(ed));
  return v >= 1 && v <= 8 ? v : 1;
}

static lk_err lk_img_exif_parse(ExifMem *mem, const unsigned char *exif,
                                size_t len, int *orientation)
{
  ExifLog *log = exif_log_new_mem(mem);
  ExifData *ed = NULL;
  int nomem = 0;
  if(log)
    ed = exif_data_new_mem(mem);
  if(ed) {
    exif_log_set_func(log, lk_img_exif_log, &nomem);
    exif_data_log(ed, log);
    /* FOLLOW_SPECIFICATION would add missing tags after loading. */
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(ed, exif, (unsigned int)len);
    *orientation = lk_img_exif_read(ed);
    exif_data_unref(ed);
  }
  if(log)
    exif_log_unref(log);
  return !ed || nomem ? LK_ERR_NOMEM : LK_OK;
}

lk_err lk_img_exif_orientation(const unsigned char *exif, size_t len,
                               int *orientation)
{
  static const unsigned char hdr[6] = { 'E', 'x', 'i', 'f', 0, 0 };
  ExifMem *mem;
  unsigned char *copy = NULL;
  lk_err err;
  *orientation = 1;
  /* An APP1 segment holds at most 64 KiB; libexif reads no further. */
  if(len > 0xffff)
    len = 0xffff;
  mem = exif_mem_new(lk_img_exif_alloc, lk_img_exif_realloc, lk_free);
  if(!mem)
    return LK_ERR_NOMEM;
  if(len < 6 || memcmp(exif, hdr, 6)) {
    /* a bare TIFF block: libexif wants the JPEG header in front */
    copy = lk_malloc(len + 6);
    if(!copy) {
      exif_mem_unref(mem);
      return LK_ERR_NOMEM;
    }
    memcpy(copy, hdr, 6);
    memcpy(copy + 6, exif, len);
    exif = copy;
    len += 6;
  }
  err = lk_img_exif_parse(mem, exif, len, orientation);
  lk_free(copy);
  exif_mem_unref(mem);
  return err;
}

/* For orientation o, output pixel (x, y) is source pixel
 * row0 + y * dy + x * step, counted in pixels of the stored w x h image.
 * Values from the TIFF/EXIF 2.3 definition of the tag. */
static void lk_img_orient_walk(int o, ptrdiff_t w, ptrdiff_t h,
                               ptrdiff_t *row0, ptrdiff_t *dy,
                               ptrdiff_t *step)
{
  switch(o) {
  case 2: *row0 = w - 1; *dy = w; *step = -1; break;              /* mirror */
  case 3: *row0 = h * w - 1; *dy = -w; *step = -1; break;         /* 180 */
  case 4: *row0 = (h - 1) * w; *dy = -w; *step = 1; break;        /* flip */
  case 5: *row0 = 0; *dy = 1; *step = w; break;                   /* transp. */
  case 6: *row0 = (h - 1) * w; *dy = 1; *step = -w; break;        /* 90 cw */
  case 7: *row0 = h * w - 1; *dy = -1; *step = -w; break;         /* transv. */
  case 8: *row0 = w - 1; *dy = -1; *step = w; break;              /* 90 ccw */
  default: *row0 = 0; *dy = w; *step = 1; break;
  }
}

void lk_img_orient(const unsigned char *src, int w, int h, int orientation,
                   unsigned char *dst)
{
  ptrdiff_t row0, dy, step, x, y;
  ptrdiff_t ow = orientation >= 5 ? h : w;
  ptrdiff_t oh = orientation >= 5 ? w : h;
  lk_img_orient_walk(orientation, w, h, &row0, &dy, &step);
  for(y = 0; y < oh; y++) {
    ptrdiff_t i = row0 + y * dy;
    for(x = 0; x < ow; x++, i += step) {
      dst[0] = src[3 * i];
      dst[1] = src[3 * i + 1];
      dst[2] = src[3 * i + 2];
      dst += 3;
    }
  }
}
