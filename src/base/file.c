/* file.c - durable whole-file writes (temporary file, fsync, rename, fsync
 * the folder) and whole-file reads into an arena. */
#include "base/file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LK_FILE_PATH_MAX 4096

int lk_file_is_tmp(const char *name)
{
  size_t n = strlen(name), i;
  const size_t infix = sizeof LK_FILE_TMP_INFIX - 1;
  if(n < infix + 7 || memcmp(name + n - 6 - infix, LK_FILE_TMP_INFIX, infix))
    return 0;
  for(i = n - 6; i < n; i++)
    if(!isalnum((unsigned char)name[i]))
      return 0;
  return 1;
}

static int lk_file_write_all(int fd, const unsigned char *b, size_t len)
{
  while(len) {
    ssize_t w = write(fd, b, len);
    if(w < 0 && errno == EINTR)
      continue;
    if(w <= 0) {
      if(!w)
        errno = EIO;
      return -1;
    }
    b += w;
    len -= (size_t)w;
  }
  return 0;
}

/* The rename is durable only once the folder's entry is on disk too.
 * EINVAL: a file system that cannot sync folders (some FUSE and network
 * ones); the rename is as durable as it gets there. */
static int lk_file_sync_dir(const char *dir)
{
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
  if(dfd < 0)
    return -1;
  rc = fsync(dfd);
  if(rc && errno == EINVAL)
    rc = 0;
  close(dfd);
  return rc;
}

/* unlink without losing the errno that explains the failure. */
static void lk_file_drop(const char *path)
{
  int e = errno;
  unlink(path);
  errno = e;
}

lk_err lk_file_write_durable(const char *dir, const char *name,
                             const void *data, size_t len)
{
  char tmp[LK_FILE_PATH_MAX], path[LK_FILE_PATH_MAX];
  int fd;

  if(!dir || !name || !name[0] || name[0] == '.' || strchr(name, '/'))
    return LK_ERR_INVAL;
  if(snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
     snprintf(tmp, sizeof tmp, "%s%sXXXXXX", path, LK_FILE_TMP_INFIX) >=
       (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return LK_ERR_INVAL;
  }
  fd = mkostemp(tmp, O_CLOEXEC);
  if(fd < 0)
    return LK_ERR_IO;
  if(lk_file_write_all(fd, data, len) || fsync(fd)) {
    lk_file_drop(tmp);
    close(fd);
    return LK_ERR_IO;
  }
  if(close(fd) || rename(tmp, path)) {
    lk_file_drop(tmp);
    return LK_ERR_IO;
  }
  if(lk_file_sync_dir(dir)) {   /* not known to be durable: absent */
    lk_file_drop(path);
    return LK_ERR_IO;
  }
  return LK_OK;
}

static lk_err lk_file_read_fd(int fd, size_t max, struct lk_arena *arena,
                              const unsigned char **data, size_t *len)
{
  struct stat sb;
  unsigned char *buf;
  size_t size, got = 0;

  if(fstat(fd, &sb) || !S_ISREG(sb.st_mode))
    return LK_ERR_IO;
  size = (size_t)sb.st_size;
  if(max && size > max)
    return LK_ERR_TOO_LARGE;
  buf = lk_arena_alloc(arena, size + 1);
  if(!buf)
    return LK_ERR_NOMEM;
  while(got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if(r < 0 && errno == EINTR)
      continue;
    if(r <= 0)       /* shrunk under us, or a read error */
      return LK_ERR_IO;
    got += (size_t)r;
  }
  buf[size] = '\0';
  *data = buf;
  *len = size;
  return LK_OK;
}

lk_err lk_file_read_arena(const char *path, size_t max,
                          struct lk_arena *arena, const unsigned char **data,
                          size_t *len)
{
  int fd;
  lk_err err;

  *data = NULL;
  *len = 0;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if(fd < 0)
    return errno == ENOENT ? LK_ERR_NOT_FOUND : LK_ERR_IO;
  err = lk_file_read_fd(fd, max, arena, data, len);
  close(fd);
  return err;
}
