/* Flow table: a preallocated pool of flows, a hash of direction-independent
 * keys, and one LRU list per timeout class so that expiry and eviction only
 * ever look at list heads. */
#include "sensor/flow.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

/* TCP flag bits as on the wire. */
#define TF_FIN 0x01u
#define TF_SYN 0x02u
#define TF_RST 0x04u
#define TF_ACK 0x10u

/* Timeout classes: within one list flows are in last-seen order, and every
 * flow of a list has the same timeout, so the head is always the next to
 * expire. */
enum { TC_NEW, TC_EST, TC_CLOSED, TC_UDP, TC_ICMP, TC_OTHER, TC_MAX };

struct flow_list {
    struct flow *head, *tail;
};

struct flow_table {
    struct flow_config cfg;
    flow_end_fn on_end;
    void *ctx;
    struct flow *pool;      /* zero pages until used: never cleared or chained up front */
    uint64_t pool_n;        /* flows in the pool */
    uint64_t pool_used;     /* pool[0..pool_used) have been handed out at least once */
    struct flow *free_list; /* ended flows, chained through hnext; taken before pool_used */
    struct flow **buckets;
    uint32_t mask;
    struct flow_list lru[TC_MAX];
    uint64_t timeout[TC_MAX];
    int64_t now_us;
    struct flow_stats stats;
};

void flow_config_defaults(struct flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->memcap = 64ull << 20;
    cfg->hash_size = 0;
    cfg->timeout_new_us = 30ull * 1000000;
    cfg->timeout_est_us = 300ull * 1000000;
    cfg->timeout_closed_us = 10ull * 1000000;
    cfg->timeout_udp_us = 60ull * 1000000;
    cfg->timeout_icmp_us = 30ull * 1000000;
    cfg->timeout_other_us = 60ull * 1000000;
    cfg->community_id_seed = 0;
}

