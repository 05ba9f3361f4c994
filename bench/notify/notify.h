/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify/notify.h: what the parts of the notification-latency
 * benchmark share. main.c reads the options and runs the steps in order;
 * proc.c runs the command-line tool and prepares the scratch database;
 * receiver.c takes the webhooks; daemon.c starts, measures and stops
 * `safekeep serve`; load.c sends the events on schedule and waits for the
 * last webhooks; report.c prints the figures. One bench structure holds the
 * whole run, so the steps pass nothing else between them.
 */
#ifndef BN_NOTIFY_H
#define BN_NOTIFY_H

#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct MHD_Daemon;
struct MHD_Response;

#define ME                "bench/notify"
#define EVENTS_MAX        10000000u /* slots are 40 bytes: 400 MB at most */
#define CONNECTIONS_MAX   256
#define BATCH_MAX         1000 /* the daemon's default batch_events_max */
#define CHILD_ID_MAX      32
#define EVENT_JSON_MAX    256 /* one wellness call is about 160 bytes */
#define RX_BODY_MAX       65536
#define CLI_OUT_MAX       (64u * 1024 * 1024)
#define SIG_TOLERANCE_S   300
#define START_TIMEOUT_S   20
#define STOP_TIMEOUT_S    60
#define REQUEST_TIMEOUT_S 60
#define EVENT_PREFIX      "bench-"

typedef struct opts {
    unsigned rate, seconds, batch, connections, children, drain_s;
    int keep, timeline;
    char safekeep[PATH_MAX];
    char examples[PATH_MAX];
} opts;

/* One event. due/sent/acked/committed are written by the one load thread
 * that sent it; recv_us and receipts by a receiver thread; both are read
 * only after the threads are gone. */
typedef struct slot {
    int64_t due_us, sent_us, acked_us;
    _Atomic int64_t recv_us;
    _Atomic uint32_t receipts;
    int committed;
} slot;

typedef struct bench {
    opts o;
    char dir[PATH_MAX], db[PATH_MAX + 16], port_file[PATH_MAX + 16];
    char server_log[PATH_MAX + 16], setup_log[PATH_MAX + 16];
    char **envp;
    char *env_db; /* the one string of envp this program allocated */
    char token[256], sub_id[64];
    unsigned char key[64];
    size_t key_len;
    char (*children)[CHILD_ID_MAX];
    size_t child_count;
    struct MHD_Daemon *mhd;
    struct MHD_Response *no_content;
    unsigned recv_port, daemon_port;
    pid_t daemon_pid;
    int daemon_status, daemon_reaped;
    slot *slots;
    size_t event_count, request_count;
    int64_t *lag_us, *commit_us; /* per request */
    double interval_us;
    int64_t t0_us, load_end_us;
    atomic_size_t next_request;
    atomic_size_t committed, failed_requests, received, duplicates, bad_signatures, strays;
    atomic_int error_shown;
} bench;

/* After the load: what the daemon reported, and its outbox. */
typedef struct daemon_figures {
    long hwm_kb;
    double cpu_s, bench_cpu_s;
    unsigned long long audit_records, audit_syncs;
    size_t out_delivered, out_pending, out_failed, out_attempts;
    double out_latency_mean_ms;
    long out_latency_max_ms;
} daemon_figures;

/* Set by SIGINT or SIGTERM, or when a load thread cannot start: every wait
 * gives up early and the run counts as failed. */
extern volatile sig_atomic_t bn_interrupted;

/* proc.c: the child processes and the setup. */

/* Microseconds on the monotonic clock; sender and receiver are one process,
 * so their times subtract. */
int64_t bn_now_us(void);

/* Builds b->envp (the scratch database, no rate limit), before any fork:
 * the child may make only async-signal-safe calls. */
int bn_make_env(bench *b);

/* Forks and executes argv with b->envp; -1 when fork fails. */
pid_t bn_spawn(bench *b, char *const argv[], int out_fd, int err_fd);

/* The end of a log on stderr: what explains a failed step. */
void bn_show_log(const char *path);

/* Runs `safekeep ...` (a NULL-terminated list); its stdout into *out, which
 * the caller frees, when out is not NULL. 0 on exit status 0. */
int bn_cli(bench *b, char **out, ...);

/* Database, policies, generated population, released children, token. */
int bn_setup_db(bench *b);

/* The subscription for the receiver, which must be running: its URL names
 * the receiver's port. Keeps the id and the signing key. */
int bn_subscribe(bench *b);

/* receiver.c: starts the webhook receiver on a free port of 127.0.0.1. */
int bn_start_receiver(bench *b);

/* daemon.c: the daemon and what is measured of it from outside. */

/* Starts `safekeep serve` and waits for its port file. */
int bn_start_daemon(bench *b);

/* SIGTERM, then the exit status as a shell shows it (a daemon that died
 * during the run gives the status it died with); -1 when it had to be
 * killed. */
int bn_stop_daemon(bench *b);

/* A "kB" field of /proc/PID/status (VmHWM), or -1. */
long bn_proc_status_kb(pid_t pid, const char *field);

/* CPU seconds of a process, or -1; read before and after the load. */
double bn_proc_cpu_s(pid_t pid);

/* CPU seconds of this process: the load threads and the receiver. */
double bn_self_cpu_s(void);

/* Audit group-commit counters from GET /metrics, while the daemon runs. */
void bn_read_metrics(bench *b, daemon_figures *f);

/* The outbox through the command-line tool, once the daemon has stopped. */
void bn_read_outbox(bench *b, daemon_figures *f);

/* load.c: the open-loop load and the wait for the last webhooks. */

/* Sends every request on schedule from o.connections threads; returns once
 * they have all finished. */
int bn_run_load(bench *b);

/* Waits for the remaining webhooks until all came, none came for drain_s,
 * or the daemon died. */
void bn_drain(bench *b);

/* report.c: prints every figure; 0 only when the run was clean. */
int bn_report(bench *b, const daemon_figures *f, int daemon_exit, size_t backlog);

#endif /* BN_NOTIFY_H */
