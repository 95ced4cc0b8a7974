/* sensor/ring.c on a recorded capture (pcaps/exfil-pgsql-bulk.pcap) through
 * the real decoder and flow table: per-flow bounds, the most recent packets
 * kept, the pcap excerpt readable with the capture's link type and the same
 * bytes, pool exhaustion counted, every cell returned at flow end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "sensor/decode.h"
#include "sensor/flow.h"
#include "sensor/ring.h"

#define CAPTURE "pcaps/exfil-pgsql-bulk.pcap"

struct run {
    struct ring_pool *ring;
    struct flow *biggest; /* flow with the most packets (still live) */
    uint64_t biggest_pkts;
    /* last packet of the biggest flow, to compare with the excerpt */
    unsigned char last[4096];
    uint32_t last_len;
    int linktype;
    uint32_t max_count;
};

static void on_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    (void)why;
    struct run *r = ctx;
    if (f == r->biggest)
        r->biggest = NULL;
    ring_release(r->ring, &f->ring);
}

/* Feeds the capture; stops (leaving flows live) after the last packet. */
static struct flow_table *feed(struct run *r, const struct ring_config *rc)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(CAPTURE, eb);
    assert_non_null(pc);
    r->linktype = pcap_datalink(pc);
    struct bw_err err;
    r->ring = ring_pool_new(rc, &err);
    assert_non_null(r->ring);
    struct decode_config dc;
    decode_config_defaults(&dc);
    static struct decoder dec;
    assert_int_equal(decoder_init(&dec, &dc, &err), 0);
    struct flow_config fc;
    flow_config_defaults(&fc);
    struct flow_table *t = flow_table_new(&fc, on_end, r, &err);
    assert_non_null(t);
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct bw_packet p;
        int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        if (decode_packet(&dec, r->linktype, data, h->caplen, h->len, ts, &p) != 1)
            continue;
        int dir;
        struct flow *f = flow_handle_packet(t, &p, &dir);
        if (f == NULL)
            continue;
        ring_add(r->ring, &f->ring, &p);
        uint32_t n = ring_count(r->ring, &f->ring);
        if (n > r->max_count)
            r->max_count = n;
        uint64_t total = f->pkts[0] + f->pkts[1];
        if (total >= r->biggest_pkts) {
            r->biggest = f;
            r->biggest_pkts = total;
        }
        if (f == r->biggest) {
            r->last_len = h->caplen < rc->snaplen ? h->caplen : rc->snaplen;
            memcpy(r->last, data, r->last_len);
        }
    }
    pcap_close(pc);
    decoder_fini(&dec);
    return t;
}

static void test_excerpt(void **state)
{
    (void)state;
    struct ring_config rc;
    ring_config_defaults(&rc);
    rc.packets_per_flow = 32;
    rc.snaplen = 4096;
    struct run r;
    memset(&r, 0, sizeof(r));
    struct flow_table *t = feed(&r, &rc);
    assert_true(r.max_count <= 32);
    assert_non_null(r.biggest);
    assert_true(r.biggest_pkts > 32); /* the ring really wrapped */
    assert_int_equal(ring_count(r.ring, &r.biggest->ring), 32);

    char dir[] = "/tmp/bw-test-ring-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    struct bw_err err;
    assert_int_equal(ring_evidence_path(dir, "sensor-1/../x", path, sizeof(path), &err), 0);
    assert_null(strstr(path + strlen(dir), "/../"));
    uint64_t pk = 0;
    char sha[65];
    assert_int_equal(ring_write_pcap(r.ring, &r.biggest->ring, path, &pk, sha, &err), 0);
    assert_int_equal(pk, 32);
    assert_int_equal(strlen(sha), 64);

    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, eb);
    assert_non_null(pc);
    assert_int_equal(pcap_datalink(pc), r.linktype);
    struct pcap_pkthdr *h;
    const u_char *data;
    int n = 0;
    unsigned char last[4096];
    uint32_t last_len = 0;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        n++;
        last_len = h->caplen;
        memcpy(last, data, h->caplen);
    }
    pcap_close(pc);
    assert_int_equal(n, 32);
    assert_int_equal(last_len, r.last_len);
    assert_memory_equal(last, r.last, last_len); /* the newest packet is the flow's last */

    /* every cell goes back at flow end */
    flow_table_free(t);
    struct ring_stats st;
    ring_get_stats(r.ring, &st);
    assert_int_equal(st.cells_free, st.cells);
    assert_int_equal(st.written, 1);
    ring_pool_free(r.ring);
    unlink(path);
    rmdir(dir);
}

static void test_pool_exhaustion(void **state)
{
    (void)state;
    struct ring_config rc;
    ring_config_defaults(&rc);
    rc.memcap = 64u << 10; /* a handful of cells for the whole capture */
    rc.max_flows = 2;
    struct run r;
    memset(&r, 0, sizeof(r));
    struct flow_table *t = feed(&r, &rc);
    struct ring_stats st;
    ring_get_stats(r.ring, &st);
    assert_true(st.cells < 40);
    assert_true(st.packets > 0);
    flow_table_free(t);
    ring_get_stats(r.ring, &st);
    assert_int_equal(st.cells_free, st.cells);
    ring_pool_free(r.ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_excerpt),
        cmocka_unit_test(test_pool_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
