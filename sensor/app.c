/* Application-layer registry and detection by content. Adding a protocol is
 * one app-*.c file and one line in the table below. */
#include "sensor/app.h"

#include <string.h>

#include "sensor/app-dns.h"
#include "sensor/app-http.h"
#include "sensor/app-mysql.h"
#include "sensor/app-pgsql.h"
#include "sensor/app-tls.h"

/* Order matters only when two probes could both say yes: the more specific
 * (binary framing checks) come first. */
/* clang-format off */
const struct app_proto *const app_protos[] = {
    &app_tls,     /* record header 0x16 0x03 + ClientHello */
    &app_mysql,   /* server greeting: to-client, protocol 10 + version */
    &app_pgsql,   /* startup/SSLRequest codes, or message shapes mid-stream */
    &app_http,    /* request method or "HTTP/1." status line */
    &app_dns_tcp, /* length prefix + DNS header shape */
    &app_dns_udp,
    NULL,
};
/* clang-format on */

const struct app_proto *app_detect(uint8_t ipproto, const uint8_t *data, size_t len, int dir,
                                   int *need_more)
{
    *need_more = 0;
    for (size_t i = 0; app_protos[i] != NULL; i++) {
        const struct app_proto *p = app_protos[i];
        if (p->ipproto != ipproto || p->probe == NULL)
            continue;
        enum app_probe r = p->probe(data, len, dir);
        if (r == APP_PROBE_YES)
            return p;
        if (r == APP_PROBE_MORE)
            *need_more = 1;
    }
    return NULL;
}

const struct app_proto *app_by_name(const char *name)
{
    for (size_t i = 0; app_protos[i] != NULL; i++)
        if (strcmp(app_protos[i]->name, name) == 0)
            return app_protos[i];
    return NULL;
}

int app_index(const struct app_proto *p)
{
    for (int i = 0; app_protos[i] != NULL; i++)
        if (app_protos[i] == p)
            return i;
    return -1;
}