static uint32_t pow2_at_least(uint64_t n)
{
    uint32_t v = 16;
    while (v < n && v < (1u << 30))
        v <<= 1;
    return v;
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ctx,
                                  struct bw_err *err)
{
    struct flow_table *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        bw_err_set(err, "flow table: out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    t->on_end = on_end;
    t->ctx = ctx;
    /* The memcap covers the pool and the bucket array. */
    uint64_t per_flow = sizeof(struct flow) + sizeof(struct flow *);
    uint64_t n = cfg->memcap / per_flow;
    if (n < 16) {
        bw_err_set(err, "flow.memcap %llu is too small (at least %llu bytes)",
                   (unsigned long long)cfg->memcap, (unsigned long long)(16 * per_flow));
        free(t);
        return NULL;
    }
    uint32_t buckets = cfg->hash_size ? pow2_at_least(cfg->hash_size) : pow2_at_least(n);
    if ((uint64_t)buckets * sizeof(struct flow *) < cfg->memcap)
        n = (cfg->memcap - (uint64_t)buckets * sizeof(struct flow *)) / sizeof(struct flow);
    if (n < 16)
        n = 16;
    if (n > (1u << 30))
        n = 1u << 30;
    t->pool = calloc(n, sizeof(struct flow));
    t->buckets = calloc(buckets, sizeof(struct flow *));
    if (t->pool == NULL || t->buckets == NULL) {
        bw_err_set(err, "flow table: cannot allocate %llu flows", (unsigned long long)n);
        free(t->pool);
        free(t->buckets);
        free(t);
        return NULL;
    }
    t->mask = buckets - 1;
    t->pool_n = n;
    t->stats.pool_size = n;
    t->timeout[TC_NEW] = cfg->timeout_new_us;
    t->timeout[TC_EST] = cfg->timeout_est_us;
    t->timeout[TC_CLOSED] = cfg->timeout_closed_us;
    t->timeout[TC_UDP] = cfg->timeout_udp_us;
    t->timeout[TC_ICMP] = cfg->timeout_icmp_us;
    t->timeout[TC_OTHER] = cfg->timeout_other_us;
    t->now_us = INT64_MIN;
    return t;
}

/* ---- keys and hashing ---- */

static int endpoint_cmp(const struct bw_addr *a, uint16_t ap, const struct bw_addr *b, uint16_t bp)
{
    int c = bw_addr_cmp(a, b);
    if (c != 0)
        return c;
    return (int)ap - (int)bp;
}

void flow_key_from_packet(const struct bw_packet *p, struct flow_key *k)
{
    memset(k, 0, sizeof(*k));
    uint16_t sp = 0, dp = 0;
    /* ICMP flows are keyed by addresses only: a request and its reply have
     * different types but belong to one flow. */
    if (p->proto != IPPROTO_ICMP && p->proto != IPPROTO_ICMPV6 && (p->flags & PKT_HAS_L4)) {
        sp = p->sport;
        dp = p->dport;
    }
    if (endpoint_cmp(&p->src, sp, &p->dst, dp) <= 0) {
        k->lo = p->src;
        k->hi = p->dst;
        k->lo_port = sp;
        k->hi_port = dp;
    } else {
        k->lo = p->dst;
        k->hi = p->src;
        k->lo_port = dp;
        k->hi_port = sp;
    }
    k->vlan_n = p->vlan_n > 2 ? 2 : p->vlan_n;
    for (int i = 0; i < k->vlan_n; i++)
        k->vlan[i] = p->vlan[i] & 0x0fff;
    k->proto = p->proto;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t key_hash64(const struct flow_key *k)
{
    uint64_t w[(sizeof(struct flow_key) + 7) / 8] = {0};
    memcpy(w, k, sizeof(*k));
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
        h = mix64(h ^ w[i]);
    return h;
}

uint32_t flow_key_hash(const struct flow_key *k)
{
    uint64_t h = key_hash64(k);
    return (uint32_t)(h ^ (h >> 32));
}

/* ---- Community ID v1 ---- */

/* ICMP types that have a counterpart (request/reply); others are one-way and
 * use the code as the "destination port" (community-id-spec). */
static int icmp_counterpart(int v6, uint8_t type, uint8_t *out)
{
    static const uint8_t v4[][2] = {{8, 0},   {0, 8},  {13, 14}, {14, 13}, {15, 16},
                                    {16, 15}, {10, 9}, {9, 10},  {17, 18}, {18, 17}};
    static const uint8_t v6map[][2] = {{128, 129}, {129, 128}, {130, 131}, {131, 130},
                                       {133, 134}, {134, 133}, {135, 136}, {136, 135},
                                       {139, 140}, {140, 139}, {144, 145}, {145, 144}};
    const uint8_t(*m)[2] = v6 ? v6map : v4;
    size_t n = v6 ? sizeof(v6map) / sizeof(v6map[0]) : sizeof(v4) / sizeof(v4[0]);
    for (size_t i = 0; i < n; i++)
        if (m[i][0] == type) {
            *out = m[i][1];
            return 1;
        }
    return 0;
}

char *flow_community_id(uint16_t seed, const struct bw_addr *src, const struct bw_addr *dst,
                        uint8_t proto, uint16_t sport, uint16_t dport, char *out)
{
    int has_ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == 132 /* SCTP */ ||
                    proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
    int one_way = 0;
    if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
        uint8_t peer;
        if (icmp_counterpart(proto == IPPROTO_ICMPV6, (uint8_t)sport, &peer)) {
            dport = peer;
        } else {
            one_way = 1; /* dport already holds the code */
        }
    }
    const struct bw_addr *a = src, *b = dst;
    uint16_t ap = sport, bp = dport;
    if (!one_way) {
        int c = memcmp(src->bytes, dst->bytes, src->family == AF_INET ? 4 : 16);
        if (c > 0 || (c == 0 && sport > dport)) {
            a = dst;
            b = src;
            ap = dport;
            bp = sport;
        }
    }
    size_t alen = src->family == AF_INET ? 4 : 16;
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, a->bytes, alen);
    n += alen;
    memcpy(buf + n, b->bytes, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (has_ports) {
        buf[n++] = (uint8_t)(ap >> 8);
        buf[n++] = (uint8_t)ap;
        buf[n++] = (uint8_t)(bp >> 8);
        buf[n++] = (uint8_t)bp;
    }
    uint8_t md[SHA_DIGEST_LENGTH];
    SHA1(buf, n, md);
    out[0] = '1';
    out[1] = ':';
    EVP_EncodeBlock((unsigned char *)out + 2, md, SHA_DIGEST_LENGTH);
    return out;
}

/* ---- lists ---- */

static void lru_unlink(struct flow_table *t, struct flow *f)
{
    struct flow_list *l = &t->lru[f->tclass];
    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *t, struct flow *f)
{
    struct flow_list *l = &t->lru[f->tclass];
    f->lru_next = NULL;
    f->lru_prev = l->tail;
    if (l->tail)
        l->tail->lru_next = f;
    else
        l->head = f;
    l->tail = f;
}

static uint8_t flow_tclass(const struct flow *f)
{
    switch (f->proto) {
    case IPPROTO_TCP:
        switch (f->tcp_state) {
        /* Half-closed connections can still carry data for a long time:
         * only a fully closed one gets the short timeout (as in Suricata). */
        case FLOW_TCP_ESTABLISHED:
        case FLOW_TCP_FIN_WAIT:
        case FLOW_TCP_CLOSING:
            return TC_EST;
        case FLOW_TCP_CLOSED:
            return TC_CLOSED;
        default:
            return TC_NEW;
        }
    case IPPROTO_UDP:
        return TC_UDP;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        return TC_ICMP;
    default:
        return TC_OTHER;
    }
}

/* A free flow: an ended one first (LIFO), else the next never-used one of the
 * pool, so start-up touches none of the pool's pages. NULL when all are live. */
static struct flow *flow_take(struct flow_table *t)
{
    struct flow *f = t->free_list;
    if (f != NULL)
        t->free_list = f->hnext;
    else if (t->pool_used < t->pool_n)
        f = &t->pool[t->pool_used++];
    return f;
}

static void flow_end(struct flow_table *t, struct flow *f, enum flow_end_reason why)
{
    if (t->on_end)
        t->on_end(t->ctx, f, why);
    lru_unlink(t, f);
    struct flow **pp = &t->buckets[f->hash & t->mask];
    while (*pp != f)
        pp = &(*pp)->hnext;
    *pp = f->hnext;
    memset(f, 0, sizeof(*f));
    f->hnext = t->free_list;
    t->free_list = f;
    t->stats.ended++;
    t->stats.active--;
    if (why == FLOW_END_TIMEOUT)
        t->stats.timed_out++;
    else if (why == FLOW_END_EVICTED)
        t->stats.evicted++;
}

/* The least recently seen flow of all lists, NULL when the table is empty. */
static struct flow *flow_oldest(struct flow_table *t)
{
    struct flow *best = NULL;
    for (int i = 0; i < TC_MAX; i++) {
        struct flow *h = t->lru[i].head;
        if (h && (best == NULL || h->last_us < best->last_us))
            best = h;
    }
    return best;
}

/* ---- per packet ---- */

static void flow_init(struct flow_table *t, struct flow *f, const struct flow_key *k, uint32_t hash,
                      const struct bw_packet *p)
{
    f->key = *k;
    f->hash = hash;
    f->proto = p->proto;
    f->start_us = f->last_us = p->ts_us;
    int swap = p->proto == IPPROTO_TCP && (p->flags & PKT_HAS_L4) &&
               (p->tcp_flags & (TF_SYN | TF_ACK)) == (TF_SYN | TF_ACK);
    f->cli = swap ? p->dst : p->src;
    f->srv = swap ? p->src : p->dst;
    f->cport = swap ? p->dport : p->sport;
    f->sport = swap ? p->sport : p->dport;
    if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
        /* cport/sport hold the first packet's type and code (for the
         * community id); EVE writes no ports for ICMP. */
        f->cport = p->sport;
        f->sport = p->dport;
    }
    if (!(p->flags & PKT_HAS_L4))
        f->cport = f->sport = 0;
    f->tcp_state = p->proto == IPPROTO_TCP ? FLOW_TCP_SYN_SENT : FLOW_TCP_NONE;
    if (p->proto == IPPROTO_TCP && (p->tcp_flags & TF_SYN) == 0)
        f->tcp_state = FLOW_TCP_ESTABLISHED; /* picked up midstream */
    if (p->proto == IPPROTO_TCP && swap)
        f->tcp_state = FLOW_TCP_SYN_RECV;
    flow_community_id((uint16_t)t->cfg.community_id_seed, &f->cli, &f->srv, f->proto, f->cport,
                      f->sport, f->community_id);
    /* flow_id: stable for a key and start time, kept below 2^53 so that JSON
     * readers using doubles keep every digit. */
    uint64_t id = mix64(key_hash64(k) ^ mix64((uint64_t)p->ts_us)) & ((1ull << 53) - 1);
    f->flow_id = id ? id : 1;
    f->in_use = 1;
    t->stats.created++;
    t->stats.active++;
}

