/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_serve.c: safekeep serve, the HTTP API. The configuration is built in
 * one order everywhere: defaults, then the file (--config), then SAFEKEEP_*
 * environment variables, then these flags; --print-config shows the result
 * and --routes the route table, both without starting anything.
 */
#include <getopt.h>

#include "../api/api.h"
#include "cli.h"

#include "sk_int.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: safekeep serve [--db PATH] [--listen ADDR:PORT] [--config FILE]\n"
            "                      [--threads N] [--port-file FILE] [--print-config] [--routes]\n\n"
            "Runs the HTTP API (docs/api.md) on the database until SIGTERM or SIGINT,\n"
            "which stop accepting, finish the requests in flight and flush the audit log.\n"
            "SIGHUP reloads the adopted policy (after 'safekeep agreement add').\n"
            "Every read is decided by the policy, masked, and recorded durably in the\n"
            "audit log before it is answered. Configuration: defaults, then --config,\n"
            "then SAFEKEEP_* environment variables, then flags (docs/operations.md).\n"
            "--listen 127.0.0.1:0 picks a free port; --port-file writes it to FILE.\n"
            "--print-config prints the effective configuration; --routes the routes.\n");
}

static int set(sk_config *cfg, const char *key, const char *value)
{
    sk_diag diag;

    sk_diag_clear(&diag);
    if (sk_config_set(cfg, sk_str_c(key), sk_str_c(value), &diag) != SK_OK) {
        sk_cli_error("serve", SK_ERR_INVALID, &diag);
        return SK_EXIT_USAGE;
    }
    return -1;
}

typedef struct serve_opts {
    const char *config;
    const char *flags[4][2]; /* key, value: applied after the environment */
    size_t flag_count;
    int print_config, routes;
} serve_opts;

static int parse(int argc, char **argv, serve_opts *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"port-file", required_argument, NULL, 'p'},
                                         {"print-config", no_argument, NULL, 'P'},
                                         {"routes", no_argument, NULL, 'R'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const char *const keys[128] = {
        ['d'] = "db", ['l'] = "listen", ['t'] = "threads", ['p'] = "port_file"};
    int c;

    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "d:l:c:t:p:PRh", opts, NULL);
        if (c == -1)
            break;
        if (c > 0 && c < 128 && keys[c] != NULL && o->flag_count < 4) {
            o->flags[o->flag_count][0] = keys[c];
            o->flags[o->flag_count++][1] = optarg;
        } else if (c == 'c') {
            o->config = optarg;
        } else if (c == 'P') {
            o->print_config = 1;
        } else if (c == 'R') {
            o->routes = 1;
        } else if (c == 'h') {
            help(stdout);
            return SK_EXIT_OK;
        } else {
            help(stderr);
            return SK_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return sk_cli_usage_error("serve", "unexpected argument");
    return -1;
}

int sk_cli_serve(int argc, char **argv)
{
    serve_opts o;
    sk_config cfg;
    sk_diag diag;
    sk_err rc = SK_OK;
    size_t i;
    int code;

    memset(&o, 0, sizeof(o));
    code = parse(argc, argv, &o);
    if (code >= 0)
        return code;
    if (o.routes)
        return sk_api_serve(NULL, 1);
    sk_diag_clear(&diag);
    sk_config_defaults(&cfg);
    if (o.config != NULL)
        rc = sk_config_load_file(&cfg, o.config, &diag);
    if (rc == SK_OK)
        rc = sk_config_apply_env(&cfg, &diag);
    if (rc != SK_OK) {
        sk_cli_error("serve", rc, &diag);
        return SK_EXIT_USAGE;
    }
    for (i = 0; i < o.flag_count; i++) {
        code = set(&cfg, o.flags[i][0], o.flags[i][1]);
        if (code >= 0)
            return code;
    }
    rc = sk_config_finish(&cfg, &diag);
    if (rc != SK_OK) {
        sk_cli_error("serve", rc, &diag);
        return SK_EXIT_USAGE;
    }
    if (o.print_config) {
        sk_config_write(&cfg, stdout);
        return SK_EXIT_OK;
    }
    return sk_api_serve(&cfg, 0);
}
