/* Exec hook backend: runs a configured program (argv list, never a shell)
 * with the incident JSON on stdin and a small fixed environment, captures
 * stdout/stderr (capped), kills it at its timeout (SIGTERM to its process
 * group, then SIGKILL) and records the exit status. */
#include "responder/contain-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/timeutil.h"

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Reads what is available into a capped buffer; 1 at EOF, 0 otherwise. */
static int drain(int fd, char *buf, size_t *len, uint64_t *total)
{
    char tmp[4096];
    for (;;) {
        ssize_t k = read(fd, tmp, sizeof(tmp));
        if (k > 0) {
            *total += (uint64_t)k;
            size_t room = CONTAIN_OUTPUT_CAP - *len;
            size_t take = (size_t)k < room ? (size_t)k : room;
            memcpy(buf + *len, tmp, take);
            *len += take;
            buf[*len] = '\0';
            continue;
        }
        if (k == 0)
            return 1;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
    }
}

/* Appends a printable, single-line rendering of captured output to detail,
 * at most max characters of it, then the total when it was cut. */
static void append_output(char *detail, size_t cap, const char *label, const char *s, size_t n,
                          uint64_t total, size_t max)
{
    size_t len = strlen(detail);
    if (n == 0 || len + 48 >= cap)
        return;
    len += (size_t)snprintf(detail + len, cap - len, "; %s: ", label);
    size_t room = cap - len - 24; /* keeps space for " [N bytes]" */
    if (max > room)
        max = room;
    size_t i;
    for (i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        detail[len++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c < 0x20 ? '.' : (char)c);
    }
    detail[len] = '\0';
    if (total > i)
        snprintf(detail + len, cap - len, " [%llu bytes]", (unsigned long long)total);
}