static void tcp_update(struct flow *f, int dir, uint8_t flags)
{
    f->tcp_flags_seen[dir] |= flags;
    if (flags & TF_RST) {
        f->tcp_state = FLOW_TCP_CLOSED;
        return;
    }
    switch (f->tcp_state) {
    case FLOW_TCP_SYN_SENT:
        if (dir == FLOW_TOCLIENT && (flags & (TF_SYN | TF_ACK)) == (TF_SYN | TF_ACK))
            f->tcp_state = FLOW_TCP_SYN_RECV;
        break;
    case FLOW_TCP_SYN_RECV:
        if (dir == FLOW_TOSERVER && (flags & TF_ACK) && !(flags & TF_SYN))
            f->tcp_state = FLOW_TCP_ESTABLISHED;
        break;
    default:
        break;
    }
    if (flags & TF_FIN) {
        int other_fin = f->tcp_flags_seen[!dir] & TF_FIN;
        if (f->tcp_state == FLOW_TCP_CLOSING || f->tcp_state == FLOW_TCP_CLOSED)
            return;
        f->tcp_state = other_fin ? FLOW_TCP_CLOSING : FLOW_TCP_FIN_WAIT;
    } else if (f->tcp_state == FLOW_TCP_CLOSING && (flags & TF_ACK)) {
        /* A pure ACK after both FINs acknowledges the last one. */
        f->tcp_state = FLOW_TCP_CLOSED;
    }
}

