/* libFuzzer target: the fast JSON escaper against the byte-by-byte reference
 * (same bytes for every input, and well-formed as a JSON string value), and
 * the cached EVE timestamp against bw_time_fmt for the first bytes read as
 * microseconds. Aborts on any difference. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_buf a, b;
    bw_buf_init(&a);
    bw_buf_init(&b);
    /* Every suffix start in the first 17 bytes: the input then meets the
     * 16- and 8-byte steps at every alignment. */
    for (size_t off = 0; off <= size && off < 17; off++) {
        bw_buf_reset(&a);
        bw_buf_reset(&b);
        bw_json_escape(&a, data + off, size - off);
        bw_json_escape_ref(&b, data + off, size - off);
        if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
            abort();
        /* No raw control byte, quote or lone backslash survives. */
        for (size_t i = 0; i < a.len; i++) {
            unsigned char c = (unsigned char)a.data[i];
            if (c < 0x20 || c == '"')
                if (c != '"' || i == 0 || a.data[i - 1] != '\\')
                    abort();
        }
    }
    bw_buf_reset(&a);
    bw_buf_reset(&b);
    bw_json_escape_ref(&b, data, size);
    struct bw_json j;
    bw_json_init(&j, &a);
    bw_json_obj_begin(&j, NULL);
    bw_json_kstrn(&j, BW_JK("k"), data, size);
    bw_json_obj_end(&j);
    if (bw_json_finish(&j) != 0 || a.len != b.len + 8 ||
        (b.len > 0 && memcmp(a.data + 6, b.data, b.len) != 0))
        abort();
    /* Timestamps: consecutive 8-byte words as instants, through one cache. */
    struct bw_ts_cache c;
    bw_ts_cache_init(&c);
    for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
        int64_t us;
        memcpy(&us, data + i, 8);
        char want[BW_TS_LEN];
        bw_time_fmt(us, want);
        if (strcmp(bw_ts_cache_fmt(&c, us), want) != 0 || strlen(want) != BW_TS_TEXT_LEN)
            abort();
        int64_t next = us == INT64_MAX ? us : us + 1; /* the same second, usually */
        bw_time_fmt(next, want);
        if (strcmp(bw_ts_cache_fmt(&c, next), want) != 0)
            abort();
    }
    bw_buf_fini(&a);
    bw_buf_fini(&b);
    return 0;
}
