/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify/daemon.c: `safekeep serve` as a child process. It is started
 * on a free port (read back from its port file), stopped with SIGTERM, and
 * measured from outside: its peak memory and CPU time from /proc, its
 * audit group-commit counters from GET /metrics, its outbox through the
 * command-line tool once it has stopped.
 */
#include "notify.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

int bn_start_daemon(bench *b)
{
    char *argv[] = {b->o.safekeep,
                    (char *)(uintptr_t) "serve",
                    (char *)(uintptr_t) "--listen",
                    (char *)(uintptr_t) "127.0.0.1:0",
                    (char *)(uintptr_t) "--port-file",
                    b->port_file,
                    NULL};
    int64_t deadline = bn_now_us() + (int64_t)START_TIMEOUT_S * 1000000;
    int fd = open(b->server_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f;

    if (fd < 0)
        return -1;
    b->daemon_pid = bn_spawn(b, argv, fd, fd);
    close(fd);
    if (b->daemon_pid < 0)
        return -1;
    while (bn_now_us() < deadline && !bn_interrupted) {
        if (waitpid(b->daemon_pid, &b->daemon_status, WNOHANG) == b->daemon_pid) {
            b->daemon_pid = -1;
            break;
        }
        f = fopen(b->port_file, "r");
        if (f != NULL) {
            int got = fscanf(f, "%u", &b->daemon_port);

            fclose(f);
            if (got == 1 && b->daemon_port > 0)
                return 0;
        }
        usleep(20000);
    }
    fprintf(stderr, ME ": safekeep serve did not start; its log:\n");
    bn_show_log(b->server_log);
    return -1;
}

/* An exit status as a shell shows it: the code, or 128 + the signal. */
static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* SIGTERM, then the exit status (SIGKILL after STOP_TIMEOUT_S). A daemon
 * that already exited gives the status it exited with. */
int bn_stop_daemon(bench *b)
{
    int64_t deadline = bn_now_us() + (int64_t)STOP_TIMEOUT_S * 1000000;
    pid_t got = 0;

    if (b->daemon_pid <= 0)
        return b->daemon_reaped ? exit_code(b->daemon_status) : -1;
    kill(b->daemon_pid, SIGTERM);
    while (got == 0 && bn_now_us() < deadline) {
        got = waitpid(b->daemon_pid, &b->daemon_status, WNOHANG);
        if (got == 0)
            usleep(10000);
    }
    if (got == 0) {
        fprintf(stderr, ME ": the daemon did not stop within %d s; killed\n", STOP_TIMEOUT_S);
        kill(b->daemon_pid, SIGKILL);
        waitpid(b->daemon_pid, &b->daemon_status, 0);
        b->daemon_pid = -1;
        return -1;
    }
    b->daemon_pid = -1;
    return exit_code(b->daemon_status);
}

long bn_proc_status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t n = strlen(field);
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kb = strtol(line + n + 1, NULL, 10);
    }
    if (f != NULL)
        fclose(f);
    return kb;
}

/* User plus system time, from the fields after the command name. */
double bn_proc_cpu_s(pid_t pid)
{
    char path[64], line[1024], *p;
    unsigned long utime = 0, stime = 0;
    FILE *f;
    int got = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    p = fgets(line, sizeof(line), f) != NULL ? strrchr(line, ')') : NULL;
    if (p != NULL)
        got = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
    fclose(f);
    return got == 2 ? (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK) : -1;
}

/* This process: the load threads and the receiver. */
double bn_self_cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static size_t sink_big(char *ptr, size_t size, size_t n, void *ctx)
{
    char **buf = ctx;
    size_t have = *buf ? strlen(*buf) : 0, len = size * n;
    char *grown = len > 4 * 1024 * 1024 ? NULL : realloc(*buf, have + len + 1);

    if (grown == NULL)
        return 0;
    memcpy(grown + have, ptr, len);
    grown[have + len] = '\0';
    *buf = grown;
    return len;
}

/* The audit log's group-commit counters from GET /metrics. */
void bn_read_metrics(bench *b, daemon_figures *f)
{
    char url[64], *text = NULL, *p;
    CURL *h = curl_easy_init();

    if (h == NULL)
        return;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", b->daemon_port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_big);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &text);
    if (curl_easy_perform(h) == CURLE_OK && text != NULL) {
        p = strstr(text, "\nsafekeep_audit_fsync_batch_size_sum ");
        if (p != NULL)
            f->audit_records = strtoull(strchr(p + 1, ' ') + 1, NULL, 10);
        p = strstr(text, "\nsafekeep_audit_fsync_batch_size_count ");
        if (p != NULL)
            f->audit_syncs = strtoull(strchr(p + 1, ' ') + 1, NULL, 10);
    }
    free(text);
    curl_easy_cleanup(h);
}

/* Rows by state, attempts and the deliverer's POST time, from the CLI. */
void bn_read_outbox(bench *b, daemon_figures *f)
{
    char *text = NULL;
    json_t *root = NULL, *row;
    json_error_t jerr;
    double latency_sum = 0;
    size_t i;

    if (bn_cli(b, &text, "outbox", "--json", NULL) != 0)
        return;
    root = json_loads(text, 0, &jerr);
    json_array_foreach(root, i, row)
    {
        const char *state = json_string_value(json_object_get(row, "state"));
        long latency = (long)json_integer_value(json_object_get(row, "latency_ms"));

        if (state == NULL)
            continue;
        f->out_delivered += strcmp(state, "delivered") == 0;
        f->out_pending += strcmp(state, "pending") == 0;
        f->out_failed += strcmp(state, "failed") == 0;
        f->out_attempts += (size_t)json_integer_value(json_object_get(row, "attempts"));
        latency_sum += (double)latency;
        if (latency > f->out_latency_max_ms)
            f->out_latency_max_ms = latency;
    }
    if (json_array_size(root) > 0)
        f->out_latency_mean_ms = latency_sum / (double)json_array_size(root);
    json_decref(root);
    free(text);
}
