/* libFuzzer target: SQL table extraction and URI folding. */
#include <stddef.h>
#include <stdint.h>

#include "sensor/sql-tables.h"
#include "sensor/uri-fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sql_tables t;
    char o[128];
    sql_tables_extract((const char *)data, size, "public", 1, &t);
    (void)uri_fold((const char *)data, size, o, sizeof(o));
    return 0;
}
