/* libFuzzer target: the postgresql log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("postgresql", NULL)
