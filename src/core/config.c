/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c: the daemon's configuration, in layers: defaults, a file, the
 * environment, flags, then derived defaults and range checks.
 *
 * One table describes every key: its name (which is also the field name and,
 * upper-cased after "SAFEKEEP_", the environment variable), the kind of
 * value, where the value lives in sk_config, its range and a one-line meaning
 * that the writer turns into a comment. Parsing, range checks, the
 * environment and the writer all walk that table, so a new setting is one
 * line here plus its field. Every layer works on a copy and commits it only
 * when the whole layer is valid, so a half-applied file never takes effect.
 *
 * Diagnostics name the file, line and key and say what was expected; they
 * never quote the rejected value, which keeps stray secrets or personal data
 * pasted into the wrong line out of logs.
 */
#include "safekeep/sk_config.h"

#include <arpa/inet.h>
#include <errno.h>

#include "sk_int.h"

#define KIB ((uint64_t)1024)
#define MIB (KIB * 1024)

enum kind {
    KIND_LISTEN, /* "HOST:PORT": sets listen_host and listen_port */
    KIND_HOST,   /* an IP address literal */
    KIND_PORT,   /* uint16_t */
    KIND_PATH,   /* char[SK_CONFIG_PATH_MAX]; min 1 means it may not be empty */
    KIND_COUNT,  /* unsigned */
    KIND_SIZE    /* size_t, with K/KiB/M/MiB suffixes */
};

struct key_def {
    const char *name;
    enum kind kind;
    size_t offset;
    uint64_t min;
    uint64_t max;
    const char *meaning;
};

#define AT(field) offsetof(sk_config, field)

/* The order is the order of the environment and of the written file:
 * listen before listen_host and listen_port, so that the specific ones win. */
static const struct key_def keys[] = {
    {"listen", KIND_LISTEN, 0, 0, 0,
     "address and port to listen on: HOST:PORT, [IPV6]:PORT or :PORT (port 0: any free port)"},
    {"listen_host", KIND_HOST, AT(listen_host), 0, 0, "IP address to listen on"},
    {"listen_port", KIND_PORT, AT(listen_port), 0, 65535, "TCP port to listen on (0: any free)"},
    {"db", KIND_PATH, AT(db), 1, 0, "the database file"},
    {"key_file", KIND_PATH, AT(key_file), 0, 0,
     "the master key file (empty: the database path + .key); SAFEKEEP_KEY overrides it"},
    {"audit_log", KIND_PATH, AT(audit_log), 0, 0,
     "the audit log (empty: the database path + .audit)"},
    {"port_file", KIND_PATH, AT(port_file), 0, 0,
     "file that receives the bound port once listening (empty: none)"},
    {"threads", KIND_COUNT, AT(threads), 1, 64, "worker threads serving requests (1 to 64)"},
    {"body_bytes_max", KIND_SIZE, AT(body_bytes_max), KIB, 64 * MIB,
     "largest request body (1 KiB to 64 MiB)"},
    {"header_bytes_max", KIND_SIZE, AT(header_bytes_max), KIB, MIB,
     "memory for the request headers of one connection (1 KiB to 1 MiB)"},
    {"timeout_s", KIND_COUNT, AT(timeout_s), 1, 3600,
     "seconds before an idle or slow connection is closed (1 to 3600)"},
    {"connections_max", KIND_COUNT, AT(connections_max), 1, 65536,
     "simultaneous connections (1 to 65536)"},
    {"rate_per_s", KIND_COUNT, AT(rate_per_s), 0, 1000000,
     "requests per second per token (0: no limit; at most 1000000)"},
    {"rate_burst", KIND_COUNT, AT(rate_burst), 1, 1000000,
     "requests a token may make at once before the rate applies (1 to 1000000)"},
    {"batch_events_max", KIND_COUNT, AT(batch_events_max), 1, 100000,
     "events in one POST /v1/events/batch (1 to 100000)"},
    {"page_limit_max", KIND_COUNT, AT(page_limit_max), 1, 10000,
     "largest page of a list of children (1 to 10000)"},
    {"arena_bytes_max", KIND_SIZE, AT(arena_bytes_max), 64 * KIB, 256 * MIB,
     "memory for one request (64 KiB to 256 MiB)"},
    {"audit_gather_us", KIND_COUNT, AT(audit_gather_us), 0, 100000,
     "microseconds an audit group commit may wait for more records under load (0 to 100000)"},
    {"webhook_timeout_ms", KIND_COUNT, AT(webhook_timeout_ms), 100, 60000,
     "milliseconds one webhook delivery attempt may take (100 to 60000)"},
    {"webhook_base_s", KIND_COUNT, AT(webhook_base_s), 1, 86400,
     "seconds before the first retry of a failed webhook delivery (1 to 86400)"},
    {"webhook_cap_s", KIND_COUNT, AT(webhook_cap_s), 1, 604800,
     "longest wait between two webhook delivery attempts, in seconds (1 to 604800)"},
    {"alert_sweep_s", KIND_COUNT, AT(alert_sweep_s), 0, 86400,
     "seconds between two evaluations of every deadline rule for alert subscriptions (0: "
     "never; 0 to 86400)"},
    {"webhook_horizon_s", KIND_COUNT, AT(webhook_horizon_s), 0, 2592000,
     "seconds after its first attempt a webhook delivery is given up (0 to 2592000)"},
};

