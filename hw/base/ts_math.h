/* Small integer helpers shared by the library's folders. */
#ifndef HW_BASE_TS_MATH_H
#define HW_BASE_TS_MATH_H

#include <stdint.h>

/* Greatest common divisor of a, b >= 0 (gcd(a, 0) = a). */
static inline int64_t ts_gcd64(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

#endif
