/* IPv4 and IPv6 fragment reassembly for one decoder: trackers keyed by
 * addresses, id, protocol (IPv4) and VLAN, held in preallocated pools bounded
 * by a memcap and a tracker count; first-received data wins on overlap. */
#ifndef BW_DEFRAG_H
#define BW_DEFRAG_H

#include <stdint.h>

#include "common/err.h"
#include "sensor/decode.h"
#include "sensor/packet.h"

/* Fragment data is stored in chunks of this many bytes (memcap accounting unit). */
#define DEFRAG_CHUNK 2048u
/* Largest unfragmentable part (IPv4 header, IPv6 header + extension headers) kept. */
#define DEFRAG_HDR_MAX 1024u

/* One fragment as the IP decoders see it. The key fields (addresses, VLAN)
 * are taken from the packet, which the IP decoder has filled in. */
struct defrag_frag {
    uint8_t version;    /* 4 or 6 */
    uint8_t proto;      /* IPv4: protocol (part of the key); IPv6: next header after
                           the fragment header (used from the offset-0 fragment) */
    uint32_t id;        /* IPv4: 16-bit id; IPv6: 32-bit id */
    const uint8_t *hdr; /* unfragmentable part: IPv4 header or IPv6 header up to the
                           fragment header (borrowed) */
    uint32_t hdr_len;
    uint32_t nh_off;     /* IPv6: offset in hdr of the next-header byte naming the
                            fragment header (patched on reassembly) */
    uint32_t off;        /* fragment offset in bytes */
    const uint8_t *data; /* fragment payload (borrowed) */
    uint32_t len;
    int more; /* more fragments follow */
};

/* Allocates the pools for cfg's limits. Returns NULL with err. */
struct defrag *defrag_new(const struct decode_config *cfg, struct bw_err *err);
/* Frees everything; df may be NULL. */
void defrag_free(struct defrag *df);

/* Adds a fragment of packet p at time p->ts_us. Returns 1 when it completed a
 * datagram: *out and *outlen then hold the rebuilt datagram (owned by df, valid
 * until the next call) and *wirelen the sum of the fragments' wire lengths.
 * Returns 0 when the fragment is held or dropped; events (overlap, memcap,
 * invalid, too large) are raised on p and counted in d. Never allocates. */
int defrag_add(struct decoder *d, struct bw_packet *p, const struct defrag_frag *f,
               const uint8_t **out, uint32_t *outlen, uint32_t *wirelen);

/* Drops trackers older than the timeout at now_us (each counted as FRAG_TIMEOUT). */
void defrag_expire(struct decoder *d, int64_t now_us);

/* Trackers and chunks in use (tests, stats). */
uint32_t defrag_trackers_used(const struct defrag *df);
uint32_t defrag_chunks_used(const struct defrag *df);

#endif
