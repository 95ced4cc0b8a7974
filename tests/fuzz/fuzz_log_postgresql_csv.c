/* libFuzzer target: the postgresql-csv log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("postgresql-csv", NULL)
