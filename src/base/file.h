/* file.h - whole files written so that a crash leaves them whole or absent,
 * and read back whole into an arena. For the images likeness keeps (faces
 * registered with an image, Double Take's matches and latest images).
 * Threads: reentrant. Two writers of one name at once each write their own
 * temporary file; the last rename wins.
 *
 *   err = lk_file_write_durable("/data/images", "12.jpg", jpeg, len);
 *   err = lk_file_read_arena("/data/images/12.jpg", 0, arena, &data, &n); */
#ifndef LK_FILE_H
#define LK_FILE_H

#include <stddef.h>

#include "base/err.h"
#include "base/mem.h"

/* Temporary files are "<name>.tmp.XXXXXX" in dir (X: a letter or digit);
 * lk_file_is_tmp tells a sweep after a crash which names these are. */
#define LK_FILE_TMP_INFIX ".tmp."
int lk_file_is_tmp(const char *name);

/* Write data to dir/name.tmp.XXXXXX (mode 0600), fsync it, rename it to
 * dir/name and fsync dir: the file is whole or absent after a crash, and
 * present after a power loss once this returned. name must be a plain
 * file name (no '/', not empty, not starting with '.'): LK_ERR_INVAL.
 * LK_ERR_IO on any failure, with errno kept for the caller's message and
 * no temporary file left behind. */
lk_err lk_file_write_durable(const char *dir, const char *name,
                             const void *data, size_t len);

/* The whole file at path, in arena (with a NUL after the last byte, so
 * text can be read as a string). max: refuse larger files with
 * LK_ERR_TOO_LARGE (0: no limit but the arena's). LK_ERR_NOT_FOUND when
 * there is no such file, LK_ERR_IO when it cannot be read. */
lk_err lk_file_read_arena(const char *path, size_t max,
                          struct lk_arena *arena, const unsigned char **data,
                          size_t *len);

#endif
