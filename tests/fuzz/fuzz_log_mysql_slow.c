/* libFuzzer target: the mysql-slow log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("mysql-slow", NULL)
