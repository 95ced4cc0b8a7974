/* Capture through libpcap: offline files read with pcap_next_ex, live
 * interfaces made non-blocking and waited on together with poll(). */
#include "sensor/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/timeutil.h"

#define CAPTURE_MAX_SOURCES 64
#define CAPTURE_POLL_MS     100
#define CAPTURE_BURST       256
#define CAPTURE_FILE_BUF    (1u << 20) /* stdio buffer of a capture file being read */

struct capture_source {
    pcap_t *p;
    char name[256];
    char *iobuf; /* stdio buffer of a file source being read, freed with it */
    int file_fd; /* a file source's descriptor until reading starts, else -1 */
    int dlt;
    int fd;
    int dead;
};

struct capture {
    struct capture_config cfg;
    struct capture_source src[CAPTURE_MAX_SOURCES];
    int n;
    int live;
    struct capture_stats stats;
};

void capture_config_defaults(struct capture_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->snaplen = 65535;
    cfg->buffer_size = 16ull << 20;
    cfg->promisc = 1;
    cfg->workers = 1;
    cfg->ring_size = 16ull << 20;
}

int capture_config_load(struct capture_config *cfg, const struct bw_config *conf,
                        struct bw_err *err)
{
    static const char *const keys[] = {"snaplen", "buffer_size", "promisc",
                                       "filter",  "user",        "evidence", /* sensor/ring.c */
                                       "workers", "ring_size",   NULL};
    capture_config_defaults(cfg);
    const struct bw_ynode *sec = conf ? config_section(conf, "capture") : NULL;
    if (sec == NULL)
        return 0;
    const struct bw_ydoc *doc = &conf->doc;
    if (bw_yexpect(doc, sec, BW_Y_MAP, err) || bw_ymap_check_keys(doc, sec, keys, err))
        return -1;
    const struct bw_ynode *n;
    uint64_t v;
    bool b;
    const char *s;
    if ((n = bw_ymap_get(sec, "snaplen"))) {
        if (bw_yget_u64(doc, n, 64, 262144, &v, err))
            return -1;
        cfg->snaplen = (int)v;
    }
    if ((n = bw_ymap_get(sec, "buffer_size"))) {
        if (bw_yget_size(doc, n, &cfg->buffer_size, err))
            return -1;
        if (cfg->buffer_size > (1ull << 31))
            return bw_ynode_err(doc, n, err, "capture.buffer_size: at most 2g");
    }
    if ((n = bw_ymap_get(sec, "workers"))) {
        if (bw_yget_u64(doc, n, 1, CAPTURE_MAX_WORKERS, &v, err))
            return -1;
        cfg->workers = (int)v;
    }
    if ((n = bw_ymap_get(sec, "ring_size"))) {
        if (bw_yget_size(doc, n, &cfg->ring_size, err))
            return -1;
        if (cfg->ring_size < (1ull << 20) || cfg->ring_size > (1ull << 30))
            return bw_ynode_err(doc, n, err, "capture.ring_size: 1m to 1g");
    }
    if ((n = bw_ymap_get(sec, "promisc"))) {
        if (bw_yget_bool(doc, n, &b, err))
            return -1;
        cfg->promisc = b;
    }
    if ((n = bw_ymap_get(sec, "filter"))) {
        if (bw_yget_str(doc, n, &s, err))
            return -1;
        if (strlen(s) >= sizeof(cfg->filter))
            return bw_ynode_err(doc, n, err, "capture.filter: too long");
        snprintf(cfg->filter, sizeof(cfg->filter), "%s", s);
    }
    if ((n = bw_ymap_get(sec, "user"))) {
        if (bw_yget_str(doc, n, &s, err))
            return -1;
        if (strlen(s) >= sizeof(cfg->user))
            return bw_ynode_err(doc, n, err, "capture.user: too long");
        snprintf(cfg->user, sizeof(cfg->user), "%s", s);
    }
    return 0;
}

struct capture *capture_new(const struct capture_config *cfg)
{
    struct capture *c = calloc(1, sizeof(*c));
    if (c != NULL)
        c->cfg = *cfg;
    return c;
}

