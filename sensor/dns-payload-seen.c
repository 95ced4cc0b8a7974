/* DNS payload, recent names: the sensor-wide cache (a mutex inside) that
 * tells a first sighting from a repeat and from a resolver's forwarded copy of
 * its client's query, whichever worker sees which leg first. */
#include "sensor/dns-payload.h"

#include <pthread.h>
#include <stdlib.h>

#include "sensor/dns-payload-internal.h"

struct seen_ent {
    uint64_t name, actor, dest; /* name 0 = empty slot */
    int64_t ts;
};

struct dns_seen {
    pthread_mutex_t mu;
    struct seen_ent set[DNS_SEEN_SETS][DNS_SEEN_WAYS];
    uint64_t fwd[DNS_SEEN_FORWARDERS]; /* (actor, domain) keys; 0 = empty */
    unsigned fwd_pos;
};

struct dns_seen *dns_seen_new(struct bw_err *err)
{
    struct dns_seen *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        bw_err_set(err, "dns payload: out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void dns_seen_free(struct dns_seen *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int fwd_has(const struct dns_seen *s, uint64_t k)
{
    for (unsigned i = 0; i < DNS_SEEN_FORWARDERS; i++)
        if (s->fwd[i] == k)
            return 1;
    return 0;
}

static void fwd_add(struct dns_seen *s, uint64_t k)
{
    if (fwd_has(s, k))
        return;
    s->fwd[s->fwd_pos] = k;
    s->fwd_pos = (s->fwd_pos + 1) % DNS_SEEN_FORWARDERS;
}

enum dns_seen_verdict dns_seen_check(struct dns_seen *s, const struct bw_addr *actor,
                                     const struct bw_addr *dest, const char *name, size_t len,
                                     const char *domain, size_t domain_len, int64_t ts_us)
{
    len = dp_strip_dot(name, len);
    uint64_t nh = dp_fnv_fold(0xcbf29ce484222325ull, name, len) | 1;
    uint64_t dh = dp_fnv_fold(0x84222325cbf29ce4ull, domain, dp_strip_dot(domain, domain_len));
    uint64_t ah = dp_addr_hash(actor), sh = dp_addr_hash(dest);
    uint64_t fkey = dp_mix64(ah ^ dh) | 1;
    enum dns_seen_verdict v = DNS_SEEN_NEW;
    pthread_mutex_lock(&s->mu);
    if (ah != 0 && fwd_has(s, fkey)) {
        v = DNS_SEEN_FORWARD;
        goto out;
    }
    struct seen_ent *set = s->set[dp_mix64(nh) % DNS_SEEN_SETS], *e = NULL, *victim = NULL;
    int victim_live = 1;
    for (int w = 0; w < DNS_SEEN_WAYS; w++) {
        struct seen_ent *c = &set[w];
        int64_t age = ts_us - c->ts;
        int live = c->name != 0 && age <= DNS_SEEN_WINDOW_US && -age <= DNS_SEEN_WINDOW_US;
        if (live && c->name == nh) {
            e = c;
            break;
        }
        if (!live) {
            if (victim == NULL || victim_live)
                victim = c;
            victim_live = 0;
        } else if (victim == NULL || (victim_live && c->ts < victim->ts)) {
            victim = c; /* the oldest of a full set goes */
        }
    }
    if (e == NULL) {
        victim->name = nh;
        victim->actor = ah;
        victim->dest = sh;
        victim->ts = ts_us;
        goto out;
    }
    if (e->actor == ah) {
        v = DNS_SEEN_REPEAT; /* retransmission */
    } else if (ah != 0 && e->dest == ah) {
        fwd_add(s, fkey); /* its client asked us first: we pass it on */
        v = DNS_SEEN_FORWARD;
    } else if (sh != 0 && e->actor == sh) {
        /* The copy we saw first was our server forwarding this very query
         * (another worker got to it sooner): the server is the forwarder and
         * this is the original. */
        fwd_add(s, dp_mix64(sh ^ dh) | 1);
        e->actor = ah;
        e->dest = sh;
        e->ts = ts_us;
    } else {
        v = DNS_SEEN_REPEAT; /* someone else asked the same */
    }
out:
    pthread_mutex_unlock(&s->mu);
    return v;
}
