/* libFuzzer target: the PostgreSQL parser fed in chunks of random sizes and
 * directions, with gaps (see fuzz-app.h for the input format). */
#include <stddef.h>
#include <stdint.h>

#include "sensor/app-pgsql.h"
#include "tests/fuzz/fuzz-app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_app(&app_pgsql, data, size);
    return 0;
}
