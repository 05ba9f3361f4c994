/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: the subcommands of the safekeep program. Each returns its exit code:
 * 0 success, 1 failure or bad input, 2 usage error (SK_EXIT_*).
 */
#ifndef SK_CLI_H
#define SK_CLI_H

#define SK_EXIT_OK    0
#define SK_EXIT_FAIL  1
#define SK_EXIT_USAGE 2
#define SK_EXIT_DENY  3 /* policy check: the request would be denied */

int sk_cli_init(int argc, char **argv);
int sk_cli_generate(int argc, char **argv);
int sk_cli_import(int argc, char **argv);
int sk_cli_children(int argc, char **argv);
int sk_cli_child(int argc, char **argv);
int sk_cli_rebuild(int argc, char **argv);
int sk_cli_stats(int argc, char **argv);
int sk_cli_report(int argc, char **argv);
int sk_cli_agreement(int argc, char **argv);
int sk_cli_policy(int argc, char **argv);
int sk_cli_audit(int argc, char **argv);
int sk_cli_serve(int argc, char **argv);
int sk_cli_token(int argc, char **argv);
int sk_cli_subscription(int argc, char **argv);
int sk_cli_outbox(int argc, char **argv);
int sk_cli_alerts(int argc, char **argv);
int sk_cli_alert(int argc, char **argv);

#include <stdio.h>

#include "safekeep/sk_core.h"
#include "safekeep/sk_crypto.h"
#include "safekeep/sk_store.h"

/* 1 when argv has -h or --help before any "--". */
int sk_cli_wants_help(int argc, char **argv);

/* The database path: the option if given, else $SAFEKEEP_DB, else
 * ./safekeep.db. */
const char *sk_cli_db_path(const char *opt);

/* The key file path: $SAFEKEEP_KEY_FILE, else "<db>.key" written into buf. */
const char *sk_cli_key_path(const char *db, char *buf, size_t buf_len);

/* Opens the store and the keyring, printing any error. Returns an exit code. */
int sk_cli_open(const char *db, sk_store **store, sk_keyring **keyring);

/* Prints "safekeep CMD: <diagnostic or error>" to stderr. */
void sk_cli_error(const char *cmd, sk_err rc, const sk_diag *diag);

/* Checks that keyring opens store (the key-check value written by init). */
sk_err sk_cli_key_verify(sk_store *store, sk_keyring *keyring, sk_diag *diag);

/* Appends a child's projection row as a JSON object. */
struct sk_buf;
sk_err sk_cli_child_json(const sk_child_row *row, struct sk_buf *buf);

/* Parses the options of a command that takes only --db and --help. Returns
 * -1 and sets *db to go on, or the exit code to return (help printed, or a
 * usage error). */
int sk_cli_parse_db_only(int argc, char **argv, const char *cmd, void (*help)(FILE *out),
                         const char **db);

/* Closes what sk_cli_open opened. NULLs accepted. */
void sk_cli_close(sk_store *store, sk_keyring *keyring);

/* Prints the names of the bits set in mask, each preceded by sep. */
void sk_cli_print_mask(FILE *out, const char *sep, const char *const *names, uint64_t mask);

/* Prints the names of the bits set in mask as JSON strings, comma-separated. */
void sk_cli_print_json_names(FILE *out, const char *const *names, uint64_t mask);

/* Prints s as a JSON string literal. */
void sk_cli_print_json_string(FILE *out, const char *s);

/* Opens the store and keyring and loads the adopted policy; prints errors.
 * Returns an exit code; on failure nothing is left open. */
struct sk_policy;
int sk_cli_load_policy(const char *db, sk_store **store, sk_keyring **keyring,
                       struct sk_policy **policy);

/* The audit log of a database: $SAFEKEEP_AUDIT_LOG, else "<db>.audit". */
const char *sk_cli_audit_path(const char *db, char *buf, size_t buf_len);

/* How many audit records the database knows were acknowledged (0 if none):
 * a log shorter than that was truncated. */
uint64_t sk_cli_audit_expected_size(sk_store *store);

/* Records in the database how far the audit log reached, so that a later
 * truncation shows. */
sk_err sk_cli_audit_note_size(sk_store *store, uint64_t records, sk_diag *diag);

/* Appends n records to the database's audit log and waits until they are
 * durable, then records the new size in the database. Prints any error.
 * Returns an exit code: callers disclose nothing unless it is SK_EXIT_OK. */
struct sk_audit_record;
int sk_cli_audit_append(const char *db, sk_store *store, sk_keyring *keyring,
                        const struct sk_audit_record *recs, size_t n);

/* Records that the local operator (who holds the database key) read the
 * given children's records, for purpose; fields: disclosed field mask. */
int sk_cli_audit_operator_read(const char *db, sk_store *store, sk_keyring *keyring,
                               const char *purpose, const sk_str *children, size_t n,
                               uint64_t fields);

/* Prints a usage error and returns SK_EXIT_USAGE. */
int sk_cli_usage_error(const char *cmd, const char *msg);

#endif /* SK_CLI_H */
