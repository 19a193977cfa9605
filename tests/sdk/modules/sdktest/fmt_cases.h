/*
 * fmt_cases.h — format strings and arguments checked two ways: by the SDK's lc_format inside
 * the test module and by the C library's snprintf in tests/sdk/fmt_native.c; the outputs
 * must be equal line for line.  (No exact ties in float rounding: the SDK rounds them away
 * from zero, glibc to even.)
 */
#define FMT_CASES(X)                                                                               \
    X("%d|%i|%u", 42, -7, 3000000000u)                                                             \
    X("%5d|%-5d|%05d|%+d|% d|%.3d", 42, 42, 42, 42, 42, 7)                                         \
    X("%x|%X|%#x|%o|%#o|%#x", 255u, 255u, 255u, 8u, 8u, 0u)                                        \
    X("%lld|%llu|%llx", -9223372036854775807LL - 1, 18446744073709551615ULL, 0xdeadbeefcafeULL)    \
    X("%hhd|%hd|%hhu|%hu", (signed char)-56, (short)-1234, (unsigned char)200,                     \
      (unsigned short)65000)                                                                       \
    X("%zu|%ld|%lu|%jd", (size_t)12345, (long)-5, (unsigned long)7, (intmax_t)-9)                  \
    X("%s|%.3s|%10s|%-10s|", "hello", "hello", "hi", "hi")                                         \
    X("%c%c%c|%3c|%-3c|", 'a', 'b', 'c', 'x', 'y')                                                 \
    X("%.0f|%.1f|%.2f|%f|%.3f", 2.7, 0.05, 3.14159, 1.0 / 3, 1234.5678)                            \
    X("%e|%.2e|%E|%.0e", 12345.678, 0.000123, 1e100, 5e-300)                                       \
    X("%g|%g|%g|%g|%.3g|%g|%#g", 100000.0, 1000000.0, 0.0001, 0.00001, 3.14159, 0.0, 1.5)          \
    X("%8.3f|%-8.2f|%08.2f|%+.1f", 3.14159, -2.25, 3.14159, 9.96)                                  \
    X("%f|%f|%f|%.1f", 0.0, -0.0, 1e15, 999.96)                                                    \
    X("%s %d%%", "pct", 50)                                                                        \
    X("[%*d|%-*d|%.*f]", 6, 7, 4, 8, 2, 1.23456)                                                   \
    X("%f|%F|%f|%e", (double)NAN, (double)INFINITY, -(double)INFINITY, (double)INFINITY)           \
    X("%s", "no arguments but %%s")                                                                \
    X("%.10f|%.15g|%.17g", 0.1, 0.1, 0.5)
