/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import.c: JSON-lines files, and the dispatch of files by extension.
 *
 * Lines are read with getline but refused past SK_EVENT_LINE_MAX, and each
 * line's arena is reset (and wiped) before the next. The first bad line ends
 * the import with its file and line number; the caller rolls back.
 */
#include "safekeep/sk_ingest.h"

#include <errno.h>
#include <strings.h>
#include <sys/stat.h>

#include "safekeep/sk_buf.h"

#include "sk_int.h"

#define ARENA_CHUNK    (64 * 1024)
#define ARENA_MAX      (1024 * 1024)
#define PROGRESS_EVERY 4096

static void set_where(sk_diag *diag, const char *path, uint64_t line)
{
    if (diag == NULL)
        return;
    snprintf(diag->where, sizeof(diag->where), "%s", path);
    diag->line = line;
}

static uint64_t file_size(FILE *f)
{
    struct stat st;
    return fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
}

static sk_err one_line(sk_ingest *ing, sk_arena *arena, sk_str line, sk_diag *diag)
{
    sk_event ev;
    sk_err rc;

    while (line.len > 0 && (line.ptr[line.len - 1] == '\n' || line.ptr[line.len - 1] == '\r' ||
                            line.ptr[line.len - 1] == ' ' || line.ptr[line.len - 1] == '\t'))
        line.len--;
    while (line.len > 0 && (line.ptr[0] == ' ' || line.ptr[0] == '\t')) {
        line.ptr++;
        line.len--;
    }
    if (line.len == 0)
        return SK_OK;
    if (line.len > SK_EVENT_LINE_MAX)
        return sk_diag_set(diag, SK_ERR_TOO_LARGE, "", "line longer than %d bytes",
                           SK_EVENT_LINE_MAX);
    if (!sk_utf8_valid(line) || memchr(line.ptr, '\0', line.len) != NULL)
        return sk_diag_set(diag, SK_ERR_INVALID, "", "invalid UTF-8 (or a NUL byte)");
    rc = sk_event_parse_json(line, arena, sk_ingest_now(ing), &ev, diag);
    if (rc == SK_OK)
        rc = sk_ingest_event(ing, &ev, diag);
    return rc;
}

sk_err sk_import_jsonl(sk_ingest *ing, const char *path, const sk_import_opts *opts, sk_diag *diag)
{
    sk_arena *arena = NULL;
    char *buf = NULL;
    size_t cap = 0;
    uint64_t line_no = 0, total;
    ssize_t n;
    FILE *f;
    sk_err rc;

    SK_ASSERT(ing != NULL && path != NULL && opts != NULL);
    f = fopen(path, "re");
    if (f == NULL) {
        set_where(diag, path, 0);
        return sk_diag_set(diag, SK_ERR_IO, "", "cannot open: %s", strerror(errno));
    }
    total = file_size(f);
    rc = sk_arena_new(ARENA_CHUNK, ARENA_MAX, &arena);
    while (rc == SK_OK) {
        n = getline(&buf, &cap, f);
        if (n < 0)
            break;
        line_no++;
        sk_arena_reset(arena);
        rc = one_line(ing, arena, (sk_str){buf, (size_t)n}, diag);
        if (opts->progress != NULL && line_no % PROGRESS_EVERY == 0)
            opts->progress((uint64_t)ftello(f), total, opts->progress_ctx);
    }
    if (rc == SK_OK && ferror(f))
        rc = sk_diag_set(diag, SK_ERR_IO, "", "read error");
    if (rc != SK_OK)
        set_where(diag, path, line_no);
    else if (opts->progress != NULL)
        opts->progress(total, total, opts->progress_ctx);
    if (buf != NULL)
        explicit_bzero(buf, cap);
    free(buf);
    sk_arena_free(arena);
    fclose(f);
    return rc;
}

static int has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

sk_err sk_import_files(sk_ingest *ing, const char *const *paths, size_t count,
                       const sk_import_opts *opts, sk_diag *diag)
{
    size_t i;
    sk_err rc = SK_OK;

    for (i = 0; rc == SK_OK && i < count; i++) {
        if (has_suffix(paths[i], ".jsonl") || has_suffix(paths[i], ".ndjson")) {
            rc = sk_import_jsonl(ing, paths[i], opts, diag);
        } else if (has_suffix(paths[i], ".csv")) {
            rc = sk_import_csv(ing, paths[i], opts, diag);
        } else {
            set_where(diag, paths[i], 0);
            rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected a .jsonl or .csv file");
        }
    }
    return rc;
}
