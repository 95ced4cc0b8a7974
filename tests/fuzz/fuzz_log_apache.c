/* libFuzzer target: the apache log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("apache", NULL)
