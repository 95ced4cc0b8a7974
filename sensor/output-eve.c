/* EVE JSON-lines writer. Events are rendered straight into the block that
 * goes to the file; the parts every event shares (sensor_id member, the
 * timestamp's second, the last address) are rendered once and reused. */
#include "sensor/output-eve.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "sensor/app.h"

#define EVE_MAX_LISTENERS 4
/* Lines for a file are collected up to this many bytes and written with one
 * write(2): stdio's 4 KiB blocks cost a system call every ten lines. */
#define EVE_BLOCK (64 * 1024)

struct eve_out {
    int fd;         /* a file of ours, written in blocks; -1 otherwise */
    FILE *fp;       /* stdout: through stdio, in order with the program's own output */
    int flush_each; /* fd is a terminal: every line at once */
    pthread_mutex_t lock;
    struct bw_buf buf; /* lines not yet written; the current event from line_start */
    size_t line_start;
    struct bw_json json;
    struct bw_ts_cache ts; /* timestamp text of the last event's second */
    char event_type[32];
    char sensor_id[64];
    char sensor_member[16 + 6 * 64]; /* "sensor_id":"..." rendered once */
    size_t sensor_member_len;
    struct bw_addr addr; /* the last address formatted (eve_addr_str) */
    char addr_str[BW_ADDR_STRLEN];
    size_t addr_len;
    uint64_t lines, write_errors;
    struct {
        eve_listener_fn fn;
        void *ctx;
    } listeners[EVE_MAX_LISTENERS];
    int nlisteners;
};

struct eve_out *eve_open(const char *path, struct bw_err *err)
{
    struct eve_out *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    e->fd = -1;
    if (path != NULL && strcmp(path, "-") == 0) {
        e->fp = stdout;
    } else if (path != NULL && path[0] != '\0') {
        e->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (e->fd < 0) {
            bw_err_set(err, "%s: %s", path, strerror(errno));
            free(e);
            return NULL;
        }
        e->flush_each = isatty(e->fd);
    }
    pthread_mutex_init(&e->lock, NULL);
    bw_buf_init(&e->buf);
    bw_ts_cache_init(&e->ts);
    return e;
}

/* Writes the pending lines; the ones that do not reach the file are counted
 * as write errors. Under the lock. */
static void eve_write_out(struct eve_out *e)
{
    size_t off = 0, n = e->buf.len;
    while (off < n) {
        ssize_t r = write(e->fd, e->buf.data + off, n - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    for (size_t i = off; i < n; i++)
        if (e->buf.data[i] == '\n')
            e->write_errors++;
    bw_buf_reset(&e->buf);
}

void eve_close(struct eve_out *e)
{
    if (e == NULL)
        return;
    eve_flush(e);
    if (e->fd >= 0)
        close(e->fd);
    bw_buf_fini(&e->buf);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void eve_set_sensor_id(struct eve_out *e, const char *id)
{
    snprintf(e->sensor_id, sizeof(e->sensor_id), "%s", id ? id : "");
    /* The member as bw_json_str writes it, once: it is in every event. */
    struct bw_buf b;
    struct bw_json j;
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    bw_json_str(&j, "sensor_id", e->sensor_id);
    e->sensor_member_len = 0;
    if (!b.oom && b.len < sizeof(e->sensor_member)) {
        memcpy(e->sensor_member, b.data, b.len);
        e->sensor_member_len = b.len;
    }
    bw_buf_fini(&b);
}

/* The sensor_id member, pre-rendered when it fits (else written as before). */
static void put_sensor_id(struct eve_out *e, struct bw_json *j)
{
    if (!e->sensor_id[0])
        return;
    if (e->sensor_member_len > 0)
        bw_json_raw(j, NULL, e->sensor_member, e->sensor_member_len);
    else
        bw_json_str(j, "sensor_id", e->sensor_id);
}

const char *eve_addr_str(struct eve_out *e, const struct bw_addr *a, size_t *len)
{
    if (e->addr.family == 0 || !bw_addr_eq(&e->addr, a)) {
        bw_addr_fmt(a, e->addr_str);
        e->addr_len = strlen(e->addr_str);
        e->addr = *a;
    }
    *len = e->addr_len;
    return e->addr_str;
}

static void put_addr(struct eve_out *e, struct bw_json *j, const char *key, size_t klen,
                     const struct bw_addr *a)
{
    size_t n;
    const char *s = eve_addr_str(e, a, &n);
    bw_json_kstrn(j, key, klen, s, n);
}

int eve_add_listener(struct eve_out *e, eve_listener_fn fn, void *ctx)
{
    if (e->nlisteners == EVE_MAX_LISTENERS)
        return -1;
    e->listeners[e->nlisteners].fn = fn;
    e->listeners[e->nlisteners].ctx = ctx;
    e->nlisteners++;
    return 0;
}

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case IPPROTO_TCP:
        return "TCP";
    case IPPROTO_UDP:
        return "UDP";
    case IPPROTO_ICMP:
        return "ICMP";
    case IPPROTO_ICMPV6:
        return "IPv6-ICMP";
    default:
        snprintf(buf, len, "%u", proto);
        return buf;
    }
}

static struct bw_json *eve_start(struct eve_out *e, const char *event_type, int64_t ts_us)
{
    pthread_mutex_lock(&e->lock);
    e->line_start = e->buf.len;
    bw_json_init(&e->json, &e->buf);
    size_t tl = strnlen(event_type, sizeof(e->event_type) - 1);
    memcpy(e->event_type, event_type, tl);
    e->event_type[tl] = '\0';
    /* "timestamp":"<text>" as one member; the text needs no escaping. */
    char m[16 + BW_TS_TEXT_LEN];
    memcpy(m, "\"timestamp\":\"", 13);
    memcpy(m + 13, bw_ts_cache_fmt(&e->ts, ts_us), BW_TS_TEXT_LEN);
    m[13 + BW_TS_TEXT_LEN] = '"';
    bw_json_obj_begin(&e->json, NULL);
    bw_json_raw(&e->json, NULL, m, 14 + BW_TS_TEXT_LEN);
    return &e->json;
}

struct bw_json *eve_begin(struct eve_out *e, const char *event_type, int64_t ts_us,
                          const struct flow *f, int reverse)
{
    struct bw_json *j = eve_start(e, event_type, ts_us);
    if (f == NULL) {
        bw_json_kstr(j, BW_JK("event_type"), event_type);
        put_sensor_id(e, j);
        return j;
    }
    char pn[8];
    bw_json_kuint(j, BW_JK("flow_id"), f->flow_id);
    put_sensor_id(e, j);
    bw_json_kstr(j, BW_JK("event_type"), event_type);
    const struct bw_addr *src = reverse ? &f->srv : &f->cli, *dst = reverse ? &f->cli : &f->srv;
    uint16_t sp = reverse ? f->sport : f->cport, dp = reverse ? f->cport : f->sport;
    put_addr(e, j, BW_JK("src_ip"), src);
    if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP)
        bw_json_kuint(j, BW_JK("src_port"), sp);
    put_addr(e, j, BW_JK("dest_ip"), dst);
    if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP)
        bw_json_kuint(j, BW_JK("dest_port"), dp);
    bw_json_kstr(j, BW_JK("proto"), eve_proto_name(f->proto, pn, sizeof(pn)));
    if (f->key.vlan_n > 0) {
        bw_json_arr_begin(j, "vlan");
        for (int i = 0; i < f->key.vlan_n; i++)
            bw_json_uint(j, NULL, f->key.vlan[i]);
        bw_json_arr_end(j);
    }
    if (f->app != NULL)
        bw_json_kstr(j, BW_JK("app_proto"), f->app->name);
    if (f->community_id[0])
        bw_json_kstr(j, BW_JK("community_id"), f->community_id);
    return j;
}

