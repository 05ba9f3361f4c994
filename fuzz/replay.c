/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.c: runs a libFuzzer target over stored inputs in an ordinary build,
 * so that `make check` replays every corpus without libFuzzer (like SQLite's
 * fuzzcheck). Each argument is a file or a directory of files (one level, in
 * name order, so runs are reproducible); each file's bytes go to
 * LLVMFuzzerTestOneInput once. Any target failure aborts through SK_ASSERT
 * or the sanitizers; a file that cannot be read is an error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "safekeep/sk_core.h"

#include "sk_int.h"

/* The fuzz target linked with this file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not corpus entries but mistakes. */
#define REPLAY_BYTES_MAX ((size_t)64 << 20)

/* Reads a whole file into a fresh buffer (caller frees). */
static sk_err read_file(const char *path, uint8_t **out, size_t *out_len)
{
    sk_err rc = SK_OK;
    FILE *fp = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t cap = 4096;

    *out = NULL;
    *out_len = 0;
    fp = fopen(path, "rb");
    if (fp == NULL) {
        rc = SK_ERR_IO;
        goto out;
    }
    buf = malloc(cap);
    if (buf == NULL) {
        rc = SK_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            uint8_t *grown;
            if (cap >= REPLAY_BYTES_MAX) {
                rc = SK_ERR_TOO_LARGE;
                goto out;
            }
            grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                rc = SK_ERR_NOMEM;
                goto out;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (ferror(fp)) {
        rc = SK_ERR_IO;
        goto out;
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
out:
    free(buf);
    if (fp != NULL)
        fclose(fp);
    return rc;
}

static sk_err replay_file(const char *path, unsigned long *count)
{
    uint8_t *data = NULL;
    size_t len = 0;
    sk_err rc = read_file(path, &data, &len);

    if (rc != SK_OK) {
        fprintf(stderr, "replay: %s: %s\n", path, sk_err_str(rc));
        return rc;
    }
    /* An exact-size copy lets ASan catch reads past the end of the input. */
    uint8_t *exact = malloc(len > 0 ? len : 1);
    SK_ASSERT(exact != NULL);
    if (len > 0)
        memcpy(exact, data, len);
    free(data);
    (void)LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return SK_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the regular files directly inside dir, sorted by name. */
static sk_err replay_dir(const char *dir, unsigned long *count)
{
    sk_err rc = SK_OK;
    DIR *d = opendir(dir);
    char **paths = NULL;
    size_t n = 0;
    size_t cap = 0;
    struct dirent *ent;

    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return SK_ERR_IO;
    }
    for (ent = readdir(d); ent != NULL; ent = readdir(d)) {
        struct stat st;
        char *path;
        size_t plen;
        if (ent->d_name[0] == '.')
            continue;
        plen = strlen(dir) + strlen(ent->d_name) + 2;
        path = malloc(plen);
        SK_ASSERT(path != NULL);
        snprintf(path, plen, "%s/%s", dir, ent->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(paths, cap * sizeof(*paths));
            SK_ASSERT(grown != NULL);
            paths = grown;
        }
        paths[n++] = path;
    }
    closedir(d);
    if (n > 0)
        qsort(paths, n, sizeof(*paths), by_name);
    for (size_t i = 0; i < n; i++) {
        if (rc == SK_OK)
            rc = replay_file(paths[i], count);
        free(paths[i]);
    }
    free(paths);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    sk_err rc = SK_OK;

    for (int i = 1; i < argc && rc == SK_OK; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            rc = SK_ERR_IO;
        } else if (S_ISDIR(st.st_mode)) {
            rc = replay_dir(argv[i], &count);
        } else {
            rc = replay_file(argv[i], &count);
        }
    }
    printf("replayed %lu inputs\n", count);
    return rc == SK_OK ? 0 : 1;
}
