/* Packet capture, the first stage: capture files (pcap, pcapng; several, in
 * order) or live interfaces (several, polled together) through libpcap, with
 * shutdown driven by a flag that a signal handler sets. Live capture never
 * blocks inside libpcap: every handle is non-blocking and waited on with
 * poll() and a timeout, so no pcap_breakloop from another thread is needed. */
#ifndef BW_CAPTURE_H
#define BW_CAPTURE_H

#include <signal.h>
#include <stdint.h>

#include "common/err.h"

struct bw_config;

struct capture_config {
    int snaplen;          /* bytes captured per packet; default 65535 */
    uint64_t buffer_size; /* kernel ring per interface, bytes; default 16 MiB */
    int promisc;          /* default 1 */
    char filter[1024];    /* BPF expression applied to every source; "" = none */
    char user[64];        /* user to switch to after opening captures; "" = stay */
    int workers;          /* packet worker threads (sensor/worker-pool.h); default 1 */
    uint64_t ring_size;   /* bytes of packet ring per worker when workers > 1; default 16 MiB */
};

#define CAPTURE_MAX_WORKERS 64

struct capture_stats {
    uint64_t packets, bytes; /* packets handed on, and their wire bytes */
    uint64_t kernel_drops;   /* pcap_stats ps_drop, summed over interfaces */
    uint64_t kernel_ifdrops; /* pcap_stats ps_ifdrop, summed */
    uint64_t file_errors;    /* capture files that could not be opened or read to the end */
    uint64_t sources;        /* files or interfaces opened */
};

/* One packet: bytes borrowed for the call; ts_us is the packet's own time. */
typedef void (*capture_packet_fn)(void *ctx, int dlt, const uint8_t *data, uint32_t caplen,
                                  uint32_t wirelen, int64_t ts_us);
/* Live capture only: called at least every 100 ms with the wall clock. */
typedef void (*capture_tick_fn)(void *ctx, int64_t now_us);

struct capture;

void capture_config_defaults(struct capture_config *cfg);
/* Reads the `capture:` section (defaults first). Returns 0 or -1 with err. */
int capture_config_load(struct capture_config *cfg, const struct bw_config *conf,
                        struct bw_err *err) BW_WUR;

struct capture *capture_new(const struct capture_config *cfg);
/* Closes every source. Accepts NULL. */
void capture_free(struct capture *c);

/* Opens a capture file (pcap or pcapng) now; files are read in the order added.
 * On failure returns -1 with err "FILE: reason" and counts a file error. */
int capture_add_file(struct capture *c, const char *path, struct bw_err *err) BW_WUR;
/* Opens and activates a live interface (immediate mode, buffer, snaplen, filter,
 * non-blocking). Returns -1 with err "IFACE: reason". */
int capture_add_iface(struct capture *c, const char *iface, struct bw_err *err) BW_WUR;
/* Number of sources opened and whether they are live interfaces. */
int capture_count(const struct capture *c);
int capture_is_live(const struct capture *c);

/* Reads every file to its end (or every interface until *stop is set),
 * calling on_packet per packet and, live, on_tick periodically. A read error
 * in a file is reported ("FILE: error"), counted, and the next file is read.
 * Returns 0, or -1 when a live interface failed (err set). */
int capture_run(struct capture *c, capture_packet_fn on_packet, capture_tick_fn on_tick, void *ctx,
                const volatile sig_atomic_t *stop, struct bw_err *err);

/* Current counters; kernel drops are queried from libpcap for live handles. */
void capture_get_stats(struct capture *c, struct capture_stats *out);

/* Switches to `user` (setgroups, setgid, setuid) when running as root, after
 * which regaining root must fail; verified with getuid/geteuid. Not root: ok
 * when `user` is the current user, else an error. Returns 0 or -1 with err. */
int capture_drop_privileges(const char *user, struct bw_err *err) BW_WUR;

#endif