struct bw_json *eve_begin_tuple(struct eve_out *e, const char *event_type, int64_t ts_us,
                                const struct bw_addr *src, uint16_t sport,
                                const struct bw_addr *dst, uint16_t dport, const char *proto)
{
    struct bw_json *j = eve_start(e, event_type, ts_us);
    put_sensor_id(e, j);
    bw_json_kstr(j, BW_JK("event_type"), event_type);
    if (src != NULL && src->family != 0) {
        put_addr(e, j, BW_JK("src_ip"), src);
        if (sport)
            bw_json_kuint(j, BW_JK("src_port"), sport);
    }
    if (dst != NULL && dst->family != 0) {
        put_addr(e, j, BW_JK("dest_ip"), dst);
        if (dport)
            bw_json_kuint(j, BW_JK("dest_port"), dport);
    }
    if (proto != NULL)
        bw_json_kstr(j, BW_JK("proto"), proto);
    return j;
}

/* Drops the current event from the buffer (and a sticky out-of-memory with
 * it: what came before it is whole). */
static void eve_drop_line(struct eve_out *e)
{
    e->buf.len = e->line_start;
    e->buf.oom = 0;
    if (e->buf.cap > 0)
        e->buf.data[e->buf.len] = '\0';
}

void eve_end(struct eve_out *e)
{
    bw_json_obj_end(&e->json);
    if (bw_json_finish(&e->json) != 0) {
        e->write_errors++;
        eve_drop_line(e);
        pthread_mutex_unlock(&e->lock);
        return;
    }
    const char *line = e->buf.data + e->line_start;
    size_t len = e->buf.len - e->line_start;
    for (int i = 0; i < e->nlisteners; i++)
        e->listeners[i].fn(e->listeners[i].ctx, e->event_type, line, len);
    if (e->fd >= 0) {
        if (bw_buf_putc(&e->buf, '\n') != 0) {
            e->write_errors++;
            eve_drop_line(e);
        } else if (e->flush_each || e->buf.len >= EVE_BLOCK) {
            eve_write_out(e);
        }
    } else {
        if (e->fp != NULL && (fwrite(line, 1, len, e->fp) != len || putc('\n', e->fp) == EOF))
            e->write_errors++;
        bw_buf_reset(&e->buf);
    }
    e->lines++;
    pthread_mutex_unlock(&e->lock);
}

void eve_flush(struct eve_out *e)
{
    pthread_mutex_lock(&e->lock);
    if (e->fd >= 0 && e->buf.len > 0)
        eve_write_out(e);
    if (e->fp != NULL && fflush(e->fp) != 0)
        e->write_errors++;
    pthread_mutex_unlock(&e->lock);
}

uint64_t eve_lines(const struct eve_out *e)
{
    return e->lines;
}

uint64_t eve_write_errors(const struct eve_out *e)
{
    return e->write_errors;
}
