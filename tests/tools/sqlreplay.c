/* Test harness for reassembly and the SQL parsers: reads a capture, decodes it
 * with the sensor's decoder, keeps its own small flow list (until the flow
 * table is on main), optionally re-segments, reorders, duplicates or
 * overlaps the TCP payloads deterministically, and feeds stream_packet. Writes
 * EVE to stdout, access events (--access FILE) and engine stats (--stats). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "sensor/decode.h"
#include "sensor/output-eve.h"
#include "sensor/stream.h"

#define MAX_FLOWS 256

struct pkt {
    int64_t ts;
    int flow, dir;
    uint8_t flags;
    uint32_t seq, ack;
    uint8_t *data;
    uint32_t len;
};

static struct flow flows[MAX_FLOWS];
static int nflows;
static struct pkt *pkts;
static size_t npkts, cappkts;
static FILE *access_out;

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) & 0xFFFFFF;
}

static int find_flow(const struct bw_addr *s, uint16_t sp, const struct bw_addr *d, uint16_t dp,
                     uint8_t flags, int *dir)
{
    for (int i = 0; i < nflows; i++) {
        struct flow *f = &flows[i];
        if (bw_addr_eq(&f->cli, s) && bw_addr_eq(&f->srv, d) && f->cport == sp && f->sport == dp) {
            *dir = FLOW_TOSERVER;
            return i;
        }
        if (bw_addr_eq(&f->cli, d) && bw_addr_eq(&f->srv, s) && f->cport == dp && f->sport == sp) {
            *dir = FLOW_TOCLIENT;
            return i;
        }
    }
    if (nflows == MAX_FLOWS)
        return -1;
    struct flow *f = &flows[nflows];
    memset(f, 0, sizeof(*f));
    /* A SYN-ACK first means the other side is the client. */
    int rev = (flags & 0x12) == 0x12;
    f->cli = rev ? *d : *s;
    f->srv = rev ? *s : *d;
    f->cport = rev ? dp : sp;
    f->sport = rev ? sp : dp;
    f->proto = IPPROTO_TCP;
    f->flow_id = 1000 + (uint64_t)nflows;
    *dir = rev ? FLOW_TOCLIENT : FLOW_TOSERVER;
    return nflows++;
}

static void add_pkt(const struct pkt *p)
{
    if (npkts == cappkts) {
        cappkts = cappkts ? cappkts * 2 : 256;
        pkts = realloc(pkts, cappkts * sizeof(*pkts));
        if (pkts == NULL)
            exit(2);
    }
    pkts[npkts++] = *p;
}

static struct decoder dec;

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    int dlt = *(int *)user;
    struct bw_packet bp;
    int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
    if (decode_packet(&dec, dlt, bytes, h->caplen, h->len, ts, &bp) != 1 ||
        !(bp.flags & PKT_HAS_L4) || bp.proto != IPPROTO_TCP)
        return;
    struct pkt k;
    memset(&k, 0, sizeof(k));
    k.ts = ts;
    k.flags = bp.tcp_flags;
    k.seq = bp.tcp_seq;
    k.ack = bp.tcp_ack;
    k.flow = find_flow(&bp.src, bp.sport, &bp.dst, bp.dport, k.flags, &k.dir);
    if (k.flow < 0)
        return;
    k.len = bp.payload != NULL ? bp.payload_len : 0;
    if (k.len > 0) {
        k.data = malloc(k.len);
        if (k.data == NULL)
            exit(2);
        memcpy(k.data, bp.payload, k.len);
    }
    add_pkt(&k);
}

static void emit_access(void *ctx, const struct bw_access *ev)
{
    (void)ctx;
    if (access_out == NULL)
        return;
    struct bw_buf b;
    struct bw_json j;
    char a[BW_ADDR_STRLEN], c[16];
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "channel", access_channel_str(ev, c, sizeof(c)));
    bw_json_str(&j, "actor_ip", bw_addr_fmt(&ev->actor_ip, a));
    bw_json_uint(&j, "actor_port", ev->actor_port);
    bw_json_str(&j, "actor_user", ev->actor_user);
    bw_json_str(&j, "dest_ip", bw_addr_fmt(&ev->dest_ip, a));
    bw_json_uint(&j, "dest_port", ev->dest_port);
    bw_json_str(&j, "dataset", ev->dataset);
    bw_json_str(&j, "detail", ev->detail);
    bw_json_uint(&j, "records", ev->records);
    bw_json_str(&j, "records_src", access_records_src_name(ev->records_src));
    bw_json_uint(&j, "bytes", ev->bytes);
    bw_json_int(&j, "status", ev->status);
    bw_json_str(&j, "direction", ev->direction == ACCESS_READ ? "read" : "send");
    bw_json_obj_end(&j);
    fprintf(access_out, "%s\n", b.data);
    bw_buf_fini(&b);
}

