/* The access event. */
#include "sensor/access.h"

#include <stdio.h>
#include <string.h>

void access_init(struct bw_access *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->requests = 1;
}

const char *access_channel_str(const struct bw_access *ev, char *out, unsigned outlen)
{
    static const char *names[] = {"pgsql", "mysql", "http", "dns", "tls", "flow", "log"};
    if (ev->channel == ACCESS_CH_LOG)
        snprintf(out, outlen, "log:%s", ev->format ? ev->format : "unknown");
    else
        snprintf(out, outlen, "%s", names[ev->channel]);
    return out;
}

const char *access_records_src_name(enum access_records_src s)
{
    static const char *names[] = {"none", "rows", "inventory", "bytes",
                                  "pii",  "log",  "statement", "estimate"};
    return names[s];
}
