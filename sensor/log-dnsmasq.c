/* dnsmasq query log (log-queries, also log-queries=extra): every
 * "query[TYPE] NAME from ADDR" line becomes a DNS access event, so that
 * tunnelling shows even where the sensor sees no DNS packets. The other lines
 * (forwarded, reply, cached, config) are well-formed but skipped. */
#include <stdlib.h>
#include <string.h>

#include "sensor/dns-name.h"
#include "sensor/dns-payload.h"
#include "sensor/logparse.h"
#include "sensor/logsrc.h"

static void *dnsmasq_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    (void)cfg;
    void *p = calloc(1, 1);
    if (p == NULL)
        bw_err_set(err, "out of memory");
    return p;
}

static void dnsmasq_destroy(void *state)
{
    free(state);
}

/* Leading time: syslog "Dec  1 08:04:52" or ISO 8601. Returns bytes used or -1. */
static int lead_time(const char *line, size_t len, int64_t ref_us, int64_t *ts)
{
    if (logp_time_syslog(line, len, ref_us, ts) == 0)
        return 15;
    return logp_time_iso(line, len, ts);
}

static enum log_verdict dnsmasq_parse(void *state, const char *line, size_t len,
                                      struct log_emit *em)
{
    (void)state;
    struct bw_access ev;
    access_init(&ev);
    while (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return LOG_SKIP;
    int t = lead_time(line, len, em->ref_us, &ev.ts_us);
    if (t < 0)
        return LOG_BAD;
    long tag = logp_search(line + t, len - (size_t)t, "dnsmasq", 7);
    if (tag < 0)
        return LOG_BAD;
    size_t i = (size_t)t + (size_t)tag + 7;
    long colon = logp_search(line + i, len - i, ": ", 2);
    if (colon < 0)
        return LOG_BAD;
    i += (size_t)colon + 2;
    long q = logp_search(line + i, len - i, "query[", 6);
    if (q < 0)
        return LOG_SKIP;
    i += (size_t)q + 6;
    size_t rb = i + logp_find(line + i, len - i, ']');
    if (rb >= len || rb + 1 >= len || line[rb + 1] != ' ')
        return LOG_BAD;
    ev.dns_qtype = dns_qtype_num(line + i, rb - i);
    size_t ns = rb + 2;
    long from = logp_search(line + ns, len - ns, " from ", 6);
    if (from <= 0)
        return LOG_BAD;
    size_t ne = ns + (size_t)from;
    size_t as = ne + 6;
    size_t ae = as + logp_find(line + as, len - as, ' ');
    if (logp_addr(line + as, ae - as, &ev.actor_ip) != 0)
        return LOG_BAD;
    ev.channel = ACCESS_CH_LOG;
    ev.format = "dnsmasq";
    ev.direction = ACCESS_SEND;
    dns_name_measure(line + ns, ne - ns, &ev);
    ev.bytes = ev.dns_name_len;
    struct dns_payload_result res; /* ev.pii may point here: lives past the emit */
    if (dns_payload_access(em->dns, NULL, line + ns, ne - ns, &ev, &res) != DNS_SEEN_FORWARD)
        log_emit(em, &ev);
    return LOG_ENTRY;
}

const struct log_format log_format_dnsmasq = {
    .name = "dnsmasq",
    .create = dnsmasq_create,
    .destroy = dnsmasq_destroy,
    .parse_line = dnsmasq_parse,
};