struct flow *flow_handle_packet(struct flow_table *t, const struct bw_packet *p, int *dir)
{
    if (!(p->flags & PKT_HAS_IP))
        return NULL;
    if (p->ts_us > t->now_us)
        t->now_us = p->ts_us;
    struct flow_key k;
    flow_key_from_packet(p, &k);
    uint32_t h = flow_key_hash(&k);
    struct flow *f = t->buckets[h & t->mask];
    while (f != NULL && (f->hash != h || memcmp(&f->key, &k, sizeof(k)) != 0))
        f = f->hnext;
    if (f != NULL) {
        int is_syn = p->proto == IPPROTO_TCP && (p->flags & PKT_HAS_L4) &&
                     (p->tcp_flags & (TF_SYN | TF_ACK)) == TF_SYN;
        if (is_syn && f->tcp_state == FLOW_TCP_CLOSED) {
            /* Port reuse: a new connection on a finished tuple. */
            flow_end(t, f, FLOW_END_CLOSED);
            f = NULL;
        } else if (t->now_us - f->last_us > (int64_t)t->timeout[f->tclass]) {
            flow_end(t, f, FLOW_END_TIMEOUT);
            f = NULL;
        }
    }
    if (f == NULL) {
        if ((f = flow_take(t)) == NULL) {
            flow_end(t, flow_oldest(t), FLOW_END_EVICTED);
            f = flow_take(t);
        }
        memset(f, 0, sizeof(*f));
        flow_init(t, f, &k, h, p);
        f->hnext = t->buckets[h & t->mask];
        t->buckets[h & t->mask] = f;
        f->tclass = flow_tclass(f);
        lru_append(t, f);
    }
    int d = FLOW_TOSERVER;
    if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6 || !(p->flags & PKT_HAS_L4))
        d = bw_addr_eq(&p->src, &f->cli) ? FLOW_TOSERVER : FLOW_TOCLIENT;
    else if (!(bw_addr_eq(&p->src, &f->cli) && p->sport == f->cport))
        d = FLOW_TOCLIENT;
    f->pkts[d]++;
    f->bytes[d] += p->wirelen;
    if (p->ts_us > f->last_us)
        f->last_us = p->ts_us;
    if (f->proto == IPPROTO_TCP && (p->flags & PKT_HAS_L4))
        tcp_update(f, d, p->tcp_flags);
    lru_unlink(t, f);
    f->tclass = flow_tclass(f);
    lru_append(t, f);
    *dir = d;
    return f;
}

void flow_table_tick(struct flow_table *t, int64_t now_us)
{
    if (now_us > t->now_us)
        t->now_us = now_us;
    for (int i = 0; i < TC_MAX; i++) {
        struct flow *f;
        while ((f = t->lru[i].head) != NULL && t->now_us - f->last_us > (int64_t)t->timeout[i])
            flow_end(t, f, FLOW_END_TIMEOUT);
    }
}

