/* EVE `access` events. */
#include "sensor/output-eve-access.h"

static const char *dir_name(enum access_direction d)
{
    return d == ACCESS_SEND ? "send" : "read";
}

void eve_access_write(struct eve_out *e, const struct bw_access *ev)
{
    char a[BW_ADDR_STRLEN];
    struct bw_json *j = eve_begin_tuple(e, "access", ev->ts_us, &ev->actor_ip, ev->actor_port,
                                        &ev->dest_ip, ev->dest_port, NULL);
    bw_json_obj_begin(j, "access");
    bw_json_str(j, "format", ev->format ? ev->format : "");
    bw_json_obj_begin(j, "actor");
    if (ev->actor_ip.family != 0)
        bw_json_str(j, "ip", bw_addr_fmt(&ev->actor_ip, a));
    if (ev->actor_user[0])
        bw_json_str(j, "user", ev->actor_user);
    bw_json_obj_end(j);
    bw_json_str(j, "dataset", ev->dataset);
    bw_json_uint(j, "records", ev->records);
    bw_json_str(j, "records_source", access_records_src_name(ev->records_src));
    if (ev->records_rule != NULL)
        bw_json_str(j, "records_rule", ev->records_rule);
    bw_json_uint(j, "bytes", ev->bytes);
    bw_json_int(j, "status", ev->status);
    bw_json_str(j, "direction", dir_name(ev->direction));
    if (ev->detail[0])
        bw_json_str(j, "detail", ev->detail);
    if (ev->dns_name_len > 0) {
        bw_json_obj_begin(j, "dns");
        bw_json_uint(j, "qtype", ev->dns_qtype);
        bw_json_uint(j, "name_len", ev->dns_name_len);
        bw_json_uint(j, "labels", ev->dns_labels);
        bw_json_uint(j, "label_max", ev->dns_label_max);
        bw_json_double(j, "entropy", ev->dns_entropy);
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
    eve_end(e);
}

static void sink_emit(void *ctx, const struct bw_access *ev)
{
    eve_access_write(ctx, ev);
}

struct access_sink eve_access_sink(struct eve_out *e)
{
    struct access_sink s = {.emit = sink_emit, .ctx = e};
    return s;
}
