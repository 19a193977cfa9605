/*
 * Randomness from the kernel's CSPRNG.  getrandom(2) blocks only until the
 * pool is first seeded at boot, and never fails for requests of this size
 * once it is; short reads and EINTR are retried anyway.
 */
#include <errno.h>
#include <sys/random.h>

#include "base.h"

int lc_random_bytes(void *p, size_t n)
{
    uint8_t *dst = p;
    while (n > 0) {
        ssize_t got = getrandom(dst, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return LC_EIO;
        }
        dst += got;
        n -= (size_t)got;
    }
    return LC_OK;
}
