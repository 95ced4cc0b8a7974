/* libFuzzer target: the postgresql-json log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("postgresql-json", NULL)