#define KEY_COUNT SK_ARRAY_LEN(keys)

static_assert(sizeof(size_t) >= 4, "sizes up to 256 MiB must fit size_t");

void sk_config_defaults(sk_config *cfg)
{
    SK_ASSERT(cfg != NULL);
    /* Zero first: unused bytes of the path buffers stay zero, so two
     * configurations with equal settings are equal byte for byte. */
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "%s", "127.0.0.1");
    cfg->listen_port = 8420;
    snprintf(cfg->db, sizeof(cfg->db), "%s", "safekeep.db");
    cfg->threads = 2;
    cfg->body_bytes_max = (size_t)MIB;
    cfg->header_bytes_max = (size_t)(16 * KIB);
    cfg->timeout_s = 30;
    cfg->connections_max = 1024;
    cfg->rate_per_s = 1000;
    cfg->rate_burst = 2000;
    cfg->batch_events_max = 1000;
    cfg->page_limit_max = 500;
    cfg->audit_gather_us = 0;
    cfg->webhook_timeout_ms = 5000;
    cfg->webhook_base_s = 2;
    cfg->webhook_cap_s = 3600;
    cfg->webhook_horizon_s = 3 * 86400;
    cfg->alert_sweep_s = 60;
    cfg->arena_bytes_max = (size_t)(8 * MIB);
}