int contain_exec_run(const struct contain_hook *h, char *const *envp, const char *stdin_data,
                     size_t stdin_len, struct contain_result *r, struct contain_exec_output *out)
{
    struct contain_exec_output scratch;
    struct contain_exec_output *o = out ? out : &scratch;
    int in_sv[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, pidfd = -1;
    int ret = -1, fa_init = 0, attr_init = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pid_t pid = -1;

    memset(r, 0, sizeof(*r));
    memset(o, 0, sizeof(*o));
    snprintf(r->backend, sizeof(r->backend), "exec:%.26s", h->name);
    int64_t t0 = bw_mono_us();

    /* stdin is a socket so a hook that exits without reading cannot raise
     * SIGPIPE in the responder (send with MSG_NOSIGNAL). */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_sv) != 0 ||
        pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0) {
        snprintf(r->detail, sizeof(r->detail), "hook %s: pipes: %s", h->name, strerror(errno));
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto out;
    fa_init = 1;
    posix_spawn_file_actions_adddup2(&fa, in_sv[1], 0);
    posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
    if (posix_spawnattr_init(&attr) != 0)
        goto out;
    attr_init = 1;
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGHUP);
    sigaddset(&def, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    int se = posix_spawn(&pid, h->argv[0], &fa, &attr, h->argv, envp);
    if (se != 0) {
        pid = -1;
        snprintf(r->detail, sizeof(r->detail), "hook %s: cannot run %s: %s", h->name, h->argv[0],
                 strerror(se));
        r->exit_status = 127;
        goto out;
    }
    close_fd(&in_sv[1]);
    close_fd(&out_p[1]);
    close_fd(&err_p[1]);
    set_nonblock(in_sv[0]);
    set_nonblock(out_p[0]);
    set_nonblock(err_p[0]);
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    size_t sent = 0;
    if (stdin_len == 0) {
        shutdown(in_sv[0], SHUT_WR);
        close_fd(&in_sv[0]);
    }
    int64_t deadline = t0 + (int64_t)h->timeout_us;
    int status = 0, reaped = 0;
    for (;;) {
        if (!reaped) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                reaped = 1;
        }
        if (reaped && out_p[0] < 0 && err_p[0] < 0)
            break;
        int64_t now = bw_mono_us();
        if (!reaped && now >= deadline) {
            if (!o->timed_out) {
                o->timed_out = 1;
                kill(-pid, SIGTERM);
                deadline = now + (int64_t)h->kill_grace_us;
            } else if (!o->killed) {
                o->killed = 1;
                kill(-pid, SIGKILL);
                deadline = now + 5 * BW_USEC;
            } else {
                /* Unkillable (D state): wait for it rather than leave a zombie. */
                if (waitpid(pid, &status, 0) == pid)
                    reaped = 1;
                continue;
            }
        }
        if (reaped) {
            /* The hook is gone: take what its pipes hold now and stop; a
             * background child it left must not hold the responder. */
            if (out_p[0] >= 0)
                drain(out_p[0], o->out, &o->out_len, &o->out_total);
            if (err_p[0] >= 0)
                drain(err_p[0], o->err, &o->err_len, &o->err_total);
            break;
        }
        struct pollfd pfd[4];
        int np = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1;
        if (in_sv[0] >= 0) {
            pfd[np] = (struct pollfd){.fd = in_sv[0], .events = POLLOUT};
            i_in = np++;
        }
        if (out_p[0] >= 0) {
            pfd[np] = (struct pollfd){.fd = out_p[0], .events = POLLIN};
            i_out = np++;
        }
        if (err_p[0] >= 0) {
            pfd[np] = (struct pollfd){.fd = err_p[0], .events = POLLIN};
            i_err = np++;
        }
        if (pidfd >= 0) {
            pfd[np] = (struct pollfd){.fd = pidfd, .events = POLLIN};
            i_pid = np++;
        }
        int64_t wait_ms = (deadline - now + 999) / 1000;
        if (pidfd < 0 && wait_ms > 10)
            wait_ms = 10; /* no pidfd: poll for the exit */
        if (wait_ms < 0)
            wait_ms = 0;
        int pr = poll(pfd, (nfds_t)np, (int)wait_ms);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        if (i_in >= 0 && (pfd[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t k = send(in_sv[0], stdin_data + sent, stdin_len - sent, MSG_NOSIGNAL);
            if (k > 0)
                sent += (size_t)k;
            if ((k < 0 && errno != EAGAIN && errno != EINTR) || sent >= stdin_len) {
                shutdown(in_sv[0], SHUT_WR);
                close_fd(&in_sv[0]);
            }
        }
        if (i_out >= 0 && (pfd[i_out].revents & (POLLIN | POLLHUP | POLLERR)) &&
            drain(out_p[0], o->out, &o->out_len, &o->out_total))
            close_fd(&out_p[0]);
        if (i_err >= 0 && (pfd[i_err].revents & (POLLIN | POLLHUP | POLLERR)) &&
            drain(err_p[0], o->err, &o->err_len, &o->err_total))
            close_fd(&err_p[0]);
        (void)i_pid;
    }
    r->duration_us = bw_mono_us() - t0;
    if (WIFEXITED(status))
        r->exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r->exit_status = 128 + WTERMSIG(status);
    r->ok = !o->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    long long ms = (long long)(r->duration_us / 1000);
    if (o->timed_out)
        snprintf(r->detail, sizeof(r->detail), "timed out after %llums, killed with %s; status %d",
                 (unsigned long long)(h->timeout_us / 1000), o->killed ? "SIGKILL" : "SIGTERM",
                 r->exit_status);
    else if (WIFSIGNALED(status))
        snprintf(r->detail, sizeof(r->detail), "killed by signal %d after %lldms", WTERMSIG(status),
                 ms);
    else
        snprintf(r->detail, sizeof(r->detail), "exit %d after %lldms", r->exit_status, ms);
    append_output(r->detail, sizeof(r->detail), "stdout", o->out, o->out_len, o->out_total, 240);
    append_output(r->detail, sizeof(r->detail), "stderr", o->err, o->err_len, o->err_total, 400);
    ret = 0;
out:
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_init)
        posix_spawnattr_destroy(&attr);
    close_fd(&in_sv[0]);
    close_fd(&in_sv[1]);
    close_fd(&out_p[0]);
    close_fd(&out_p[1]);
    close_fd(&err_p[0]);
    close_fd(&err_p[1]);
    close_fd(&pidfd);
    if (ret != 0 && r->detail[0] == '\0')
        snprintf(r->detail, sizeof(r->detail), "hook %s: spawn setup failed", h->name);
    return ret;
}