/* Closes a source's handle (and its file) and frees its buffer. */
static void source_close(struct capture_source *s)
{
    if (s->p != NULL)
        pcap_close(s->p);
    s->p = NULL;
    free(s->iobuf); /* after pcap_close: its FILE used the buffer until then */
    s->iobuf = NULL;
    if (s->file_fd >= 0)
        close(s->file_fd);
    s->file_fd = -1;
}

void capture_free(struct capture *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->n; i++)
        source_close(&c->src[i]);
    free(c);
}

int capture_count(const struct capture *c)
{
    return c->n;
}

int capture_is_live(const struct capture *c)
{
    return c->live;
}

static int set_filter(struct capture *c, struct capture_source *s, struct bw_err *err)
{
    if (c->cfg.filter[0] == '\0')
        return 0;
    struct bpf_program prog;
    if (pcap_compile(s->p, &prog, c->cfg.filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return bw_err_set(err, "%s: filter '%s': %s", s->name, c->cfg.filter, pcap_geterr(s->p));
    int rc = pcap_setfilter(s->p, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return bw_err_set(err, "%s: filter: %s", s->name, pcap_geterr(s->p));
    return 0;
}

/* Opens a capture file for checking at start-up: the header (link type) and
 * the filter. The file's descriptor is kept in s->file_fd so that reading can
 * start over with a large buffer (reopen_file) even after privileges were
 * dropped; the check itself reads through a duplicate with stdio's default
 * buffer, so ten files given at once cost ten small buffers, not ten large
 * ones. Falls back to pcap_open_offline (stdin, or for its error message). */
static pcap_t *open_file(struct capture_source *s, const char *path, char *ebuf)
{
    s->file_fd = -1;
    if (strcmp(path, "-") == 0)
        return pcap_open_offline(path, ebuf);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pcap_open_offline(path, ebuf);
    int dup_fd = dup(fd);
    FILE *fp = dup_fd >= 0 ? fdopen(dup_fd, "rb") : NULL;
    if (fp == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        close(fd);
        return pcap_open_offline(path, ebuf);
    }
    pcap_t *p = pcap_fopen_offline(fp, ebuf);
    if (p == NULL) {
        fclose(fp);
        close(fd);
        return NULL;
    }
    s->file_fd = fd;
    return p;
}

/* Replaces the checked handle of a file source by one reading from the start
 * with a CAPTURE_FILE_BUF stdio buffer: libpcap reads through fread, and the
 * default buffer (one page) costs a read(2) per 4 KiB. The buffer lives while
 * this file is read. Keeps the checked handle when anything fails. */
static void reopen_file(struct capture *c, struct capture_source *s)
{
    /* The checked handle reads a duplicate of file_fd (one file offset): the
     * offset is put back when the reopen fails, so that handle reads on. */
    off_t saved = s->file_fd >= 0 ? lseek(s->file_fd, 0, SEEK_CUR) : -1;
    if (saved < 0 || lseek(s->file_fd, 0, SEEK_SET) != 0)
        return;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct bw_err err;
    char *buf = malloc(CAPTURE_FILE_BUF);
    FILE *fp = buf ? fdopen(s->file_fd, "rb") : NULL;
    pcap_t *old = s->p, *p = NULL;
    if (fp != NULL) {
        s->file_fd = -1; /* owned by fp now */
        if (setvbuf(fp, buf, _IOFBF, CAPTURE_FILE_BUF) == 0 &&
            (p = pcap_fopen_offline(fp, ebuf)) != NULL && pcap_datalink(p) == s->dlt) {
            s->p = p;
            if (set_filter(c, s, &err) == 0) {
                pcap_close(old);
                s->iobuf = buf;
                return;
            }
            s->p = old;
        }
        if (p != NULL)
            pcap_close(p); /* closes fp */
        else
            fclose(fp);
    }
    free(buf);
    FILE *ofp = pcap_file(old);
    if (ofp != NULL)
        (void)lseek(fileno(ofp), saved, SEEK_SET);
}

int capture_add_file(struct capture *c, const char *path, struct bw_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    if (c->n == CAPTURE_MAX_SOURCES)
        return bw_err_set(err, "%s: too many capture sources (at most %d)", path,
                          CAPTURE_MAX_SOURCES);
    if (c->live)
        return bw_err_set(err, "%s: capture files and interfaces cannot be mixed", path);
    struct capture_source *s = &c->src[c->n];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", path);
    s->p = open_file(s, path, ebuf);
    if (s->p == NULL) {
        c->stats.file_errors++;
        return bw_err_set(err, "%s: %s", path, ebuf);
    }
    s->dlt = pcap_datalink(s->p);
    if (set_filter(c, s, err) != 0) {
        source_close(s);
        return -1;
    }
    s->fd = -1;
    c->n++;
    c->stats.sources++;
    return 0;
}

int capture_add_iface(struct capture *c, const char *iface, struct bw_err *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    if (c->n == CAPTURE_MAX_SOURCES)
        return bw_err_set(err, "%s: too many capture sources (at most %d)", iface,
                          CAPTURE_MAX_SOURCES);
    if (c->n > 0 && !c->live)
        return bw_err_set(err, "%s: capture files and interfaces cannot be mixed", iface);
    struct capture_source *s = &c->src[c->n];
    memset(s, 0, sizeof(*s));
    s->file_fd = -1;
    snprintf(s->name, sizeof(s->name), "%s", iface);
    s->p = pcap_create(iface, ebuf);
    if (s->p == NULL)
        return bw_err_set(err, "%s: %s", iface, ebuf);
    int rc;
    if (pcap_set_snaplen(s->p, c->cfg.snaplen) != 0 ||
        pcap_set_promisc(s->p, c->cfg.promisc) != 0 || pcap_set_immediate_mode(s->p, 1) != 0 ||
        pcap_set_buffer_size(s->p, (int)c->cfg.buffer_size) != 0) {
        bw_err_set(err, "%s: cannot set capture options", iface);
        goto fail;
    }
    rc = pcap_activate(s->p);
    if (rc < 0) {
        bw_err_set(err, "%s: %s", iface,
                   rc == PCAP_ERROR ? pcap_geterr(s->p) : pcap_statustostr(rc));
        goto fail;
    }
    if (rc > 0)
        bw_warn("%s: %s", iface, pcap_statustostr(rc));
    if (set_filter(c, s, err) != 0)
        goto fail;
    if (pcap_setnonblock(s->p, 1, ebuf) != 0) {
        bw_err_set(err, "%s: %s", iface, ebuf);
        goto fail;
    }
    s->fd = pcap_get_selectable_fd(s->p);
    if (s->fd < 0) {
        bw_err_set(err, "%s: no selectable descriptor", iface);
        goto fail;
    }
    s->dlt = pcap_datalink(s->p);
    c->live = 1;
    c->n++;
    c->stats.sources++;
    return 0;
fail:
    pcap_close(s->p);
    s->p = NULL;
    return -1;
}

struct dispatch_ctx {
    struct capture *c;
    int dlt;
    capture_packet_fn fn;
    void *ctx;
};

static void on_pcap(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct dispatch_ctx *d = (struct dispatch_ctx *)user;
    d->c->stats.packets++;
    d->c->stats.bytes += h->len;
    d->fn(d->ctx, d->dlt, data, h->caplen, h->len, (int64_t)h->ts.tv_sec * BW_USEC + h->ts.tv_usec);
}

static int run_files(struct capture *c, capture_packet_fn on_packet, void *ctx,
                     const volatile sig_atomic_t *stop)
{
    for (int i = 0; i < c->n && !*stop; i++) {
        struct capture_source *s = &c->src[i];
        struct dispatch_ctx d = {c, s->dlt, on_packet, ctx};
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = 0;
        reopen_file(c, s);
        while (!*stop && (rc = pcap_next_ex(s->p, &h, &data)) == 1)
            on_pcap((u_char *)&d, h, data);
        if (!*stop && rc == PCAP_ERROR) {
            /* Truncated or corrupt: what was read stands. */
            bw_error("%s: %s", s->name, pcap_geterr(s->p));
            c->stats.file_errors++;
        }
        source_close(s);
    }
    return 0;
}

static int run_live(struct capture *c, capture_packet_fn on_packet, capture_tick_fn on_tick,
                    void *ctx, const volatile sig_atomic_t *stop, struct bw_err *err)
{
    struct pollfd pfd[CAPTURE_MAX_SOURCES];
    int rc = 0;
    while (!*stop) {
        int alive = 0;
        for (int i = 0; i < c->n; i++) {
            pfd[i].fd = c->src[i].dead ? -1 : c->src[i].fd;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            alive += !c->src[i].dead;
        }
        if (alive == 0) {
            rc = bw_err_set(err, "every capture interface failed");
            break;
        }
        int n = poll(pfd, (nfds_t)c->n, CAPTURE_POLL_MS);
        if (n < 0 && errno != EINTR) {
            rc = bw_err_set(err, "poll: %s", strerror(errno));
            break;
        }
        for (int i = 0; n > 0 && i < c->n; i++) {
            struct capture_source *s = &c->src[i];
            if (s->dead || pfd[i].revents == 0)
                continue;
            struct dispatch_ctx d = {c, s->dlt, on_packet, ctx};
            if (pcap_dispatch(s->p, CAPTURE_BURST, on_pcap, (u_char *)&d) < 0) {
                bw_error("%s: %s", s->name, pcap_geterr(s->p));
                s->dead = 1;
            }
        }
        if (on_tick)
            on_tick(ctx, bw_now_us());
    }
    /* Drain what the kernel already holds, so nothing captured before the
     * stop request is lost. */
    for (int i = 0; i < c->n; i++) {
        struct capture_source *s = &c->src[i];
        struct dispatch_ctx d = {c, s->dlt, on_packet, ctx};
        while (!s->dead && pcap_dispatch(s->p, CAPTURE_BURST, on_pcap, (u_char *)&d) > 0)
            ;
    }
    return rc;
}

int capture_run(struct capture *c, capture_packet_fn on_packet, capture_tick_fn on_tick, void *ctx,
                const volatile sig_atomic_t *stop, struct bw_err *err)
{
    if (c->live)
        return run_live(c, on_packet, on_tick, ctx, stop, err);
    return run_files(c, on_packet, ctx, stop);
}

void capture_get_stats(struct capture *c, struct capture_stats *out)
{
    if (c->live) {
        c->stats.kernel_drops = c->stats.kernel_ifdrops = 0;
        for (int i = 0; i < c->n; i++) {
            struct pcap_stat ps;
            if (c->src[i].p != NULL && pcap_stats(c->src[i].p, &ps) == 0) {
                c->stats.kernel_drops += ps.ps_drop;
                c->stats.kernel_ifdrops += ps.ps_ifdrop;
            }
        }
    }
    *out = c->stats;
}

int capture_drop_privileges(const char *user, struct bw_err *err)
{
    if (user == NULL || user[0] == '\0')
        return 0;
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL)
        return bw_err_set(err, "user '%s': %s", user, errno ? strerror(errno) : "no such user");
    if (geteuid() != 0) {
        if (getuid() == pw->pw_uid)
            return 0;
        return bw_err_set(err, "user '%s': cannot switch users without root", user);
    }
    gid_t gid = pw->pw_gid;
    if (setgroups(1, &gid) != 0)
        return bw_err_set(err, "setgroups: %s", strerror(errno));
    if (setgid(pw->pw_gid) != 0)
        return bw_err_set(err, "setgid(%u): %s", (unsigned)pw->pw_gid, strerror(errno));
    if (setuid(pw->pw_uid) != 0)
        return bw_err_set(err, "setuid(%u): %s", (unsigned)pw->pw_uid, strerror(errno));
    if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid)
        return bw_err_set(err, "user '%s': identity did not change", user);
    if (pw->pw_uid != 0 && setuid(0) == 0)
        return bw_err_set(err, "user '%s': root could be regained", user);
    return 0;
}