/* ------------------------------------------------------------------ helpers */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static sk_str trim(sk_str s)
{
    while (s.len > 0 && is_blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && is_blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

static const struct key_def *find_key(sk_str name, size_t *index)
{
    size_t i;

    for (i = 0; i < KEY_COUNT; i++) {
        if (sk_str_eqc(name, keys[i].name)) {
            if (index != NULL)
                *index = i;
            return &keys[i];
        }
    }
    return NULL;
}

/* Leading decimal digits of s; 0 when there are none or they overflow. */
static int parse_digits(sk_str s, size_t *used, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(s.ptr[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *used = i;
    *out = v;
    return i > 0;
}

/* The multiplier of a size suffix, 0 for anything else. */
static uint64_t size_suffix(sk_str s)
{
    if (s.len == 0)
        return 1;
    if (sk_str_eqc(s, "K") || sk_str_eqc(s, "KiB"))
        return KIB;
    if (sk_str_eqc(s, "M") || sk_str_eqc(s, "MiB"))
        return MIB;
    return 0;
}

/* "1 MiB", "16 KiB" or "1000": the largest unit that divides n exactly. */
static void format_size(uint64_t n, char *buf, size_t buf_len)
{
    if (n != 0 && n % MIB == 0)
        snprintf(buf, buf_len, "%llu MiB", (unsigned long long)(n / MIB));
    else if (n != 0 && n % KIB == 0)
        snprintf(buf, buf_len, "%llu KiB", (unsigned long long)(n / KIB));
    else
        snprintf(buf, buf_len, "%llu", (unsigned long long)n);
}

static sk_err range_error(const struct key_def *def, sk_diag *diag)
{
    char lo[32], hi[32];

    if (def->kind != KIND_SIZE)
        return sk_diag_set(diag, SK_ERR_INVALID, def->name,
                           "expected a whole number from %llu to %llu",
                           (unsigned long long)def->min, (unsigned long long)def->max);
    format_size(def->min, lo, sizeof(lo));
    format_size(def->max, hi, sizeof(hi));
    return sk_diag_set(diag, SK_ERR_INVALID, def->name,
                       "expected a size from %s to %s (bytes, or a number with K, KiB, M or MiB)",
                       lo, hi);
}

static uint64_t get_number(const sk_config *cfg, const struct key_def *def)
{
    const char *p = (const char *)cfg + def->offset;
    uint16_t port;
    unsigned count;
    size_t size;

    if (def->kind == KIND_PORT) {
        memcpy(&port, p, sizeof(port));
        return port;
    }
    if (def->kind == KIND_COUNT) {
        memcpy(&count, p, sizeof(count));
        return count;
    }
    SK_ASSERT(def->kind == KIND_SIZE);
    memcpy(&size, p, sizeof(size));
    return size;
}

/* Stores a number already checked against the key's range. */
static void put_number(sk_config *cfg, const struct key_def *def, uint64_t n)
{
    char *p = (char *)cfg + def->offset;
    uint16_t port = (uint16_t)n;
    unsigned count = (unsigned)n;
    size_t size = (size_t)n;

    SK_ASSERT(n >= def->min && n <= def->max);
    if (def->kind == KIND_PORT)
        memcpy(p, &port, sizeof(port));
    else if (def->kind == KIND_COUNT)
        memcpy(p, &count, sizeof(count));
    else
        memcpy(p, &size, sizeof(size));
}

/* ------------------------------------------------------------------- values */

static sk_err set_number(sk_config *cfg, const struct key_def *def, sk_str v, sk_diag *diag)
{
    uint64_t n = 0, mult = 1;
    size_t used = 0;
    sk_err rc = SK_OK;
    int ok;

    /* Digits only: "-1", "+1", " 1" and "0x10" are junk, not numbers. */
    ok = parse_digits(v, &used, &n);
    if (ok && def->kind == KIND_SIZE) {
        sk_str rest = trim((sk_str){v.ptr + used, v.len - used});
        mult = size_suffix(rest);
        ok = mult != 0 && n <= UINT64_MAX / mult;
    } else if (ok) {
        ok = used == v.len;
    }
    if (ok)
        n *= mult;
    if (!ok || n < def->min || n > def->max)
        rc = range_error(def, diag);
    else
        put_number(cfg, def, n);
    return rc;
}

/* An IPv4 or IPv6 address literal, IPv6 optionally in brackets. Host names
 * are refused: the daemon binds before anything could resolve them, and a
 * name that resolves differently tomorrow would silently move the listener. */
static int parse_host(sk_str v, char out[SK_CONFIG_HOST_MAX])
{
    char buf[SK_CONFIG_HOST_MAX];
    unsigned char addr[16];
    int bracketed = v.len >= 2 && v.ptr[0] == '[' && v.ptr[v.len - 1] == ']';
    int ok;

    if (bracketed) {
        v.ptr++;
        v.len -= 2;
    }
    if (v.len == 0 || v.len >= sizeof(buf) || memchr(v.ptr, '\0', v.len) != NULL)
        return 0;
    memcpy(buf, v.ptr, v.len);
    buf[v.len] = '\0';
    ok = inet_pton(AF_INET6, buf, addr) == 1;
    if (!ok && !bracketed)
        ok = inet_pton(AF_INET, buf, addr) == 1;
    if (ok) {
        memset(out, 0, SK_CONFIG_HOST_MAX);
        memcpy(out, buf, v.len + 1);
    }
    return ok;
}

/* "HOST:PORT", "[IPV6]:PORT" or ":PORT". An empty host keeps the current
 * one: listening on every interface must be asked for by address
 * ("0.0.0.0", "[::]"), never reached by leaving something out. */
static sk_err set_listen(sk_config *cfg, const struct key_def *def, sk_str v, sk_diag *diag)
{
    char host[SK_CONFIG_HOST_MAX];
    sk_str host_part = SK_STR_NULL, port_part = SK_STR_NULL;
    uint64_t port = 0;
    size_t used = 0, i;
    sk_err rc = SK_OK;
    int ok = 0;

    if (v.len > 0 && v.ptr[0] == '[') {
        const char *close = memchr(v.ptr, ']', v.len);
        size_t after = close != NULL ? (size_t)(close - v.ptr) + 1 : 0;
        ok = close != NULL && after < v.len && v.ptr[after] == ':';
        if (ok) {
            host_part = (sk_str){v.ptr, after};
            port_part = (sk_str){v.ptr + after + 1, v.len - after - 1};
        }
    } else {
        for (i = v.len; i > 0 && v.ptr[i - 1] != ':'; i--)
            ;
        ok = i > 0 && memchr(v.ptr, ':', i - 1) == NULL;
        if (ok) {
            host_part = (sk_str){v.ptr, i - 1};
            port_part = (sk_str){v.ptr + i, v.len - i};
        }
    }
    ok = ok && parse_digits(port_part, &used, &port) && used == port_part.len && port <= 65535;
    memcpy(host, cfg->listen_host, sizeof(host));
    if (ok && host_part.len > 0)
        ok = parse_host(host_part, host);
    if (!ok) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, def->name,
                         "expected HOST:PORT, [IPV6]:PORT or :PORT, with an IP address and a "
                         "port from 0 to 65535");
    } else {
        memcpy(cfg->listen_host, host, sizeof(host));
        cfg->listen_port = (uint16_t)port;
    }
    return rc;
}

/* Why a path is refused, or NULL when it is acceptable. */
static const char *path_problem(const struct key_def *def, sk_str v)
{
    size_t i;

    if (def->min > 0 && v.len == 0)
        return "expected a path";
    if (v.len >= SK_CONFIG_PATH_MAX)
        return "expected a path shorter than 4096 bytes";
    for (i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        /* A control character could not be written back to a file, and a
         * newline in a path is never what was meant. */
        if (c < 0x20 || c == 0x7f)
            return "expected a path without control characters";
    }
    return NULL;
}

static sk_err set_path(sk_config *cfg, const struct key_def *def, sk_str v, sk_diag *diag)
{
    char *field = (char *)cfg + def->offset;
    const char *problem = path_problem(def, v);

    sk_err rc = SK_OK;

    if (problem != NULL) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, def->name, "%s", problem);
    } else {
        memset(field, 0, SK_CONFIG_PATH_MAX);
        if (v.len > 0)
            memcpy(field, v.ptr, v.len);
    }
    return rc;
}

