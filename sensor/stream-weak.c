/* TEMPORARY weak stand-ins for the stream stage (sensor/stream.h) so the worker
 * links before sensor/stream.c lands; compiles to nothing once it exists. To be
 * deleted then. */
#if !__has_include("stream.c")

#include "sensor/stream.h"

#include <stdlib.h>
#include <string.h>

struct stream_engine {
    struct stream_stats stats;
};

__attribute__((weak)) void stream_config_defaults(struct stream_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

__attribute__((weak)) struct stream_engine *stream_engine_new(const struct stream_config *cfg,
                                                              struct bw_err *err)
{
    (void)cfg;
    struct stream_engine *se = calloc(1, sizeof(*se));
    if (se == NULL)
        bw_err_set(err, "out of memory");
    return se;
}

__attribute__((weak)) void stream_engine_free(struct stream_engine *se)
{
    free(se);
}

__attribute__((weak)) void stream_packet(struct stream_engine *se, struct flow *f, int dir,
                                         const struct bw_packet *p, const struct app_ctx *tmpl)
{
    (void)se;
    (void)f;
    (void)dir;
    (void)p;
    (void)tmpl;
}

__attribute__((weak)) void stream_flow_end(struct stream_engine *se, struct flow *f,
                                           const struct app_ctx *tmpl)
{
    (void)se;
    (void)f;
    (void)tmpl;
}

__attribute__((weak)) const struct stream_stats *stream_engine_stats(const struct stream_engine *se)
{
    return &se->stats;
}

#endif
