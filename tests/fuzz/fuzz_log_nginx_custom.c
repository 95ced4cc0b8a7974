/* libFuzzer target: the nginx format with a configured log_format. */
#include "tests/fuzz/fuzz_log.h"

FUZZ_LOG_TARGET("nginx", "log_format: '$time_iso8601 $remote_addr:$remote_port \"$request_method "
                         "$request_uri\" $status $bytes_sent $request_time \"$http_user_agent\"'\n")