/* Names an unknown key in diag, with anything unprintable replaced, since
 * the key came from outside. */
static sk_err unknown_key(sk_str key, sk_diag *diag)
{
    char name[sizeof(((sk_diag *)NULL)->field)];
    size_t i, n = key.len < sizeof(name) - 1 ? key.len : sizeof(name) - 1;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key.ptr[i];
        name[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    name[n] = '\0';
    return sk_diag_set(diag, SK_ERR_INVALID, name, "unknown key");
}

sk_err sk_config_set(sk_config *cfg, sk_str key, sk_str value, sk_diag *diag)
{
    const struct key_def *def;
    sk_err rc = SK_OK;

    SK_ASSERT(cfg != NULL);
    SK_ASSERT(key.ptr != NULL || key.len == 0);
    SK_ASSERT(value.ptr != NULL || value.len == 0);
    def = find_key(key, NULL);
    if (def == NULL) {
        rc = unknown_key(key, diag);
        goto out;
    }
    value = trim(value);
    switch (def->kind) {
    case KIND_LISTEN:
        rc = set_listen(cfg, def, value, diag);
        break;
    case KIND_HOST:
        if (!parse_host(value, cfg->listen_host))
            rc = sk_diag_set(diag, SK_ERR_INVALID, def->name,
                             "expected an IPv4 or IPv6 address such as 127.0.0.1 or ::1");
        break;
    case KIND_PATH:
        rc = set_path(cfg, def, value, diag);
        break;
    case KIND_PORT:
    case KIND_COUNT:
    case KIND_SIZE:
        rc = set_number(cfg, def, value, diag);
        break;
    }
out:
    return rc;
}

/* -------------------------------------------------------------------- files */

/* Reads one line into buf without its line ending; *len is SIZE_MAX at the
 * end of the file. */
static sk_err read_line(FILE *f, char *buf, size_t buf_len, size_t *len, sk_diag *diag)
{
    size_t n = 0;
    int c;
    sk_err rc = SK_OK;

    for (;;) {
        c = getc(f);
        if (c == EOF || c == '\n')
            break;
        if (c == '\0') {
            rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected text, found a NUL byte");
            goto out;
        }
        if (n + 1 >= buf_len) {
            rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected a line shorter than %zu bytes",
                             buf_len - 1);
            goto out;
        }
        buf[n++] = (char)c;
    }
    if (c == EOF && ferror(f)) {
        rc = sk_diag_set(diag, SK_ERR_IO, "", "cannot read: %s", strerror(errno));
        goto out;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = c == EOF && n == 0 ? SIZE_MAX : n;
out:
    return rc;
}

/* One line of a file into cfg; first_line[i] remembers where key i was set. */
static sk_err load_line(sk_config *cfg, sk_str line, uint64_t lineno, uint64_t *first_line,
                        sk_diag *diag)
{
    const char *eq;
    sk_str key;
    size_t index = 0;
    sk_err rc = SK_OK;

    if (lineno == 1 && line.len >= 3 && memcmp(line.ptr, "\xEF\xBB\xBF", 3) == 0) {
        line.ptr += 3;
        line.len -= 3;
    }
    line = trim(line);
    if (line.len == 0 || line.ptr[0] == '#')
        goto out;
    eq = memchr(line.ptr, '=', line.len);
    if (eq == NULL) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected key = value");
        goto out;
    }
    key = trim((sk_str){line.ptr, (size_t)(eq - line.ptr)});
    if (key.len == 0) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected a key before '='");
        goto out;
    }
    if (find_key(key, &index) != NULL && first_line[index] != 0) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, keys[index].name, "set twice (first on line %llu)",
                         (unsigned long long)first_line[index]);
        goto out;
    }
    rc = sk_config_set(cfg, key, (sk_str){eq + 1, line.len - (size_t)(eq + 1 - line.ptr)}, diag);
    if (rc == SK_OK && find_key(key, &index) != NULL)
        first_line[index] = lineno;
