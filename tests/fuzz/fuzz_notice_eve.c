/* libFuzzer target: alert EVE JSON into an incident view (the notice input
 * path for Redis timeline entries and EVE files), then the assessment of
 * what it built, without organisation, classes or inventory. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "responder/impact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct impact_inputs *in;
    static struct bw_config conf;
    if (in == NULL) {
        struct bw_err err;
        in = calloc(1, sizeof(*in));
        if (in == NULL || config_load(&conf, NULL, &err) != 0)
            abort();
        in->conf = &conf;
    }
    struct incident_view *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return 0;
    /* Lines of the input are alerts, like an EVE file. */
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = p;
        while (nl < end && *nl != '\n')
            nl++;
        if (incident_view_add_eve(v, p, (size_t)(nl - p)) < 0)
            break;
        p = nl + 1;
    }
    if (v->nalerts > 0) {
        json_t *a = impact_assess(v, in);
        json_decref(a);
    }
    free(v);
    return 0;
}
