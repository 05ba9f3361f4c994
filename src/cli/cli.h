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

int sk_cli_init(int argc, char **argv);
int sk_cli_generate(int argc, char **argv);
int sk_cli_import(int argc, char **argv);
int sk_cli_children(int argc, char **argv);
int sk_cli_child(int argc, char **argv);
int sk_cli_rebuild(int argc, char **argv);
int sk_cli_stats(int argc, char **argv);

/* 1 when argv has -h or --help before any "--". */
int sk_cli_wants_help(int argc, char **argv);

#endif /* SK_CLI_H */