out:
    return rc;
}

sk_err sk_config_load_file(sk_config *cfg, const char *path, sk_diag *diag)
{
    sk_config tmp;
    uint64_t first_line[KEY_COUNT];
    char line[SK_CONFIG_LINE_MAX];
    uint64_t lineno = 0;
    size_t len = 0;
    FILE *f = NULL;
    sk_err rc = SK_OK;

    SK_ASSERT(cfg != NULL);
    SK_ASSERT(path != NULL);
    memset(first_line, 0, sizeof(first_line));
    tmp = *cfg;
    f = fopen(path, "r");
    if (f == NULL) {
        rc = sk_diag_set(diag, SK_ERR_IO, "", "cannot open: %s", strerror(errno));
        goto out;
    }
    for (;;) {
        lineno++;
        rc = read_line(f, line, sizeof(line), &len, diag);
        if (rc != SK_OK || len == SIZE_MAX)
            break;
        if (lineno > SK_CONFIG_LINES_MAX) {
            rc = sk_diag_set(diag, SK_ERR_INVALID, "", "expected at most %d lines",
                             SK_CONFIG_LINES_MAX);
            break;
        }
        rc = load_line(&tmp, (sk_str){line, len}, lineno, first_line, diag);
        if (rc != SK_OK)
            break;
    }
    if (rc == SK_OK)
        *cfg = tmp;
out:
    if (rc != SK_OK && diag != NULL) {
        snprintf(diag->where, sizeof(diag->where), "%s", path);
        diag->line = rc == SK_ERR_IO && f == NULL ? 0 : lineno;
    }
    if (f != NULL)
        fclose(f);
    return rc;
}

/* -------------------------------------------------------------- environment */

/* "SAFEKEEP_" + the key in upper case. */
static void env_name(const struct key_def *def, char *buf, size_t buf_len)
{
    size_t i, n;

    snprintf(buf, buf_len, "SAFEKEEP_%s", def->name);
    n = strlen(buf);
    for (i = 0; i < n; i++) {
        if (buf[i] >= 'a' && buf[i] <= 'z')
            buf[i] = (char)(buf[i] - 'a' + 'A');
    }
}

sk_err sk_config_apply_env(sk_config *cfg, sk_diag *diag)
{
    sk_config tmp;
    char name[64];
    const char *value;
    size_t i;
    sk_err rc = SK_OK;

    SK_ASSERT(cfg != NULL);
    tmp = *cfg;
    for (i = 0; i < KEY_COUNT; i++) {
        env_name(&keys[i], name, sizeof(name));
        value = getenv(name);
        /* Empty means unset, as for SAFEKEEP_DB in the CLI. */
        if (value == NULL || value[0] == '\0')
            continue;
        rc = sk_config_set(&tmp, sk_str_c(keys[i].name), sk_str_c(value), diag);
        if (rc != SK_OK) {
            if (diag != NULL) {
                diag->where[0] = '\0';
                diag->line = 0;
                snprintf(diag->field, sizeof(diag->field), "%s", name);
            }
            goto out;
        }
    }
    *cfg = tmp;
out:
    return rc;
}

