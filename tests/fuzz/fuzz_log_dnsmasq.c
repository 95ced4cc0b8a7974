/* libFuzzer target: the dnsmasq log format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("dnsmasq", NULL)
