/* libFuzzer target: the jsonl log format with a field mapping. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("jsonl", "mapping: {ip: req.client, user: auth.user, uri: req.path, records: rows, "
                         "bytes: resp.size, time: ts, status: resp.code}\n")
