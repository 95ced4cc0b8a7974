/* libFuzzer target: SQL table extraction and URI folding. */
#include <stddef.h>
#include <stdint.h>

#include "sensor/sql-tables.h"
#include "sensor/uri-fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char t[8][SQL_TABLE_MAX];
    char o[128];
    (void)sql_tables((const char *)data, size, "public", t, 8);
    (void)uri_fold((const char *)data, size, o, sizeof(o));
    return 0;
}
