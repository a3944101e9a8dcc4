/* test.h - the few macros our C tests share.
 *
 *   static void test_decode(void) { CHECK(err == LK_OK); CHECK_NEAR(a, b, 1e-5); }
 *   int main(void) { RUN(test_decode); return test_report(); }
 *
 * A failed CHECK prints file:line and the expression and counts a failure;
 * the test keeps going so one run shows every broken case. */
#ifndef LK_TEST_H
#define LK_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int test_failures;
static int test_checks;
static int test_cases_failed;
static int test_cases;

#define CHECK(cond) do { \
    test_checks++; \
    if(!(cond)) { \
      test_failures++; \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    } \
  } while(0)

#define CHECK_MSG(cond, ...) do { \
    test_checks++; \
    if(!(cond)) { \
      test_failures++; \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__); \
      fputc('\n', stderr); \
    } \
  } while(0)

#define CHECK_NEAR(a, b, tol) CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), \
    "%g vs %g (tolerance %g)", (double)(a), (double)(b), (double)(tol))

#define RUN(fn) do { \
    int before_ = test_failures; \
    test_cases++; \
    fn(); \
    if(test_failures != before_) { \
      test_cases_failed++; \
      fprintf(stderr, "FAIL %s\n", #fn); \
    } else { \
      printf("ok   %s\n", #fn); \
    } \
  } while(0)

static inline int test_report(void)
{
  printf("%d passed, %d failed\n", test_cases - test_cases_failed,
         test_cases_failed);
  return test_cases_failed ? 1 : 0;
}

/* Paths given by CMake so tests run from any directory. */
#ifndef LK_TESTDATA
#define LK_TESTDATA "../shared/testdata"
#endif

#endif
