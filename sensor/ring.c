/* Evidence ring of recent packets per flow (see ring.h). */
#include "sensor/ring.h"

#include "common/log.h"
#include "sensor/access.h"
#include "sensor/flow.h"
#if BW_RING_ALERT_HOOK
#include "sensor/alert.h"
#endif

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One packet: header + snaplen bytes, in one slab. */
struct ring_cell {
    struct ring_cell *next; /* free list, or the flow's list oldest -> newest */
    int64_t ts_us;
    uint32_t caplen, wirelen;
};

struct ring_head {
    struct ring_cell *first, *last; /* oldest, newest */
    struct ring_head *next_free;
    uint32_t count, bytes;
    int linktype;
};

struct ring_pool {
    struct ring_config cfg;
    size_t cell_size;
    unsigned char *slab; /* cells */
    struct ring_head *heads;
    size_t ncells, cells_used;    /* slab cells; [0, cells_used) handed out at least once */
    uint32_t heads_used;          /* heads[0, heads_used) handed out at least once */
    struct ring_cell *free_cells; /* given back, taken before the untouched rest */
    struct ring_head *free_heads;
    struct ring_stats st;
};

void ring_config_defaults(struct ring_config *cfg)
{
    cfg->enabled = 1;
    cfg->packets_per_flow = 64;
    cfg->bytes_per_flow = 128u << 10;
    cfg->snaplen = 2048;
    cfg->memcap = 32ull << 20;
    cfg->max_flows = 65536;
}

int ring_config_load(struct ring_config *cfg, const struct bw_config *conf, struct bw_err *err)
{
    static const char *const keys[] = {
        "enabled", "packets_per_flow", "bytes_per_flow", "snaplen", "memcap", "max_flows", NULL};
    ring_config_defaults(cfg);
    const struct bw_ynode *cap = conf ? config_section(conf, "capture") : NULL;
    const struct bw_ynode *sec = cap ? bw_ymap_get(cap, "evidence") : NULL, *v;
    if (sec == NULL)
        return 0;
    const struct bw_ydoc *doc = &conf->doc;
    if (bw_yexpect(doc, sec, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, sec, keys, err) != 0)
        return -1;
    uint64_t u;
    bool b;
    if ((v = bw_ymap_get(sec, "enabled")) != NULL) {
        if (bw_yget_bool(doc, v, &b, err) != 0)
            return -1;
        cfg->enabled = b;
    }
    if ((v = bw_ymap_get(sec, "packets_per_flow")) != NULL) {
        if (bw_yget_u64(doc, v, 1, 1u << 20, &u, err) != 0)
            return -1;
        cfg->packets_per_flow = (uint32_t)u;
    }
    if ((v = bw_ymap_get(sec, "bytes_per_flow")) != NULL) {
        if (bw_yget_size(doc, v, &u, err) != 0)
            return -1;
        if (u < 64 || u > (1ull << 31))
            return bw_ynode_err(doc, v, err, "bytes_per_flow: between 64 bytes and 2 GiB");
        cfg->bytes_per_flow = (uint32_t)u;
    }
    if ((v = bw_ymap_get(sec, "snaplen")) != NULL) {
        if (bw_yget_u64(doc, v, 64, 262144, &u, err) != 0)
            return -1;
        cfg->snaplen = (uint32_t)u;
    }
    if ((v = bw_ymap_get(sec, "memcap")) != NULL) {
        if (bw_yget_size(doc, v, &u, err) != 0)
            return -1;
        if (u < (64u << 10))
            return bw_ynode_err(doc, v, err, "memcap: at least 64 KiB");
        cfg->memcap = u;
    }
    if ((v = bw_ymap_get(sec, "max_flows")) != NULL) {
        if (bw_yget_u64(doc, v, 1, 1u << 24, &u, err) != 0)
            return -1;
        cfg->max_flows = (uint32_t)u;
    }
    return 0;
}

static unsigned char *cell_data(struct ring_cell *c)
{
    return (unsigned char *)(c + 1);
}

