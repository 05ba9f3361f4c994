/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/notify/proc.c: the child processes. Every run of the command-line
 * tool and the daemon gets the same scratch environment, built once before
 * any fork; the tool's standard output is read through a pipe, its standard
 * error collected in a log shown only when something fails. The setup, a
 * database with the example policy, a generated population, an ORR token
 * and an EOIR subscription, is a sequence of such runs: the benchmark goes
 * through the same doors as an operator would.
 */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

/* ------------------------------------------------------------ processes */

int64_t bn_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The environment of every child: this one's, less what would point the
 * tool at another database, key, log, configuration or clock, plus the
 * scratch database and no per-token rate limit. Built before any fork. */
int bn_make_env(bench *b)
{
    static const char *const drop[] = {
        "SAFEKEEP_DB=",     "SAFEKEEP_KEY=", "SAFEKEEP_KEY_FILE=",  "SAFEKEEP_AUDIT_LOG=",
        "SAFEKEEP_CONFIG=", "SAFEKEEP_NOW=", "SAFEKEEP_RATE_PER_S="};
    extern char **environ;
    size_t n = 0, k = 0, i, j;

    while (environ[n] != NULL)
        n++;
    b->envp = calloc(n + 3, sizeof(char *));
    if (b->envp == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        int skip = 0;

        for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
            skip |= strncmp(environ[i], drop[j], strlen(drop[j])) == 0;
        if (!skip)
            b->envp[k++] = environ[i];
    }
    b->env_db = malloc(strlen(b->db) + 16);
    if (b->env_db == NULL)
        return -1;
    snprintf(b->env_db, strlen(b->db) + 16, "SAFEKEEP_DB=%s", b->db);
    b->envp[k] = b->env_db;
    b->envp[k + 1] = (char *)(uintptr_t) "SAFEKEEP_RATE_PER_S=0";
    return 0;
}

/* Forks and executes argv with the prepared environment; stdout and stderr
 * go to the given descriptors. Only async-signal-safe calls after fork. */
pid_t bn_spawn(bench *b, char *const argv[], int out_fd, int err_fd)
{
    pid_t pid = fork();
    int null_fd;

    if (pid != 0)
        return pid;
    null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
        dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execve(argv[0], argv, b->envp);
    _exit(127);
}

void bn_show_log(const char *path)
{
    char buf[4096];
    FILE *f = fopen(path, "r");
    long size;
    size_t n;

    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "%s", buf);
}

static int read_all(int fd, char **out)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap), *grown;
    ssize_t n;

    while (buf != NULL) {
        if (cap - len < 2) {
            grown = cap >= CLI_OUT_MAX ? NULL : realloc(buf, cap * 2);
            if (grown == NULL)
                break;
            buf = grown;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            buf[len] = '\0';
            *out = buf;
            return n == 0 ? 0 : -1;
        }
        len += (size_t)n;
    }
    free(buf);
    return -1;
}

/* Runs `safekeep argv...`; its stdout into *out (when out is not NULL),
 * its stderr appended to the setup log, shown when it fails. */
