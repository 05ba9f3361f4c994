/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify: notification latency, from an event committed through the
 * HTTP API to its webhook received, at a sustained rate of events per second.
 *
 *   build/release/bench/notify [--rate R] [--seconds D] [--batch N]
 *                              [--connections C] [--children N] [--drain S]
 *                              [--safekeep PATH] [--examples DIR] [--keep]
 *                              [--timeline]
 *
 * Everything happens in a fresh temporary directory, through the real
 * command-line tool and the real daemon: a database with the example policy
 * and a generated population of N children (default 2000) imported; an ORR
 * case manager's token (ORR records wellness calls); an EOIR subscription to
 * wellness_call for court_proceedings, which the court-notification
 * agreement permits for released children, pointing at this program's own
 * receiver. The receiver is libmicrohttpd on 127.0.0.1 (a free port, a pool
 * of two threads); it checks the Standard Webhooks signature of every
 * delivery with libsodium, notes when each event's webhook arrived and
 * answers 204. `safekeep serve --listen 127.0.0.1:0` runs as a child
 * process with the per-token rate limit off (SAFEKEEP_RATE_PER_S=0): the
 * benchmark measures the daemon's work, not its 429s. Other SAFEKEEP_*
 * variables of the environment (SAFEKEEP_THREADS, ...) reach the daemon.
 *
 * The load is open loop: request i is due at t0 + i * N / R, and C threads,
 * each with one keep-alive libcurl connection, take the next due request
 * and send it on time, or late when all of them are busy (the lateness is
 * reported). Each request carries N wellness calls (POST /v1/events for
 * N = 1, POST /v1/events/batch otherwise) for released children in turn.
 * The default population keeps each child's history realistic (about
 * 1,600 released children, so 20,000 events add a dozen each to a median
 * of 13): the daemon folds a child's ledger for every event it records, and
 * a few hundred children would measure the growth of their histories.
 * Latency is measured on one monotonic clock, since sender and receiver
 * are the same process, as
 *   - ack -> received: the webhook's arrival less the arrival of the 2xx
 *     that acknowledged the commit (negative when the webhook came first);
 *   - sent -> received: the arrival less the moment the request was sent,
 *     an upper bound that includes the commit itself;
 *   - due -> received: the arrival less the moment the schedule wanted the
 *     request sent, which also counts the wait for a free connection when
 *     the daemon does not keep up with the rate.
 * After the load the program waits for the remaining webhooks until all
 * have come or none has come for --drain seconds (default 15), then reads
 * the daemon's peak resident memory (VmHWM) and CPU time, its audit
 * group-commit counters from /metrics, stops it with SIGTERM (it must exit
 * 0) and reads the outbox through the CLI. The exit status is 0 only when
 * every committed event was delivered, every signature verified, no
 * request failed and the daemon stopped cleanly.
 */
#include "notify.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <sodium.h>

/* Set by SIGINT and SIGTERM; see notify.h. */
volatile sig_atomic_t bn_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    bn_interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench/notify [--rate R] [--seconds D] [--batch N] [--connections C]\n"
            "                    [--children N] [--drain S] [--safekeep PATH]\n"
            "                    [--examples DIR] [--keep] [--timeline]\n"
            "\n"
            "Latency from an event committed through POST /v1/events to its webhook\n"
            "received, at a sustained rate, against a fresh database and daemon.\n"
            "\n"
            "  -r, --rate R         events per second to send (default 1000)\n"
            "  -s, --seconds D      seconds of load (default 20)\n"
            "  -b, --batch N        events per request, 1 to %d; N > 1 uses\n"
            "                       POST /v1/events/batch (default 1)\n"
            "  -c, --connections C  sending threads, one keep-alive connection each,\n"
            "                       1 to %d (default 8)\n"
            "  -n, --children N     generated population (default 2000)\n"
            "  -d, --drain S        after the load, wait for webhooks until none has\n"
            "                       come for S seconds (default 15)\n"
            "  -S, --safekeep PATH  the safekeep binary (default: ../safekeep next to\n"
            "                       this program)\n"
            "  -e, --examples DIR   the policy files (default: ./examples, else the\n"
            "                       repository's examples/ found from this program)\n"
            "  -k, --keep           keep the temporary directory\n"
            "  -t, --timeline       also print events sent and delivered per second\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit status 0 when every committed event was delivered with a valid\n"
            "signature and the daemon stopped cleanly; 1 otherwise; 2 usage error.\n",
            BATCH_MAX, CONNECTIONS_MAX);
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The directory of this program, for the default paths. */
static void exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    char *slash;

    if (n <= 0) {
        snprintf(buf, len, ".");
        return;
    }
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
}

