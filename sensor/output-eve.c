/* EVE JSON-lines writer. */
#include "sensor/output-eve.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "sensor/app.h"

#define EVE_MAX_LISTENERS 4

struct eve_out {
    FILE *fp; /* NULL: nowhere */
    int own_fp;
    pthread_mutex_t lock;
    struct bw_buf line;
    struct bw_json json;
    char event_type[32];
    char sensor_id[64];
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
    if (path != NULL && strcmp(path, "-") == 0) {
        e->fp = stdout;
    } else if (path != NULL && path[0] != '\0') {
        e->fp = fopen(path, "a");
        if (e->fp == NULL) {
            bw_err_set(err, "%s: %s", path, strerror(errno));
            free(e);
            return NULL;
        }
        e->own_fp = 1;
    }
    pthread_mutex_init(&e->lock, NULL);
    bw_buf_init(&e->line);
    return e;
}

void eve_close(struct eve_out *e)
{
    if (e == NULL)
        return;
    eve_flush(e);
    if (e->own_fp)
        fclose(e->fp);
    bw_buf_fini(&e->line);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void eve_set_sensor_id(struct eve_out *e, const char *id)
{
    snprintf(e->sensor_id, sizeof(e->sensor_id), "%s", id ? id : "");
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
    bw_buf_reset(&e->line);
    bw_json_init(&e->json, &e->line);
    snprintf(e->event_type, sizeof(e->event_type), "%s", event_type);
    char ts[BW_TS_LEN];
    bw_json_obj_begin(&e->json, NULL);
    bw_json_str(&e->json, "timestamp", bw_time_fmt(ts_us, ts));
    return &e->json;
}

struct bw_json *eve_begin(struct eve_out *e, const char *event_type, int64_t ts_us,
                          const struct flow *f, int reverse)
{
    struct bw_json *j = eve_start(e, event_type, ts_us);
    if (f == NULL) {
        bw_json_str(j, "event_type", event_type);
        if (e->sensor_id[0])
            bw_json_str(j, "sensor_id", e->sensor_id);
        return j;
    }
    char a[BW_ADDR_STRLEN], b[BW_ADDR_STRLEN], pn[8];
    bw_json_uint(j, "flow_id", f->flow_id);
    if (e->sensor_id[0])
        bw_json_str(j, "sensor_id", e->sensor_id);
    bw_json_str(j, "event_type", event_type);
    const struct bw_addr *src = reverse ? &f->srv : &f->cli, *dst = reverse ? &f->cli : &f->srv;
    uint16_t sp = reverse ? f->sport : f->cport, dp = reverse ? f->cport : f->sport;
    bw_json_str(j, "src_ip", bw_addr_fmt(src, a));
    if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP)
        bw_json_uint(j, "src_port", sp);
    bw_json_str(j, "dest_ip", bw_addr_fmt(dst, b));
    if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP)
        bw_json_uint(j, "dest_port", dp);
    bw_json_str(j, "proto", eve_proto_name(f->proto, pn, sizeof(pn)));
    if (f->key.vlan_n > 0) {
        bw_json_arr_begin(j, "vlan");
        for (int i = 0; i < f->key.vlan_n; i++)
            bw_json_uint(j, NULL, f->key.vlan[i]);
        bw_json_arr_end(j);
    }
    if (f->app != NULL)
        bw_json_str(j, "app_proto", f->app->name);
    if (f->community_id[0])
        bw_json_str(j, "community_id", f->community_id);
    return j;
}

struct bw_json *eve_begin_tuple(struct eve_out *e, const char *event_type, int64_t ts_us,
                                const struct bw_addr *src, uint16_t sport,
                                const struct bw_addr *dst, uint16_t dport, const char *proto)
{
    struct bw_json *j = eve_start(e, event_type, ts_us);
    char a[BW_ADDR_STRLEN];
    if (e->sensor_id[0])
        bw_json_str(j, "sensor_id", e->sensor_id);
    bw_json_str(j, "event_type", event_type);
    if (src != NULL && src->family != 0) {
        bw_json_str(j, "src_ip", bw_addr_fmt(src, a));
        if (sport)
            bw_json_uint(j, "src_port", sport);
    }
    if (dst != NULL && dst->family != 0) {
        bw_json_str(j, "dest_ip", bw_addr_fmt(dst, a));
        if (dport)
            bw_json_uint(j, "dest_port", dport);
    }
    if (proto != NULL)
        bw_json_str(j, "proto", proto);
    return j;
}

void eve_end(struct eve_out *e)
{
    bw_json_obj_end(&e->json);
    if (bw_json_finish(&e->json) != 0) {
        e->write_errors++;
        pthread_mutex_unlock(&e->lock);
        return;
    }
    for (int i = 0; i < e->nlisteners; i++)
        e->listeners[i].fn(e->listeners[i].ctx, e->event_type, e->line.data, e->line.len);
    if (e->fp != NULL) {
        bw_buf_putc(&e->line, '\n');
        if (fwrite(e->line.data, 1, e->line.len, e->fp) != e->line.len)
            e->write_errors++;
    }
    e->lines++;
    pthread_mutex_unlock(&e->lock);
}

void eve_flush(struct eve_out *e)
{
    pthread_mutex_lock(&e->lock);
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