void flow_table_end_all(struct flow_table *t, enum flow_end_reason why)
{
    struct flow *f;
    while ((f = flow_oldest(t)) != NULL)
        flow_end(t, f, why);
}

void flow_table_free(struct flow_table *t)
{
    if (t == NULL)
        return;
    flow_table_end_all(t, FLOW_END_SHUTDOWN);
    free(t->pool);
    free(t->buckets);
    free(t);
}

const struct flow_stats *flow_table_stats(const struct flow_table *t)
{
    return &t->stats;
}

const char *flow_tcp_state_name(enum flow_tcp_state s)
{
    switch (s) {
    case FLOW_TCP_NONE:
        return "none";
    case FLOW_TCP_SYN_SENT:
        return "syn_sent";
    case FLOW_TCP_SYN_RECV:
        return "syn_recv";
    case FLOW_TCP_ESTABLISHED:
        return "established";
    case FLOW_TCP_FIN_WAIT:
        return "fin_wait";
    case FLOW_TCP_CLOSING:
        return "closing";
    case FLOW_TCP_CLOSED:
        return "closed";
    }
    return "unknown";
}

const char *flow_end_reason_name(enum flow_end_reason r)
{
    switch (r) {
    case FLOW_END_TIMEOUT:
        return "timeout";
    case FLOW_END_SHUTDOWN:
        return "shutdown";
    case FLOW_END_EVICTED:
        return "evicted";
    case FLOW_END_CLOSED:
        return "closed";
    }
    return "unknown";
}

const char *flow_state_name(const struct flow *f)
{
    if (f->proto == IPPROTO_TCP) {
        switch (f->tcp_state) {
        case FLOW_TCP_ESTABLISHED:
        case FLOW_TCP_FIN_WAIT:
        case FLOW_TCP_CLOSING:
            return "established";
        case FLOW_TCP_CLOSED:
            return "closed";
        default:
            return "new";
        }
    }
    return f->pkts[FLOW_TOCLIENT] > 0 ? "established" : "new";
}

/* ---- configuration ---- */

int flow_config_load(struct flow_config *cfg, const struct bw_config *conf, struct bw_err *err)
{
    static const char *const keys[] = {"memcap", "hash_size", "community_id_seed", "timeouts",
                                       NULL};
    static const char *const tkeys[] = {"new",  "established", "closed", "udp",
                                        "icmp", "other",       NULL};
    flow_config_defaults(cfg);
    const struct bw_ynode *sec = conf ? config_section(conf, "flow") : NULL;
    if (sec == NULL)
        return 0;
    const struct bw_ydoc *doc = &conf->doc;
    if (bw_yexpect(doc, sec, BW_Y_MAP, err) || bw_ymap_check_keys(doc, sec, keys, err))
        return -1;
    const struct bw_ynode *n;
    uint64_t v;
    if ((n = bw_ymap_get(sec, "memcap")) && bw_yget_size(doc, n, &cfg->memcap, err))
        return -1;
    if ((n = bw_ymap_get(sec, "hash_size"))) {
        if (bw_yget_u64(doc, n, 16, 1u << 30, &v, err))
            return -1;
        cfg->hash_size = (uint32_t)v;
    }
    if ((n = bw_ymap_get(sec, "community_id_seed"))) {
        if (bw_yget_u64(doc, n, 0, 65535, &v, err))
            return -1;
        cfg->community_id_seed = (uint32_t)v;
    }
    const struct bw_ynode *to = bw_ymap_get(sec, "timeouts");
    if (to == NULL)
        return 0;
    if (bw_yexpect(doc, to, BW_Y_MAP, err) || bw_ymap_check_keys(doc, to, tkeys, err))
        return -1;
    uint64_t *dst[] = {&cfg->timeout_new_us, &cfg->timeout_est_us,  &cfg->timeout_closed_us,
                       &cfg->timeout_udp_us, &cfg->timeout_icmp_us, &cfg->timeout_other_us};
    for (int i = 0; tkeys[i] != NULL; i++)
        if ((n = bw_ymap_get(to, tkeys[i])) && bw_yget_duration_us(doc, n, dst[i], err))
            return -1;
    return 0;
}
