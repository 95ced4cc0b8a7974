/* EVE `access` events for log sources: one line per log entry, with the
 * entry's own time as timestamp (DESIGN.md event schema). */
#ifndef BW_OUTPUT_EVE_ACCESS_H
#define BW_OUTPUT_EVE_ACCESS_H

#include "sensor/access.h"
#include "sensor/output-eve.h"

/* Writes one `access` event: src_ip = actor, and an "access" object with
 * format, actor {ip, user}, dataset, records, records_source, bytes, status,
 * detail, plus a "dns" object for resolver logs. The event is borrowed. */
void eve_access_write(struct eve_out *e, const struct bw_access *ev);
/* A sink that writes every event it gets with eve_access_write. */
struct access_sink eve_access_sink(struct eve_out *e);

#endif
