/* pipeline_int.h - what pipeline.c and keep.c share. */
#ifndef LK_PIPELINE_INT_H
#define LK_PIPELINE_INT_H

#include "pipeline.h"

struct lk_pipeline {
  struct lk_face_engine *eng;
  struct lk_store *st;            /* NULL: detect and compare only */
  struct lk_pipeline_config cfg;  /* image_dir points at the caller's */
};

/* After register committed face_id: keep its image when configured. A
 * failure is logged, not returned: the face itself is stored. */
void lk_pipeline_keep_image(struct lk_pipeline *p, int64_t face_id,
                            const void *img, size_t len);

#endif