static void default_paths(opts *o)
{
    char dir[PATH_MAX];
    struct stat st;

    exe_dir(dir, sizeof(dir));
    if (o->safekeep[0] == '\0')
        snprintf(o->safekeep, sizeof(o->safekeep), "%.*s/../safekeep", PATH_MAX - 16, dir);
    if (o->examples[0] != '\0')
        return;
    if (stat("examples/agencies.policy", &st) == 0)
        snprintf(o->examples, sizeof(o->examples), "examples");
    else
        snprintf(o->examples, sizeof(o->examples), "%.*s/../../../examples", PATH_MAX - 32, dir);
}

static int parse_opts(int argc, char **argv, opts *o)
{
    static const struct option longs[] = {
        {"rate", required_argument, NULL, 'r'},     {"seconds", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},    {"connections", required_argument, NULL, 'c'},
        {"children", required_argument, NULL, 'n'}, {"drain", required_argument, NULL, 'd'},
        {"safekeep", required_argument, NULL, 'S'}, {"examples", required_argument, NULL, 'e'},
        {"keep", no_argument, NULL, 'k'},           {"timeline", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c, bad = 0;

    memset(o, 0, sizeof(*o));
    o->rate = 1000;
    o->seconds = 20;
    o->batch = 1;
    o->connections = 8;
    o->children = 2000;
    o->drain_s = 15;
    while ((c = getopt_long(argc, argv, "r:s:b:c:n:d:S:e:kth", longs, NULL)) != -1) {
        switch (c) {
        case 'r':
            bad |= parse_uint(optarg, 1, 1000000, &o->rate);
            break;
        case 's':
            bad |= parse_uint(optarg, 1, 3600, &o->seconds);
            break;
        case 'b':
            bad |= parse_uint(optarg, 1, BATCH_MAX, &o->batch);
            break;
        case 'c':
            bad |= parse_uint(optarg, 1, CONNECTIONS_MAX, &o->connections);
            break;
        case 'n':
            bad |= parse_uint(optarg, 1, 1000000, &o->children);
            break;
        case 'd':
            bad |= parse_uint(optarg, 1, 3600, &o->drain_s);
            break;
        case 'S':
            snprintf(o->safekeep, sizeof(o->safekeep), "%s", optarg);
            break;
        case 'e':
            snprintf(o->examples, sizeof(o->examples), "%s", optarg);
            break;
        case 'k':
            o->keep = 1;
            break;
        case 't':
            o->timeline = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            bad = 1;
        }
    }
    if (!bad && (uint64_t)o->rate * o->seconds > EVENTS_MAX) {
        fprintf(stderr, ME ": rate x seconds is over %u events\n", EVENTS_MAX);
        bad = 1;
    }
    if (bad || optind != argc) {
        usage(stderr);
        return -1;
    }
    default_paths(o);
    return 0;
}

/* ------------------------------------------------------------ main */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int init_bench(bench *b)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(b->dir, sizeof(b->dir), "%s/sk-bench-notify.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(b->dir) == NULL) {
        fprintf(stderr, ME ": cannot create a directory in %s: %s\n", tmp ? tmp : "/tmp",
                strerror(errno));
        b->dir[0] = '\0';
        return -1;
    }
    snprintf(b->db, sizeof(b->db), "%s/bench.db", b->dir);
    snprintf(b->port_file, sizeof(b->port_file), "%s/port", b->dir);
    snprintf(b->server_log, sizeof(b->server_log), "%s/server.log", b->dir);
    snprintf(b->setup_log, sizeof(b->setup_log), "%s/setup.log", b->dir);
    b->daemon_pid = -1;
    b->event_count = (size_t)b->o.rate * b->o.seconds;
    b->event_count -= b->event_count % b->o.batch;
    b->request_count = b->event_count / b->o.batch;
    b->interval_us = 1e6 * (double)b->o.batch / (double)b->o.rate;
    if (b->request_count == 0) {
        fprintf(stderr, ME ": rate x seconds is less than one batch\n");
        return -1;
    }
    b->slots = calloc(b->event_count, sizeof(slot));
    b->lag_us = calloc(b->request_count, sizeof(int64_t));
    b->commit_us = calloc(b->request_count, sizeof(int64_t));
    if (b->slots == NULL || b->lag_us == NULL || b->commit_us == NULL) {
        fprintf(stderr, ME ": out of memory for %zu events\n", b->event_count);
        return -1;
    }
    return bn_make_env(b);
}

static void fini_bench(bench *b)
{
    int status;

    if (b->daemon_pid > 0) {
        kill(b->daemon_pid, SIGKILL);
        waitpid(b->daemon_pid, &status, 0);
    }
    if (b->mhd != NULL)
        MHD_stop_daemon(b->mhd);
    if (b->no_content != NULL)
        MHD_destroy_response(b->no_content);
    if (b->dir[0] != '\0' && !b->o.keep)
        nftw(b->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else if (b->dir[0] != '\0')
        fprintf(stderr, ME ": kept %s\n", b->dir);
    free(b->env_db);
    free(b->envp);
    free(b->children);
    free(b->slots);
    free(b->lag_us);
    free(b->commit_us);
    sodium_memzero(b->key, sizeof(b->key));
}

static int run(bench *b)
{
    daemon_figures f;
    size_t backlog;
    int code;

    memset(&f, 0, sizeof(f));
    if (access(b->o.safekeep, X_OK) != 0) {
        fprintf(stderr, ME ": no safekeep binary at %s (use --safekeep PATH)\n", b->o.safekeep);
        return -1;
    }
    if (init_bench(b) || bn_setup_db(b) || bn_start_receiver(b) || bn_subscribe(b) ||
        bn_start_daemon(b))
        return -1;
    printf("notify: %u events/s for %u s, %u per request, %u connections, %s\n", b->o.rate,
           b->o.seconds, b->o.batch, b->o.connections, b->dir);
    fflush(stdout);
    f.cpu_s = -bn_proc_cpu_s(b->daemon_pid); /* start-up is not the load's */
    f.bench_cpu_s = -bn_self_cpu_s();
    if (bn_run_load(b) != 0)
        return -1;
    backlog = atomic_load(&b->committed) - atomic_load(&b->received);
    bn_drain(b);
    if (b->daemon_pid > 0) {
        f.hwm_kb = bn_proc_status_kb(b->daemon_pid, "VmHWM");
        f.cpu_s += bn_proc_cpu_s(b->daemon_pid);
        f.bench_cpu_s += bn_self_cpu_s();
        bn_read_metrics(b, &f);
    }
    code = bn_stop_daemon(b);
    MHD_stop_daemon(b->mhd); /* no thread writes a slot from here on */
    b->mhd = NULL;
    bn_read_outbox(b, &f);
    if (code != 0) {
        fprintf(stderr, ME ": the daemon's log:\n");
        bn_show_log(b->server_log);
    }
    return bn_report(b, &f, code, backlog);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    bench *b = NULL;
    int rc = 1;

    b = calloc(1, sizeof(*b));
    if (b == NULL || parse_opts(argc, argv, &b->o) != 0) {
        rc = b == NULL ? 1 : 2;
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, ME ": cannot initialise libsodium or libcurl\n");
        goto out;
    }
    rc = run(b) == 0 ? 0 : 1;
    fini_bench(b);
    curl_global_cleanup();
out:
    free(b);
    return rc;
}
