/* EVE `access` events. */
#include "sensor/output-eve-access.h"

static const char *dir_name(enum access_direction d)
{
    return d == ACCESS_SEND ? "send" : "read";
}

void eve_access_write(struct eve_out *e, const struct bw_access *ev)
{
    struct bw_json *j = eve_begin_tuple(e, "access", ev->ts_us, &ev->actor_ip, ev->actor_port,
                                        &ev->dest_ip, ev->dest_port, NULL);
    bw_json_kobj_begin(j, BW_JK("access"));
    bw_json_kstr(j, BW_JK("format"), ev->format ? ev->format : "");
    bw_json_kobj_begin(j, BW_JK("actor"));
    if (ev->actor_ip.family != 0) {
        size_t n;
        const char *a = eve_addr_str(e, &ev->actor_ip, &n); /* cached: src_ip was the same */
        bw_json_kstrn(j, BW_JK("ip"), a, n);
    }
    if (ev->actor_user[0])
        bw_json_kstr(j, BW_JK("user"), ev->actor_user);
    bw_json_obj_end(j);
    bw_json_kstr(j, BW_JK("dataset"), ev->dataset);
    bw_json_kuint(j, BW_JK("records"), ev->records);
    bw_json_kstr(j, BW_JK("records_source"), access_records_src_name(ev->records_src));
    if (ev->records_rule != NULL)
        bw_json_kstr(j, BW_JK("records_rule"), ev->records_rule);
    bw_json_kuint(j, BW_JK("bytes"), ev->bytes);
    bw_json_kint(j, BW_JK("status"), ev->status);
    bw_json_kstr(j, BW_JK("direction"), dir_name(ev->direction));
    if (ev->detail[0])
        bw_json_kstr(j, BW_JK("detail"), ev->detail);
    if (ev->dns_name_len > 0) {
        bw_json_kobj_begin(j, BW_JK("dns"));
        bw_json_kuint(j, BW_JK("qtype"), ev->dns_qtype);
        bw_json_kuint(j, BW_JK("name_len"), ev->dns_name_len);
        bw_json_kuint(j, BW_JK("labels"), ev->dns_labels);
        bw_json_kuint(j, BW_JK("label_max"), ev->dns_label_max);
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
