/* Consuming bw:alerts through the consumer group: XGROUP CREATE, XREADGROUP
 * (own pending entries, then new ones), XAUTOCLAIM of entries idle at other
 * consumers; each entry goes to alert_handle (responder/alert.h). */
#ifndef BW_ALERT_STREAM_H
#define BW_ALERT_STREAM_H

#include <stddef.h>

struct responder;

/* The reads return the number of entries handled, or -1 when the journal
 * could not be written (stop), -2 when Redis was unreachable, not serving
 * (-LOADING...) or could not answer a lookup (retry; what was delivered and
 * not acked is re-read from the pending entries), -3 when the group was
 * deleted under us. */

/* XREADGROUP from `from` ("0" = our pending entries, ">" = new), blocking
 * block_ms (-1 = not at all). */
int alert_stream_read(struct responder *R, const char *from, int block_ms);
/* XAUTOCLAIM of entries idle longer than reclaim_idle from any consumer,
 * handled here. */
int alert_stream_reclaim(struct responder *R);
/* Creates the group at id 0 with MKSTREAM (an existing group is fine).
 * Returns 0 when done, 1 when Redis cannot do it yet (no connection,
 * -LOADING, -BUSY...), -1 on a configuration error that waiting does not
 * cure (wrong or missing password, unknown or forbidden command, bw:alerts
 * of another type); why (size whylen) says what happened for 1 and -1. */
int alert_stream_group(struct responder *R, char *why, size_t whylen);

#endif