static struct stream_engine *se;
static struct app_ctx tmpl;

static void send_seg(const struct pkt *k, uint32_t seq, const uint8_t *data, uint32_t len,
                     uint8_t flags)
{
    struct bw_packet bp;
    memset(&bp, 0, sizeof(bp));
    bp.ts_us = k->ts;
    bp.flags = PKT_HAS_IP | PKT_HAS_L4;
    bp.proto = IPPROTO_TCP;
    bp.tcp_flags = flags;
    bp.tcp_seq = seq;
    bp.tcp_ack = k->ack;
    bp.payload = len ? data : NULL;
    bp.payload_len = len;
    struct flow *f = &flows[k->flow];
    f->last_us = k->ts;
    stream_packet(se, f, k->dir, &bp, &tmpl);
}

/* Emits one captured packet, transformed by `mode`. */
static void play(const struct pkt *k, const char *mode, unsigned chunk)
{
    uint8_t fl = k->flags;
    if (k->len == 0 || strcmp(mode, "asis") == 0) {
        send_seg(k, k->seq, k->data, k->len, fl);
        return;
    }
    uint8_t nofin = fl & (uint8_t)~0x01;
    uint32_t base = k->seq + ((fl & 0x02) ? 1 : 0);
    if ((fl & 0x02) != 0) {
        /* keep data on a SYN as it is */
        send_seg(k, k->seq, k->data, k->len, fl);
        return;
    }
    /* cut into pieces */
    uint32_t cuts[4096];
    unsigned nc = 0;
    uint32_t pos = 0;
    while (pos < k->len && nc < 4095) {
        uint32_t sz = strcmp(mode, "onebyte") == 0 ? 1 : chunk ? chunk : 1 + rnd() % 200;
        if (pos + sz > k->len || nc == 4094)
            sz = k->len - pos;
        cuts[nc++] = pos;
        pos += sz;
    }
    cuts[nc] = k->len;
    unsigned order[4096];
    for (unsigned i = 0; i < nc; i++)
        order[i] = i;
    if (strcmp(mode, "reorder") == 0 || strcmp(mode, "mix") == 0) {
        for (unsigned i = nc; i > 1; i--) {
            unsigned j = rnd() % i, t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
    }
    if (strcmp(mode, "conflict") == 0) {
        /* Later pieces first; each earlier piece then reaches 16 bytes into
         * the held one with different bytes: the held (first-seen) bytes must win. */
        for (unsigned i = nc; i-- > 0;) {
            uint32_t s = cuts[i], e = cuts[i + 1], ext = 0;
            uint8_t buf[4096];
            if (i + 1 < nc)
                ext = cuts[i + 2] - e < 16 ? cuts[i + 2] - e : 16;
            memcpy(buf, k->data + s, e - s + ext);
            for (uint32_t x = e - s; x < e - s + ext; x++)
                buf[x] ^= 0xFF;
            send_seg(k, base + s, buf, e - s + ext, nofin | 0x08);
        }
        if (fl & 0x01)
            send_seg(k, base + k->len, NULL, 0, fl);
        return;
    }
    for (unsigned oi = 0; oi < nc; oi++) {
        unsigned i = order[oi];
        uint32_t s = cuts[i], e = cuts[i + 1];
        if ((strcmp(mode, "overlap") == 0 || strcmp(mode, "mix") == 0) && i > 0) {
            uint32_t back = 1 + rnd() % 16;
            s = s > back ? s - back : 0; /* same bytes again: overlaps without conflict */
        }
        send_seg(k, base + s, k->data + s, e - s, nofin | 0x08);
        if (strcmp(mode, "dup") == 0 || (strcmp(mode, "mix") == 0 && rnd() % 4 == 0))
            send_seg(k, base + s, k->data + s, e - s, nofin | 0x08);
    }
    if (fl & 0x01)
        send_seg(k, base + k->len, NULL, 0, fl);
}

int main(int argc, char **argv)
{
    const char *mode = "asis", *file = NULL, *access_path = NULL;
    unsigned chunk = 0;
    int stats = 0;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--mode=", 7) == 0) {
            mode = argv[i] + 7;
            if (strncmp(mode, "reseg:", 6) == 0) {
                chunk = (unsigned)strtoul(mode + 6, NULL, 10);
                mode = "reseg";
            }
        } else if (strncmp(argv[i], "--seed=", 7) == 0) {
            rnd_state = (uint32_t)strtoul(argv[i] + 7, NULL, 10);
        } else if (strncmp(argv[i], "--access=", 9) == 0) {
            access_path = argv[i] + 9;
        } else if (strncmp(argv[i], "--flow-ooo-cap=", 15) == 0) {
            cfg.flow_ooo_cap = strtoull(argv[i] + 15, NULL, 10);
        } else if (strncmp(argv[i], "--memcap=", 9) == 0) {
            cfg.memcap = strtoull(argv[i] + 9, NULL, 10);
        } else if (strcmp(argv[i], "--stats") == 0) {
            stats = 1;
        } else {
            file = argv[i];
        }
    }
    if (file == NULL) {
        fprintf(
            stderr,
            "usage: bwt-sqlreplay [--mode=asis|onebyte|reseg:N|reorder|dup|overlap|mix|conflict] "
            "[--seed=N] [--access=FILE] [--stats] PCAP\n");
        return 2;
    }
    char eb[PCAP_ERRBUF_SIZE];
    struct bw_err err0;
    bw_err_clear(&err0);
    pcap_t *pc = pcap_open_offline(file, eb);
    if (pc == NULL) {
        fprintf(stderr, "bwt-sqlreplay: %s\n", eb);
        return 1;
    }
    if (decoder_init(&dec, NULL, &err0) != 0) {
        fprintf(stderr, "bwt-sqlreplay: %s\n", err0.msg);
        return 1;
    }
    int dlt = pcap_datalink(pc);
    pcap_loop(pc, -1, on_packet, (u_char *)&dlt);
    pcap_close(pc);
    decoder_fini(&dec);

    struct bw_err err;
    bw_err_clear(&err);
    se = stream_engine_new(&cfg, &err);
    struct eve_out *eve = eve_open("-", &err);
    if (se == NULL || eve == NULL) {
        fprintf(stderr, "bwt-sqlreplay: %s\n", err.msg);
        return 1;
    }
    if (access_path != NULL)
        access_out = fopen(access_path, "w");
    struct access_sink sink = {emit_access, NULL};
    memset(&tmpl, 0, sizeof(tmpl));
    tmpl.eve = eve;
    tmpl.access = &sink;

    /* "reorder" and "mix" also swap neighbouring data packets of one direction. */
    int swap = strcmp(mode, "reorder") == 0 || strcmp(mode, "mix") == 0;
    for (size_t i = 0; i < npkts; i++) {
        if (swap && i + 1 < npkts && pkts[i].len > 0 && pkts[i + 1].len > 0 &&
            pkts[i].flow == pkts[i + 1].flow && pkts[i].dir == pkts[i + 1].dir &&
            !((pkts[i].flags | pkts[i + 1].flags) & 0x07)) {
            play(&pkts[i + 1], mode, chunk);
            play(&pkts[i], mode, chunk);
            i++;
            continue;
        }
        play(&pkts[i], mode, chunk);
    }
    for (int i = 0; i < nflows; i++)
        stream_flow_end(se, &flows[i], &tmpl);
    if (stats) {
        const struct stream_stats *s = stream_engine_stats(se);
        fprintf(stderr,
                "{\"segments\":%llu,\"bytes_delivered\":%llu,\"ooo_segments\":%llu,"
                "\"retransmissions\":%llu,\"overlaps\":%llu,\"overlap_conflicts\":%llu,"
                "\"gaps\":%llu,\"gap_bytes\":%llu,\"memcap_drops\":%llu,"
                "\"flows_midstream\":%llu,\"parser_errors\":%llu,\"undetected\":%llu",
                (unsigned long long)s->segments, (unsigned long long)s->bytes_delivered,
                (unsigned long long)s->ooo_segments, (unsigned long long)s->retransmissions,
                (unsigned long long)s->overlaps, (unsigned long long)s->overlap_conflicts,
                (unsigned long long)s->gaps, (unsigned long long)s->gap_bytes,
                (unsigned long long)s->memcap_drops, (unsigned long long)s->flows_midstream,
                (unsigned long long)s->parser_errors, (unsigned long long)s->undetected);
        for (int i = 0; app_protos[i] != NULL && i < 16; i++)
            fprintf(stderr,
                    ",\"%s\":{\"detected\":%llu,\"errors\":%llu,\"gaps\":%llu,\"resyncs\":%llu,"
                    "\"events\":%llu}",
                    app_protos[i]->name, (unsigned long long)s->app[i].detected,
                    (unsigned long long)s->app[i].errors, (unsigned long long)s->app[i].gaps,
                    (unsigned long long)s->app[i].resyncs, (unsigned long long)s->app[i].events);
        fprintf(stderr, "}\n");
    }
    eve_close(eve);
    stream_engine_free(se);
    if (access_out != NULL)
        fclose(access_out);
    for (size_t i = 0; i < npkts; i++)
        free(pkts[i].data);
    free(pkts);
    return 0;
}
