/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_config.h: the settings of the daemon (`safekeep serve`): where it
 * listens, which database, key and audit log it uses, and the limits that
 * bound its memory and its clients. One plain struct, filled in layers:
 * defaults, then a configuration file, then the environment, then
 * command-line flags, then derived defaults and range checks. Built once at
 * startup and read-only afterwards, so any thread may read it.
 */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "safekeep/sk_core.h"

#define SK_CONFIG_PATH_MAX  4096                       /* bytes of a path field, NUL included */
#define SK_CONFIG_HOST_MAX  64                         /* bytes of listen_host, NUL included */
#define SK_CONFIG_LINE_MAX  (SK_CONFIG_PATH_MAX + 256) /* bytes of one file line */
#define SK_CONFIG_LINES_MAX 10000                      /* lines of one configuration file */

/*
 * The effective configuration. Fields are plain values: the caller owns the
 * struct, nothing in it points elsewhere, and copying it copies everything.
 * Path fields are NUL-terminated; an empty key_file or audit_log means "derive
 * it from db" (see sk_config_finish), an empty port_file means "do not write
 * the bound port anywhere".
 */
typedef struct sk_config {
    char listen_host[SK_CONFIG_HOST_MAX]; /* default "127.0.0.1"; an IP address literal */
    uint16_t listen_port;                 /* default 8420; 0 = any free port */
    char db[SK_CONFIG_PATH_MAX];          /* default "safekeep.db" (or $SAFEKEEP_DB) */
    char key_file[SK_CONFIG_PATH_MAX];    /* default "<db>.key" */
    char audit_log[SK_CONFIG_PATH_MAX];   /* default "<db>.audit" */
    char port_file[SK_CONFIG_PATH_MAX];   /* default "": where to write the bound port */
    unsigned threads;                     /* default 2 (worker threads of the HTTP thread pool) */
    size_t body_bytes_max;                /* default 1 MiB */
    size_t header_bytes_max;              /* default 16 KiB (per-connection memory for headers) */
    unsigned timeout_s;                   /* default 30: idle connection timeout (slow clients) */
    unsigned connections_max;             /* default 1024 */
    unsigned rate_per_s;         /* default 1000: requests per second per token; 0 = no limit */
    unsigned rate_burst;         /* default 2000 */
    unsigned batch_events_max;   /* default 1000 */
    unsigned page_limit_max;     /* default 500 */
    unsigned audit_gather_us;    /* default 0: group-commit wait under load */
    unsigned webhook_timeout_ms; /* default 5000: one delivery attempt */
    unsigned webhook_base_s;     /* default 2: first retry delay (equal jitter) */
    unsigned webhook_cap_s;      /* default 3600: longest retry delay */
    unsigned webhook_horizon_s;  /* default 259200 (3 days) after the first attempt */
    unsigned alert_sweep_s;      /* default 60: deadline alerts evaluated for subscribers */
    size_t arena_bytes_max;      /* default 8 MiB: per-request memory */
} sk_config;

/*
 * Sets every field to its built-in default. Does not read the environment
 * (sk_config_apply_env does) and leaves key_file and audit_log empty until
 * sk_config_finish derives them. cfg must not be NULL. Thread-safe.
 */
void sk_config_defaults(sk_config *cfg);

/*
 * Reads a configuration file: `key = value` lines, blank lines, and comment
 * lines whose first non-blank character is '#' (a '#' later in a line is part
 * of the value). Spaces and tabs around keys and values are ignored, as are a
 * CR before the newline and a UTF-8 byte order mark. Keys are the field names
 * of sk_config, plus `listen = ADDR:PORT`, which sets listen_host and
 * listen_port. A key given twice is an error.
 *
 * All-or-nothing: on error cfg is unchanged and diag (may be NULL) holds the
 * file as `where`, the line, the key as `field` and what was expected.
 * Values are never quoted in diag. Returns SK_OK, SK_ERR_INVALID (syntax,
 * unknown key, bad value, line too long, NUL byte) or SK_ERR_IO (cannot open
 * or read). path is borrowed. Not thread-safe with respect to cfg.
 */
SK_NODISCARD sk_err sk_config_load_file(sk_config *cfg, const char *path, sk_diag *diag);

/*
 * Sets one key from its text form; the file, the environment and command-line
 * flags all come through here. Spaces and tabs around value are ignored.
 * Numbers are decimal digits only, with no sign; sizes also accept the
 * suffixes K or KiB (x 1024) and M or MiB (x 1048576). Ranges are checked
 * here (threads 1..64, body_bytes_max 1 KiB..64 MiB, and so on, as in
 * sk_config_finish). `listen` accepts "HOST:PORT", "[IPV6]:PORT" and ":PORT"
 * (the last changes only the port). Paths may not contain control characters
 * and must fit SK_CONFIG_PATH_MAX; db may not be empty.
 *
 * On error cfg is unchanged and diag (may be NULL) holds the key as `field`
 * and what was expected; `where` and `line` are left for the caller to fill.
 * Returns SK_OK or SK_ERR_INVALID. key and value are borrowed and need not be
 * NUL-terminated.
 */
SK_NODISCARD sk_err sk_config_set(sk_config *cfg, sk_str key, sk_str value, sk_diag *diag);

/*
 * Applies environment overrides: for every key, SAFEKEEP_<KEY in upper case>
 * (SAFEKEEP_LISTEN, SAFEKEEP_DB, SAFEKEEP_KEY_FILE, SAFEKEEP_AUDIT_LOG,
 * SAFEKEEP_THREADS, ...). Unset or empty variables are ignored, as the CLI
 * does for SAFEKEEP_DB. SAFEKEEP_LISTEN is applied before SAFEKEEP_LISTEN_HOST
 * and SAFEKEEP_LISTEN_PORT, so the specific ones win.
 *
 * All-or-nothing: on error cfg is unchanged and diag (may be NULL) holds the
 * variable name as `field`. Returns SK_OK or SK_ERR_INVALID. Reads the
 * environment: not thread-safe against setenv.
 */
SK_NODISCARD sk_err sk_config_apply_env(sk_config *cfg, sk_diag *diag);

/*
 * The last step before use: fills derived defaults (an empty key_file becomes
 * "<db>.key", an empty audit_log "<db>.audit") and checks every range again,
 * since a caller may have written fields directly. On error cfg is unchanged
 * and diag (may be NULL) names the key. Returns SK_OK or SK_ERR_INVALID.
 */
SK_NODISCARD sk_err sk_config_finish(sk_config *cfg, sk_diag *diag);

/*
 * Writes cfg as a configuration file that sk_config_load_file reads back into
 * the same values (for `safekeep serve --print-config`): one commented
 * `key = value` line per setting, sizes in the largest exact unit. cfg and
 * out are borrowed; write errors show in ferror(out).
 */
void sk_config_write(const sk_config *cfg, FILE *out);

#endif /* SK_CONFIG_H */
