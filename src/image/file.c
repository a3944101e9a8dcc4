/* file.c - whole-file reads with a ceiling, load = read + decode, and PPM
 * output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "image/image.h"

static lk_err lk_file_fail(char *why, lk_err err, const char *path,
                           const char *what)
{
  if(why)
    snprintf(why, LK_IMAGE_ERRMAX, "%s: %s", path, what);
  return err;
}

static lk_err lk_file_open_error(char *why, const char *path, int e)
{
  char buf[128];
  switch(e) {
  case ENOENT:
    return lk_file_fail(why, LK_ERR_NOT_FOUND, path, "no such file");
  case ENOTDIR:
    return lk_file_fail(why, LK_ERR_NOT_FOUND, path,
                        "a folder in the path is a file");
  case EACCES:
  case EPERM:
    return lk_file_fail(why, LK_ERR_DENIED, path, "permission denied");
  default:
    /* _GNU_SOURCE (set by the build) gives the reentrant GNU strerror_r */
    return lk_file_fail(why, LK_ERR_IO, path,
                        strerror_r(e, buf, sizeof buf));
  }
}

/* Reads exactly n bytes; the file shrinking meanwhile is an error. */
static lk_err lk_file_read_all(int fd, unsigned char *buf, size_t n,
                               const char *path, char *why)
{
  char ebuf[128];
  size_t got = 0;
  while(got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if(r < 0 && errno == EINTR)
      continue;
    if(r < 0)
      return lk_file_fail(why, LK_ERR_IO, path,
                          strerror_r(errno, ebuf, sizeof ebuf));
    if(!r)
      return lk_file_fail(why, LK_ERR_IO, path, "file shrank while reading");
    got += (size_t)r;
  }
  return LK_OK;
}

static lk_err lk_file_check(int fd, const char *path, size_t max,
                            size_t *size, char *why)
{
  struct stat st;
  char what[96];
  if(fstat(fd, &st))
    return lk_file_open_error(why, path, errno);
  if(S_ISDIR(st.st_mode))
    return lk_file_fail(why, LK_ERR_INVAL, path, "is a directory");
  if(!S_ISREG(st.st_mode))
    return lk_file_fail(why, LK_ERR_INVAL, path,
                        "not a regular file (device, pipe or socket)");
  if((unsigned long long)st.st_size > max) {
    snprintf(what, sizeof what, "%lld bytes, over the limit of %zu",
             (long long)st.st_size, max);
    return lk_file_fail(why, LK_ERR_TOO_LARGE, path, what);
  }
  *size = (size_t)st.st_size;
  return LK_OK;
}

lk_err lk_file_read(const char *path, size_t max, unsigned char **data,
                    size_t *len, char *why)
{
  unsigned char *buf = NULL;
  size_t size = 0;
  lk_err err;
  int fd;
  if(why)
    why[0] = '\0';
  if(!path || !data || !len)
    return LK_ERR_INVAL;
  *data = NULL;
  *len = 0;
  if(!max || max > LK_IMAGE_MAX_BYTES)
    max = LK_IMAGE_MAX_BYTES;
  /* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it. */
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if(fd < 0)
    return lk_file_open_error(why, path, errno);
  err = lk_file_check(fd, path, max, &size, why);
  if(!err) {
    buf = lk_malloc(size ? size : 1);
    if(!buf)
      err = lk_file_fail(why, LK_ERR_NOMEM, path, "out of memory");
  }
  if(!err)
    err = lk_file_read_all(fd, buf, size, path, why);
  close(fd);
  if(err) {
    lk_free(buf);
    return err;
  }
  *data = buf;
  *len = size;
  return LK_OK;
}

lk_err lk_image_load(const char *path, const struct lk_image_opts *opts,
                     struct lk_arena *arena, struct lk_image *out, char *why)
{
  unsigned char *data;
  size_t len;
  lk_err err = lk_file_read(path, LK_IMAGE_MAX_BYTES, &data, &len, why);
  if(err)
    return err;
  err = lk_image_decode(data, len, opts, arena, out, why);
  lk_free(data);
  return err;
}

lk_err lk_image_write_ppm(const struct lk_image *img, const char *path)
{
  char ebuf[128];
  size_t n;
  FILE *f;
  int bad;
  if(!img || !img->rgb || img->width <= 0 || img->height <= 0 || !path)
    return LK_ERR_INVAL;
  n = (size_t)img->width * (size_t)img->height * 3;
  f = fopen(path, "wb");
  if(!f) {
    lk_log(LK_LOG_WARN, "image", "%s: %s", path,
           strerror_r(errno, ebuf, sizeof ebuf));
    return LK_ERR_IO;
  }
  bad = fprintf(f, "P6\n%d %d\n255\n", img->width, img->height) < 0;
  bad |= fwrite(img->rgb, 1, n, f) != n;
  bad |= fclose(f) != 0;
  if(bad) {
    lk_log(LK_LOG_WARN, "image", "%s: writing failed", path);
    return LK_ERR_IO;
  }
  return LK_OK;
}