static int cli_argv(bench *b, char **argv, char **out)
{
    int pipe_fd[2] = {-1, -1}, err_fd = -1, status = 0, rc = -1;
    char *text = NULL;
    pid_t pid = -1;

    argv[0] = b->o.safekeep;
    err_fd = open(b->setup_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (err_fd < 0 || pipe2(pipe_fd, O_CLOEXEC) != 0)
        goto out;
    pid = bn_spawn(b, argv, pipe_fd[1], err_fd);
    close(pipe_fd[1]);
    pipe_fd[1] = -1;
    if (pid < 0)
        goto out;
    if (read_all(pipe_fd[0], &text) != 0)
        goto out;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        goto out;
    rc = 0;
out:
    if (pid > 0)
        waitpid(pid, &status, 0);
    if (rc != 0) {
        fprintf(stderr, ME ": safekeep %s failed (%s %d); its messages:\n", argv[1],
                WIFSIGNALED(status) ? "signal" : "exit",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        bn_show_log(b->setup_log);
    }
    if (rc == 0 && out != NULL) {
        *out = text;
        text = NULL;
    }
    free(text);
    if (pipe_fd[0] >= 0)
        close(pipe_fd[0]);
    if (err_fd >= 0)
        close(err_fd);
    return rc;
}

/* bn_cli(b, &out, "import", path, NULL): a NULL-terminated list. */
int bn_cli(bench *b, char **out, ...)
{
    char *argv[24];
    size_t n = 1;
    va_list ap;

    va_start(ap, out);
    while (n < 23 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    return cli_argv(b, argv, out);
}

/* ------------------------------------------------------------ setup */

static int add_policies(bench *b)
{
    char pattern[PATH_MAX + 16];
    char **argv = NULL;
    glob_t g;
    size_t i;
    int rc = -1;

    memset(&g, 0, sizeof(g));
    snprintf(pattern, sizeof(pattern), "%s/*.policy", b->o.examples);
    if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        fprintf(stderr, ME ": no policy files in %s (use --examples DIR)\n", b->o.examples);
        goto out;
    }
    argv = calloc(g.gl_pathc + 4, sizeof(char *));
    if (argv == NULL)
        goto out;
    argv[1] = (char *)(uintptr_t) "agreement";
    argv[2] = (char *)(uintptr_t) "add";
    for (i = 0; i < g.gl_pathc; i++)
        argv[3 + i] = g.gl_pathv[i];
    rc = cli_argv(b, argv, NULL);
out:
    free(argv);
    globfree(&g);
    return rc;
}

/* The released children, from `safekeep children --status released --json`:
 * the court-notification agreement lets EOIR read theirs only. */
static int load_children(bench *b)
{
    char *text = NULL;
    json_t *root = NULL, *row;
    json_error_t jerr;
    size_t i;
    int rc = -1;

    if (bn_cli(b, &text, "children", "--status", "released", "--limit", "1000000", "--json", NULL))
        goto out;
    root = json_loads(text, 0, &jerr);
    if (!json_is_array(root) || json_array_size(root) == 0) {
        fprintf(stderr, ME ": no released child in the generated population\n");
        goto out;
    }
    b->children = calloc(json_array_size(root), sizeof(*b->children));
    if (b->children == NULL)
        goto out;
    json_array_foreach(root, i, row)
    {
        const char *id = json_string_value(json_object_get(row, "child_id"));

        if (id != NULL && strlen(id) < CHILD_ID_MAX)
            snprintf(b->children[b->child_count++], CHILD_ID_MAX, "%s", id);
    }
    rc = b->child_count > 0 ? 0 : -1;
out:
    json_decref(root);
    free(text);
    return rc;
}

int bn_setup_db(bench *b)
{
    char gen[PATH_MAX + 16], events[PATH_MAX + 32], count[32];
    char *text = NULL;
    int rc = -1;

    snprintf(gen, sizeof(gen), "%s/gen", b->dir);
    snprintf(events, sizeof(events), "%s/events.jsonl", gen);
    snprintf(count, sizeof(count), "%u", b->o.children);
    if (bn_cli(b, NULL, "init", NULL) || add_policies(b) ||
        bn_cli(b, NULL, "generate", "--children", count, "--years", "2", "--seed", "7", "--out",
               gen, NULL) ||
        bn_cli(b, NULL, "import", "--quiet", events, NULL) || load_children(b))
        goto out;
    if (bn_cli(b, &text, "token", "create", "--agency", "ORR", "--user", "bench", "--role",
               "case_manager", NULL))
        goto out;
    text[strcspn(text, " \r\n")] = '\0';
    if (text[0] == '\0' || strlen(text) >= sizeof(b->token)) {
        fprintf(stderr, ME ": safekeep token create printed no token\n");
        goto out;
    }
    snprintf(b->token, sizeof(b->token), "%s", text);
    rc = 0;
out:
    free(text);
    return rc;
}

/* Creates the subscription for the receiver; keeps its id and HMAC key. */
int bn_subscribe(bench *b)
{
    char url[64], secret[128];
    char *text = NULL;
    int rc = -1;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", b->recv_port);
    if (bn_cli(b, &text, "subscription", "create", "--agency", "EOIR", "--purpose",
               "court_proceedings", "--types", "wellness_call", "--url", url, NULL))
        goto out;
    if (sscanf(text, "%63s %127s", b->sub_id, secret) != 2 || strncmp(secret, "whsec_", 6) != 0 ||
        sodium_base642bin(b->key, sizeof(b->key), secret + 6, strlen(secret + 6), NULL, &b->key_len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        fprintf(stderr, ME ": cannot read the subscription's id and secret\n");
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(secret, sizeof(secret));
    free(text);
    return rc;
}