struct ring_pool *ring_pool_new(const struct ring_config *cfg, struct bw_err *err)
{
    struct ring_pool *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        bw_err_set(err, "evidence ring: out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    p->cell_size = (sizeof(struct ring_cell) + cfg->snaplen + 15) & ~(size_t)15;
    size_t heads_bytes = (size_t)cfg->max_flows * sizeof(struct ring_head);
    if (cfg->memcap <= heads_bytes + p->cell_size) {
        bw_err_set(err, "evidence ring: memcap %llu too small for %u flows",
                   (unsigned long long)cfg->memcap, cfg->max_flows);
        free(p);
        return NULL;
    }
    size_t ncells = (cfg->memcap - heads_bytes) / p->cell_size;
    p->slab = malloc(ncells * p->cell_size);
    p->heads = calloc(cfg->max_flows, sizeof(struct ring_head));
    if (p->slab == NULL || p->heads == NULL) {
        bw_err_set(err, "evidence ring: cannot allocate %llu bytes",
                   (unsigned long long)cfg->memcap);
        ring_pool_free(p);
        return NULL;
    }
    /* No free lists are built here: cells and heads are handed out in slab
     * order the first time, so start-up touches none of the pool's pages. */
    p->ncells = ncells;
    p->st.cells = p->st.cells_free = ncells;
    return p;
}

void ring_pool_free(struct ring_pool *p)
{
    if (p == NULL)
        return;
    free(p->slab);
    free(p->heads);
    free(p);
}

static struct ring_cell *pop_oldest(struct ring_head *h)
{
    struct ring_cell *c = h->first;
    if (c == NULL)
        return NULL;
    h->first = c->next;
    if (h->first == NULL)
        h->last = NULL;
    h->count--;
    h->bytes -= c->caplen;
    c->next = NULL;
    return c;
}

/* A free cell: a given-back one, else the next untouched one; NULL when dry. */
static struct ring_cell *cell_take(struct ring_pool *p)
{
    struct ring_cell *c = p->free_cells;
    if (c != NULL)
        p->free_cells = c->next;
    else if (p->cells_used < p->ncells)
        c = (struct ring_cell *)(p->slab + p->cells_used++ * p->cell_size);
    return c;
}

static void cell_free(struct ring_pool *p, struct ring_cell *c)
{
    c->next = p->free_cells;
    p->free_cells = c;
    p->st.cells_free++;
}

void ring_add(struct ring_pool *p, void **slot, const struct bw_packet *pkt)
{
    if (p == NULL || pkt->data == NULL)
        return;
    struct ring_head *h = *slot;
    if (h == NULL) {
        if (p->free_heads != NULL) {
            h = p->free_heads;
            p->free_heads = h->next_free;
        } else if (p->heads_used < p->cfg.max_flows) {
            h = &p->heads[p->heads_used++];
        } else {
            p->st.dropped_flows++;
            return;
        }
        memset(h, 0, sizeof(*h));
        h->linktype = pkt->linktype;
        *slot = h;
    }
    if (pkt->linktype != h->linktype) {
        /* A datagram rebuilt from fragments (raw IP): one pcap holds one
         * link type, so it is left out and counted. */
        p->st.other_linktype++;
        return;
    }
    uint32_t keep = pkt->caplen < p->cfg.snaplen ? pkt->caplen : p->cfg.snaplen;
    if (keep < pkt->caplen)
        p->st.truncated++;
    /* Make room within the flow's bounds, reusing its own oldest cells. */
    struct ring_cell *c = NULL;
    while (h->count > 0 &&
           (h->count >= p->cfg.packets_per_flow || h->bytes + keep > p->cfg.bytes_per_flow)) {
        if (c != NULL)
            cell_free(p, c);
        c = pop_oldest(h);
    }
    if (c == NULL) {
        if ((c = cell_take(p)) != NULL) {
            p->st.cells_free--;
        } else if (h->count > 0) {
            c = pop_oldest(h); /* pool dry: the flow gives up its oldest */
        } else {
            p->st.dropped_pool++;
            return;
        }
    }
    c->next = NULL;
    c->ts_us = pkt->ts_us;
    c->caplen = keep;
    c->wirelen = pkt->wirelen;
    memcpy(cell_data(c), pkt->data, keep);
    if (h->last != NULL)
        h->last->next = c;
    else
        h->first = c;
    h->last = c;
    h->count++;
    h->bytes += keep;
    p->st.packets++;
}

void ring_release(struct ring_pool *p, void **slot)
{
    struct ring_head *h = *slot;
    if (p == NULL || h == NULL)
        return;
    struct ring_cell *c;
    while ((c = pop_oldest(h)) != NULL)
        cell_free(p, c);
    h->next_free = p->free_heads;
    p->free_heads = h;
    *slot = NULL;
}

uint32_t ring_count(const struct ring_pool *p, void *const *slot)
{
    (void)p;
    const struct ring_head *h = *slot;
    return h ? h->count : 0;
}

static int file_sha256(const char *path, char out[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -1;
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    ssize_t n;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
        goto out;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

int ring_write_pcap(struct ring_pool *p, void *const *slot, const char *path, uint64_t *packets,
                    char sha256[65], struct bw_err *err)
{
    const struct ring_head *h = *slot;
    *packets = 0;
    if (h == NULL || h->count == 0)
        return bw_err_set(err, "evidence: no packets kept for this flow");
    pcap_t *dead = pcap_open_dead(h->linktype, (int)p->cfg.snaplen);
    if (dead == NULL)
        return bw_err_set(err, "evidence: pcap_open_dead failed");
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    pcap_dumper_t *d = pcap_dump_open(dead, tmp);
    if (d == NULL) {
        bw_err_set(err, "evidence: %s: %s", tmp, pcap_geterr(dead));
        pcap_close(dead);
        p->st.write_errors++;
        return -1;
    }
    for (struct ring_cell *c = h->first; c != NULL; c = c->next) {
        struct pcap_pkthdr ph;
        ph.ts.tv_sec = (time_t)(c->ts_us / 1000000);
        ph.ts.tv_usec = (suseconds_t)(c->ts_us % 1000000);
        ph.caplen = c->caplen;
        ph.len = c->wirelen > c->caplen ? c->wirelen : c->caplen;
        pcap_dump((u_char *)d, &ph, cell_data(c));
        (*packets)++;
    }
    int bad = pcap_dump_flush(d) != 0;
    FILE *f = pcap_dump_file(d);
    bad |= f == NULL || fsync(fileno(f)) != 0;
    pcap_dump_close(d);
    pcap_close(dead);
    if (bad || rename(tmp, path) != 0 || file_sha256(path, sha256) != 0) {
        unlink(tmp);
        p->st.write_errors++;
        return bw_err_set(err, "evidence: %s: %s", path, strerror(errno));
    }
    p->st.written++;
    return 0;
}

int ring_evidence_path(const char *state_dir, const char *alert_id, char *path, size_t pathlen,
                       struct bw_err *err)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/evidence", state_dir);
    if (mkdir(state_dir, 0750) != 0 && errno != EEXIST)
        return bw_err_set(err, "%s: %s", state_dir, strerror(errno));
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return bw_err_set(err, "%s: %s", dir, strerror(errno));
    char absdir[PATH_MAX];
    if (realpath(dir, absdir) == NULL) /* the responder may run elsewhere */
        return bw_err_set(err, "%s: %s", dir, strerror(errno));
    char safe[128];
    size_t n = 0;
    for (const char *s = alert_id; *s && n + 1 < sizeof(safe); s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        if (n == 0 && c == '.')
            ok = 0; /* no hidden files, no ".." */
        safe[n] = ok ? c : '_';
        n++;
    }
    safe[n] = '\0';
    if (n == 0)
        return bw_err_set(err, "evidence: empty alert id");
    if ((size_t)snprintf(path, pathlen, "%s/%s.pcap", absdir, safe) >= pathlen)
        return bw_err_set(err, "evidence: path too long");
    return 0;
}

void ring_get_stats(const struct ring_pool *p, struct ring_stats *out)
{
    *out = p->st;
}

#if BW_RING_ALERT_HOOK
void ring_alert_evidence(void *ctx, struct bw_alert *a, const struct bw_access *ev)
{
    struct ring_evidence_ctx *c = ctx;
    struct bw_err err;
    char path[sizeof(a->evidence_pcap)];
    uint64_t packets = 0;
    if (c == NULL || c->ring == NULL || ev == NULL || ev->flow == NULL)
        return;
    if (ring_evidence_path(c->state_dir, a->alert_id, path, sizeof(path), &err) != 0 ||
        ring_write_pcap(c->ring, &ev->flow->ring, path, &packets, a->evidence_sha256, &err)) {
        bw_warn("%s", err.msg);
        return;
    }
    snprintf(a->evidence_pcap, sizeof(a->evidence_pcap), "%s", path);
    a->evidence_packets = packets;
    a->has_evidence = 1;
}
#endif
