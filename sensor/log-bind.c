/* BIND 9 query log (category queries): "client [@0x...] ADDR#PORT (NAME):
 * [view V: ]query: NAME CLASS TYPE FLAGS (SERVER)" lines, with BIND's own
 * print-time ("01-Dec-2026 08:04:52.123", or ISO 8601) or a syslog time. Each
 * query becomes a DNS access event. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "sensor/dns-name.h"
#include "sensor/dns-payload.h"
#include "sensor/logparse.h"
#include "sensor/logsrc.h"

static void *bind_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    (void)cfg;
    void *p = calloc(1, 1);
    if (p == NULL)
        bw_err_set(err, "out of memory");
    return p;
}

static void bind_destroy(void *state)
{
    free(state);
}

/* "01-Dec-2026 08:04:52.123" -> bytes used, or -1. */
static int bind_time(const char *s, size_t n, int64_t *us)
{
    if (n < 20 || s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':')
        return -1;
    char iso[32];
    int mo = logp_month(s + 3, 3);
    if (mo == 0)
        return -1;
    size_t e = 20;
    while (e < n && e < 27 && (s[e] == '.' || isdigit((unsigned char)s[e])))
        e++;
    /* Rewrite as ISO and reuse its parser. */
    int w = snprintf(iso, sizeof(iso), "%.4s-%02d-%.2s %.*s", s + 7, mo, s, (int)(e - 12), s + 12);
    if (w <= 0 || logp_time_iso(iso, (size_t)w, us) < 0)
        return -1;
    return (int)e;
}

static enum log_verdict bind_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    (void)state;
    struct bw_access ev;
    access_init(&ev);
    while (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return LOG_SKIP;
    int t = bind_time(line, len, &ev.ts_us);
    if (t < 0 && logp_time_syslog(line, len, em->ref_us, &ev.ts_us) == 0)
        t = 15;
    if (t < 0)
        t = logp_time_iso(line, len, &ev.ts_us);
    if (t < 0)
        return LOG_BAD;
    long c = logp_search(line + t, len - (size_t)t, "client ", 7);
    if (c < 0)
        return LOG_SKIP;
    size_t i = (size_t)t + (size_t)c + 7;
    if (i < len && line[i] == '@') {
        i += logp_find(line + i, len - i, ' ');
        i++;
    }
    if (i >= len)
        return LOG_BAD;
    size_t hash = i + logp_find(line + i, len - i, '#');
    if (hash >= len || logp_addr(line + i, hash - i, &ev.actor_ip) != 0)
        return LOG_BAD;
    uint64_t port;
    size_t pe = hash + 1 + logp_find(line + hash + 1, len - hash - 1, ' ');
    if (logp_u64(line + hash + 1, pe - hash - 1, &port) == 0 && port <= 65535)
        ev.actor_port = (uint16_t)port;
    long q = logp_search(line + pe, len - pe, "query: ", 7);
    if (q < 0)
        return LOG_SKIP; /* other client messages (query failed, denied) */
    size_t ns = pe + (size_t)q + 7;
    size_t ne = ns + logp_find(line + ns, len - ns, ' ');
    if (ne >= len)
        return LOG_BAD;
    size_t cs = ne + 1, ce = cs + logp_find(line + cs, len - cs, ' ');
    if (ce >= len)
        return LOG_BAD;
    size_t ts = ce + 1, te = ts + logp_find(line + ts, len - ts, ' ');
    ev.dns_qtype = dns_qtype_num(line + ts, te - ts);
    ev.channel = ACCESS_CH_LOG;
    ev.format = "bind";
    ev.direction = ACCESS_SEND;
    dns_name_measure(line + ns, ne - ns, &ev);
    ev.bytes = ev.dns_name_len;
    struct dns_payload_result res; /* ev.pii may point here: lives past the emit */
    if (dns_payload_access(em->dns, NULL, line + ns, ne - ns, &ev, &res) != DNS_SEEN_FORWARD)
        log_emit(em, &ev);
    return LOG_ENTRY;
}

const struct log_format log_format_bind = {
    .name = "bind",
    .create = bind_create,
    .destroy = bind_destroy,
    .parse_line = bind_parse,
};
