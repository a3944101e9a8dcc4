/* err.c - sentences for lk_err values. */
#include "err.h"

static const char *const lk_err_text[LK_ERR_LAST] = {
  [LK_OK] = "no error",
  [LK_ERR_NOMEM] = "out of memory",
  [LK_ERR_INVAL] = "invalid argument",
  [LK_ERR_IMAGE] = "not a decodable image",
  [LK_ERR_TOO_LARGE] = "input exceeds a size limit",
  [LK_ERR_NOT_FOUND] = "not found",
  [LK_ERR_DENIED] = "refused by policy",
  [LK_ERR_BUSY] = "busy, try again later",
  [LK_ERR_IO] = "input/output error",
  [LK_ERR_MODEL] = "model files missing or corrupt",
  [LK_ERR_NN] = "inference engine failure",
  [LK_ERR_UNSUPPORTED] = "unsupported input",
  [LK_ERR_NO_FACE] = "no face found",
  [LK_ERR_EXISTS] = "already exists",
};

const char *lk_strerror(lk_err err)
{
  if((unsigned)err >= LK_ERR_LAST || !lk_err_text[err])
    return "unknown error";
  return lk_err_text[err];
}
