/* Consuming bw:alerts through the consumer group: XGROUP CREATE, XREADGROUP
 * (own pending entries, then new ones), XAUTOCLAIM of entries idle at other
 * consumers; each entry goes to alert_handle (responder/alert.h). */
#ifndef BW_ALERT_STREAM_H
#define BW_ALERT_STREAM_H

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
 * Returns 0, or -1 (no answer or an error reply; logged). */
int alert_stream_group(struct responder *R);

#endif
