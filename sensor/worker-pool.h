/* Several workers on threads: the capture thread shards each frame by a
 * symmetric flow hash (both directions of a flow reach the same worker) and
 * copies it into that worker's bounded single-producer/single-consumer ring;
 * each worker thread runs its own decoder, flow table and stream engine.
 * With one worker there are no threads: frames go straight to the worker. */
#ifndef BW_WORKER_POOL_H
#define BW_WORKER_POOL_H

#include <stdint.h>

#include "common/err.h"
#include "sensor/access.h"
#include "sensor/capture.h"
#include "sensor/worker.h"

struct worker_pool;
struct eve_out;

/* Creates n workers (1..CAPTURE_MAX_WORKERS) writing to eve (borrowed,
 * thread-safe), each with a ring of ring_bytes when n > 1. `lossless`
 * (offline files): a full ring makes the capture thread wait instead of
 * dropping, so the result does not depend on thread timing. Threads start
 * here. Returns NULL with err. */
struct worker_pool *worker_pool_new(int n, const struct worker_config *cfg, struct eve_out *eve,
                                    uint64_t ring_bytes, int lossless, struct bw_err *err);
/* Stops the threads (if running) and frees the workers (ending their flows).
 * Accepts NULL. */
void worker_pool_free(struct worker_pool *p);

/* Access events of every worker go to `sink` (borrowed), one at a time: the
 * pool serialises the calls with a lock, taken also by worker_pool_lock. */
void worker_pool_set_access_sink(struct worker_pool *p, const struct access_sink *sink);
/* Holds the sink lock, to call the sink's owner (detection tick) from the
 * capture thread while workers run. */
void worker_pool_lock(struct worker_pool *p);
void worker_pool_unlock(struct worker_pool *p);

/* Capture thread: one frame (bytes borrowed for the call). */
void worker_pool_packet(struct worker_pool *p, int dlt, const uint8_t *data, uint32_t caplen,
                        uint32_t wirelen, int64_t ts_us);
/* Capture thread, live: wall-clock tick for every worker. */
void worker_pool_tick(struct worker_pool *p, int64_t now_us);
/* Waits until every worker has handled every frame handed so far, then stops
 * the threads; afterwards the workers are driven from the calling thread. */
void worker_pool_join(struct worker_pool *p);
/* After join: newest packet time over all workers (INT64_MIN: none). */
int64_t worker_pool_last_ts(const struct worker_pool *p);
/* After join: ticks every worker to now_us, then ends every flow (reason
 * shutdown), worker by worker. */
void worker_pool_shutdown(struct worker_pool *p, int64_t now_us);
/* Writes one `stats` event: capture counters (cap may be NULL), the sum over
 * workers, and `workers`: per-worker packets, ring drops and flows. Safe
 * while the threads run (counters are read without stopping them). */
void worker_pool_write_stats(struct worker_pool *p, const struct capture_stats *cap, int64_t ts_us);

int worker_pool_count(const struct worker_pool *p);
/* Frames dropped because a worker's ring was full, summed. */
uint64_t worker_pool_drops(const struct worker_pool *p);
/* The worker running on the calling thread (the one whose packet or flow
 * end is being handled), or NULL on a thread that runs none. For hooks
 * called back from a worker, such as detection's evidence writer. */
struct worker *worker_pool_current(void);
/* Worker i (for tests and statistics). */
struct worker *worker_pool_worker(struct worker_pool *p, int i);

#endif
