/* libFuzzer target: the notice template engine on arbitrary template text,
 * against a fixed data tree (lists, objects, strings, numbers), plain and
 * HTML-escaped. */
#include <stddef.h>
#include <stdint.h>

#include "responder/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *tree;
    if (tree == NULL)
        tree = json_loads("{\"a\":\"x<&>\",\"n\":2,\"t\":true,\"l\":[{\"a\":\"y\"},\"z\",[1]],"
                          "\"o\":{\"p\":{\"q\":\"r\"}},\"e\":[]}",
                          0, NULL);
    for (int flags = 0; flags <= TEMPLATE_HTML; flags++) {
        struct bw_buf out;
        struct bw_err err;
        bw_buf_init(&out);
        if (template_render("fuzz", (const char *)data, size, tree, flags, &out, &err) != 0)
            out.len = 0;
        bw_buf_fini(&out);
    }
    return 0;
}
