/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.h: what several unit tests share: finding the source tree, where
 * the known-answer vectors live, from wherever the test binary runs.
 */
#ifndef SK_TEST_UTIL_H
#define SK_TEST_UTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The source tree: $SK_SOURCE_DIR, else four levels above this executable
 * (ROOT/build/<variant>/tests/<test>) when tests/vectors is there, else the
 * working directory. */
static inline void sk_test_source_root(char *buf, size_t cap)
{
    const char *env = getenv("SK_SOURCE_DIR");
    char exe[PATH_MAX];
    ssize_t n;
    int up;

    if (env != NULL && env[0] != '\0') {
        snprintf(buf, cap, "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (up = 0; up < 4; up++) {
            char *slash = strrchr(exe, '/');
            if (slash == NULL)
                break;
            *slash = '\0';
        }
        if (up == 4) {
            char probe[PATH_MAX + 32];
            snprintf(probe, sizeof(probe), "%s/tests/vectors", exe);
            if (access(probe, R_OK) == 0) {
                snprintf(buf, cap, "%s", exe);
                return;
            }
        }
    }
    snprintf(buf, cap, ".");
}

#endif /* SK_TEST_UTIL_H */
