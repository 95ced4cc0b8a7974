/* Decoder entry point: dispatches a frame on its link type to the link-layer
 * decoders, owns the statistics and the defragmenter, and names decode events. */
#include "sensor/decode.h"

#include <string.h>

#include "common/config.h"
#include "common/cursor.h"
#include "sensor/decode-internal.h"
#include "sensor/defrag.h"

static const char *const decode_event_names[DEC_EVENT_MAX] = {
#define X(id, name) [DEC_##id] = name,
    DECODE_EVENTS(X)
#undef X
};

const char *decode_event_name(enum decode_event ev)
{
    if ((unsigned)ev >= DEC_EVENT_MAX)
        return "none";
    return decode_event_names[ev];
}

void decode_config_defaults(struct decode_config *cfg)
{
    cfg->defrag_memcap = 32ull << 20;
    cfg->defrag_timeout_us = 60ull * 1000000;
    cfg->defrag_max_trackers = 65536;
}

/* Limits accepted from the configuration. */
#define DECODE_MEMCAP_MIN   (64ull << 10)
#define DECODE_MEMCAP_MAX   (16ull << 30)
#define DECODE_TRACKERS_MAX (1ull << 22)
#define DECODE_TIMEOUT_MAX  (3600ull * 1000000)

int decode_config_load(struct decode_config *dc, const struct bw_config *cfg, struct bw_err *err)
{
    static const char *const keys[] = {"defrag_memcap", "defrag_timeout", "defrag_max_trackers",
                                       NULL};
    decode_config_defaults(dc);
    const struct bw_ynode *sec = cfg ? config_section(cfg, "decoder") : NULL;
    if (sec == NULL)
        return 0;
    if (bw_yexpect(&cfg->doc, sec, BW_Y_MAP, err) != 0 ||
        bw_ymap_check_keys(&cfg->doc, sec, keys, err) != 0)
        return -1;
    const struct bw_ynode *n;
    if ((n = bw_ymap_get(sec, "defrag_memcap")) != NULL) {
        if (bw_yget_size(&cfg->doc, n, &dc->defrag_memcap, err) != 0)
            return -1;
        if (dc->defrag_memcap < DECODE_MEMCAP_MIN || dc->defrag_memcap > DECODE_MEMCAP_MAX)
            return bw_ynode_err(&cfg->doc, n, err,
                                "decoder.defrag_memcap: must be between 64kb and 16gb");
    }
    if ((n = bw_ymap_get(sec, "defrag_timeout")) != NULL) {
        if (bw_yget_duration_us(&cfg->doc, n, &dc->defrag_timeout_us, err) != 0)
            return -1;
        if (dc->defrag_timeout_us < 1000000 || dc->defrag_timeout_us > DECODE_TIMEOUT_MAX)
            return bw_ynode_err(&cfg->doc, n, err,
                                "decoder.defrag_timeout: must be between 1s and 1h");
    }
    if ((n = bw_ymap_get(sec, "defrag_max_trackers")) != NULL) {
        uint64_t v;
        if (bw_yget_u64(&cfg->doc, n, 1, DECODE_TRACKERS_MAX, &v, err) != 0)
            return -1;
        dc->defrag_max_trackers = (uint32_t)v;
    }
    return 0;
}

int decoder_init(struct decoder *d, const struct decode_config *cfg, struct bw_err *err)
{
    memset(d, 0, sizeof(*d));
    if (cfg != NULL)
        d->cfg = *cfg;
    else
        decode_config_defaults(&d->cfg);
    d->defrag = defrag_new(&d->cfg, err);
    return d->defrag != NULL ? 0 : -1;
}

void decoder_fini(struct decoder *d)
{
    defrag_free(d->defrag);
    d->defrag = NULL;
}

void decode_tick(struct decoder *d, int64_t now_us)
{
    defrag_expire(d, now_us);
}

/* Raw IP: the version nibble says which. */
static int decode_raw(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint8_t v;
    bw_cur_init(&c, buf, len);
    d->stats.raw++;
    if (bw_cur_u8(&c, &v) != 0)
        return dec_event(d, p, DEC_IPV4_TRUNCATED);
    switch (v >> 4) {
    case 4:
        return decode_ipv4(d, p, buf, len);
    case 6:
        return decode_ipv6(d, p, buf, len);
    default:
        return dec_event(d, p, DEC_L3_UNKNOWN);
    }
}

int decode_reassembled(struct decoder *d, struct bw_packet *p, int version, const uint8_t *buf,
                       uint32_t len, uint32_t wirelen)
{
    d->stats.reassembled++;
    p->data = buf;
    p->caplen = len;
    p->wirelen = wirelen;
    p->linktype = version == 4 ? BW_DLT_IPV4 : BW_DLT_IPV6;
    p->flags = PKT_REASSEMBLED;
    p->proto = 0;
    p->sport = p->dport = 0;
    d->snap_missing = 0;
    d->in_reassembly = 1;
    int r = version == 4 ? decode_ipv4(d, p, buf, len) : decode_ipv6(d, p, buf, len);
    d->in_reassembly = 0;
    return r;
}

int decode_packet(struct decoder *d, int dlt, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen, int64_t ts_us, struct bw_packet *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_us = ts_us;
    p->data = data;
    p->caplen = caplen;
    p->wirelen = wirelen;
    p->linktype = dlt;
    p->event = DEC_EVENT_MAX;
    d->stats.pkts++;
    d->stats.bytes += wirelen;
    d->snap_missing = wirelen > caplen ? wirelen - caplen : 0;
    d->in_reassembly = 0;

    int r;
    switch (dlt) {
    case BW_DLT_EN10MB:
        r = decode_ethernet(d, p, data, caplen);
        break;
    case BW_DLT_LINUX_SLL:
        r = decode_sll(d, p, data, caplen);
        break;
    case BW_DLT_LINUX_SLL2:
        r = decode_sll2(d, p, data, caplen);
        break;
    case BW_DLT_NULL:
    case BW_DLT_LOOP:
        r = decode_null(d, p, data, caplen);
        break;
    case BW_DLT_RAW:
    case BW_DLT_RAW_BSD:
    case BW_DLT_LINKTYPE_RAW:
        r = decode_raw(d, p, data, caplen);
        break;
    case BW_DLT_IPV4:
        d->stats.raw++;
        r = decode_ipv4(d, p, data, caplen);
        break;
    case BW_DLT_IPV6:
        d->stats.raw++;
        r = decode_ipv6(d, p, data, caplen);
        break;
    default:
        r = dec_event(d, p, DEC_LINK_UNSUPPORTED);
        break;
    }
    if (r == 0 && !(p->flags & PKT_FRAGMENT)) {
        /* Nothing of an invalid packet is to be trusted downstream. */
        p->flags &= ~(PKT_HAS_IP | PKT_HAS_L4);
        if (p->event != DEC_EVENT_MAX)
            d->stats.invalid++;
    }
    return r;
}
