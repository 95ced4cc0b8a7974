/* libFuzzer target: the bind log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("bind", NULL)
