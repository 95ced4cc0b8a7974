/* libFuzzer target: the pgaudit log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("pgaudit", NULL)
