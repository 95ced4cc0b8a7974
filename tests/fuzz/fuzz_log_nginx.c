/* libFuzzer target: the nginx log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("nginx", NULL)
