/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: the safekeep command: dispatch to subcommands. Exit codes are a
 * contract with scripts: 0 success, 1 failure or bad input, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#include "sk_int.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"init", sk_cli_init, "create a database and its key file"},
    {"import", sk_cli_import, "import .jsonl events or .csv case spreadsheets, all or nothing"},
    {"children", sk_cli_children, "list children, filtered by status, country, facility"},
    {"alerts", sk_cli_alerts, "deadline alerts from the ledger: open, resolved, by agency"},
    {"alert", sk_cli_alert, "acknowledge or resolve an alert, on record (alert ack|resolve ID)"},
    {"child", sk_cli_child, "show one child's case and timeline (child show ID | --a-number A)"},
    {"stats", sk_cli_stats, "counts of children by custody status"},
    {"report", sk_cli_report, "aggregate reports: tracking (counts only, no personal data)"},
    {"rebuild", sk_cli_rebuild, "recompute every projection from the ledger"},
    {"agreement", sk_cli_agreement, "add, list, show and rescind agreements and constraints"},
    {"policy", sk_cli_policy, "check what a request would be told (policy check)"},
    {"audit", sk_cli_audit, "verify the audit log, who accessed a person, oversight reports"},
    {"serve", sk_cli_serve, "run the HTTP API (safekeepd) until SIGTERM"},
    {"token", sk_cli_token, "create, list and revoke bearer tokens for the HTTP API"},
    {"subscription", sk_cli_subscription, "webhook subscriptions: create, list, pause, delete"},
    {"outbox", sk_cli_outbox, "list notifications waiting for or done with delivery"},
    {"generate", sk_cli_generate, "write a synthetic population (events, spreadsheet, truth)"},
};

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "usage: safekeep COMMAND [OPTIONS]\n\n"
                 "Case tracking for unaccompanied children: every child accounted for.\n\n"
                 "Commands:\n");
    for (i = 0; i < SK_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nEvery command takes --help. The database is --db PATH, or $SAFEKEEP_DB,\n"
                 "or ./safekeep.db; its key is $SAFEKEEP_KEY (hex), or the file\n"
                 "$SAFEKEEP_KEY_FILE, or PATH.key. See safekeep(1).\n"
                 "Exit status: 0 success, 1 failure or bad input, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return SK_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SK_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("safekeep 0.1.0\n");
        return SK_EXIT_OK;
    }
    for (i = 0; i < SK_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "safekeep: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return SK_EXIT_USAGE;
}
