/* libFuzzer target for the inventory and data-classes loaders: the input is
 * loaded as both; every outcome must be a clean success or a positioned
 * error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/dataclass.h"
#include "sensor/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dataclass_set dc;
    struct inventory inv;
    struct bw_err err;
    bw_err_clear(&err);
    if (dataclass_load_mem(&dc, "fuzz.yaml", data, size, &err) != 0 && err.msg[0] == '\0')
        abort();
    bw_err_clear(&err);
    if (inventory_load_mem(&inv, "fuzz.yaml", data, size, NULL, &err) == 0) {
        for (size_t i = 0; i < inv.n; i++) {
            (void)inventory_find_table(&inv, inv.ds[i].id);
            (void)inventory_find_endpoint(&inv, "/api/customers/1");
            (void)inventory_find_share(&inv, "//fs/x");
        }
        inventory_fini(&inv);
    } else if (err.msg[0] == '\0' || inv.ds != NULL) {
        abort();
    }
    return 0;
}
