/* libFuzzer target for the HTTP parser: the input is a sequence of
 * deliveries in both directions (tests/lib/appfuzz.h), so chunk boundaries,
 * gaps and message bytes are all chosen by the fuzzer. */
#include <stddef.h>
#include <stdint.h>

#include "sensor/app-http.h"
#include "tests/lib/appfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    appfuzz_run(&app_http, data, size);
    return 0;
}
