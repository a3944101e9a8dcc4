/* err.h - the one error type of likeness, and a sentence for each value.
 * Threads: everything here is thread safe (no state).
 *
 *   lk_err err = lk_image_decode(...);
 *   if(err) fprintf(stderr, "decode: %s\n", lk_strerror(err));
 *
 * Released numbers never change; new values go just before LK_ERR_LAST. */
#ifndef LK_ERR_H
#define LK_ERR_H

typedef enum {
  LK_OK = 0,
  LK_ERR_NOMEM = 1,         /* an allocation failed or hit its ceiling */
  LK_ERR_INVAL = 2,         /* a bad argument or option */
  LK_ERR_IMAGE = 3,         /* bytes are not a decodable image */
  LK_ERR_TOO_LARGE = 4,     /* over a configured limit (pixels, bytes) */
  LK_ERR_NOT_FOUND = 5,     /* a file, name or id does not exist */
  LK_ERR_DENIED = 6,        /* refused by policy (paths, URLs, keys) */
  LK_ERR_BUSY = 7,          /* queue full, try later */
  LK_ERR_IO = 8,            /* reading or writing a file failed */
  LK_ERR_MODEL = 9,         /* model files missing, corrupt or mismatched */
  LK_ERR_NN = 10,           /* the inference library refused or failed */
  LK_ERR_UNSUPPORTED = 11,  /* a valid input we do not handle */
  LK_ERR_NO_FACE = 12,      /* an image with no face where one is needed */
  LK_ERR_EXISTS = 13,       /* a name or id already taken */
  LK_ERR_LAST               /* never use! */
} lk_err;

/* A static sentence for err; "unknown error" for values out of range. */
const char *lk_strerror(lk_err err);

#endif