/* ------------------------------------------------------------------- finish */

/* Re-checks one key of a struct that a caller may have written directly. */
static sk_err check_key(const sk_config *cfg, const struct key_def *def, sk_diag *diag)
{
    const char *field = (const char *)cfg + def->offset;
    const char *problem = NULL;
    char host[SK_CONFIG_HOST_MAX];
    uint64_t n;
    sk_err rc = SK_OK;

    switch (def->kind) {
    case KIND_LISTEN:
        break; /* checked as listen_host and listen_port */
    case KIND_HOST:
        if (memchr(field, '\0', SK_CONFIG_HOST_MAX) == NULL || !parse_host(sk_str_c(field), host))
            problem = "expected an IPv4 or IPv6 address such as 127.0.0.1 or ::1";
        break;
    case KIND_PATH:
        if (memchr(field, '\0', SK_CONFIG_PATH_MAX) == NULL)
            problem = "expected a path shorter than 4096 bytes";
        else
            problem = path_problem(def, sk_str_c(field));
        break;
    case KIND_PORT:
    case KIND_COUNT:
    case KIND_SIZE:
        n = get_number(cfg, def);
        if (n < def->min || n > def->max)
            rc = range_error(def, diag);
        break;
    }
    if (problem != NULL)
        rc = sk_diag_set(diag, SK_ERR_INVALID, def->name, "%s", problem);
    return rc;
}

/* An empty path becomes "<db><suffix>". */
static sk_err derive_path(char *path, const char *db, const char *suffix, const char *key,
                          sk_diag *diag)
{
    sk_err rc = SK_OK;

    if (path[0] != '\0')
        goto out;
    if (strlen(db) + strlen(suffix) >= SK_CONFIG_PATH_MAX) {
        rc = sk_diag_set(diag, SK_ERR_INVALID, key,
                         "expected a path: the database path is too long to add %s to it", suffix);
        goto out;
    }
    memset(path, 0, SK_CONFIG_PATH_MAX);
    snprintf(path, SK_CONFIG_PATH_MAX, "%s%s", db, suffix);
out:
    return rc;
}

sk_err sk_config_finish(sk_config *cfg, sk_diag *diag)
{
    sk_config tmp;
    size_t i;
    sk_err rc = SK_OK;

    SK_ASSERT(cfg != NULL);
    tmp = *cfg;
    for (i = 0; i < KEY_COUNT && rc == SK_OK; i++)
        rc = check_key(&tmp, &keys[i], diag);
    if (rc == SK_OK)
        rc = derive_path(tmp.key_file, tmp.db, ".key", "key_file", diag);
    if (rc == SK_OK)
        rc = derive_path(tmp.audit_log, tmp.db, ".audit", "audit_log", diag);
    if (rc == SK_OK)
        *cfg = tmp;
    return rc;
}

/* -------------------------------------------------------------------- write */

void sk_config_write(const sk_config *cfg, FILE *out)
{
    const struct key_def *def;
    char size[32];
    size_t i;

    SK_ASSERT(cfg != NULL);
    SK_ASSERT(out != NULL);
    fputs("# safekeep serve configuration: key = value lines; a line that starts with #\n"
          "# is a comment. The environment (SAFEKEEP_<KEY>) and flags override this file.\n",
          out);
    for (i = 0; i < KEY_COUNT; i++) {
        def = &keys[i];
        /* listen carries both: the pair is written once. */
        if (def->kind == KIND_HOST || def->kind == KIND_PORT)
            continue;
        fprintf(out, "\n# %s\n", def->meaning);
        if (def->kind == KIND_LISTEN) {
            fprintf(out,
                    strchr(cfg->listen_host, ':') != NULL ? "listen = [%s]:%u\n"
                                                          : "listen = %s:%u\n",
                    cfg->listen_host, (unsigned)cfg->listen_port);
        } else if (def->kind == KIND_PATH) {
            const char *path = (const char *)cfg + def->offset;
            /* No trailing blank after an empty value. */
            fprintf(out, "%s =%s%s\n", def->name, path[0] != '\0' ? " " : "", path);
        } else if (def->kind == KIND_SIZE) {
            format_size(get_number(cfg, def), size, sizeof(size));
            fprintf(out, "%s = %s\n", def->name, size);
        } else {
            fprintf(out, "%s = %llu\n", def->name, (unsigned long long)get_number(cfg, def));
        }
    }
}
