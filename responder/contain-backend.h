/* The containment backends behind responder/contain.c: the nftables set
 * (contain-nft.c), exec hooks (contain-exec.c) and webhooks
 * (contain-webhook.c). Each takes validated values only; the safety rails and
 * the configuration live in contain.c and contain-config.c. */
#ifndef BW_CONTAIN_BACKEND_H
#define BW_CONTAIN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "responder/contain.h"

/* ---- nftables (libnftables) ---- */

#define CONTAIN_NFT_NAME_MAX 32

struct contain_nft_conf {
    char table[CONTAIN_NFT_NAME_MAX + 1]; /* [A-Za-z0-9_], checked by contain_nft_new */
    char family[8];                       /* "inet", "ip" or "ip6" */
    int priority;                         /* hook priority of the input/forward chains */
};

struct contain_nft;

/* Creates the table, the sets block4/block6 (flags timeout) and the input and
 * forward chains dropping their source addresses, idempotently (one nft
 * transaction; an existing table keeps its elements). Returns NULL with err. */
struct contain_nft *contain_nft_new(const struct contain_nft_conf *conf, struct bw_err *err);
void contain_nft_free(struct contain_nft *n);

/* Adds ip with a timeout of ttl_s seconds (replacing the timeout of an element
 * already present, result->already = 1 then). Fills result. Returns 0 or -1. */
int contain_nft_block(struct contain_nft *n, const struct bw_addr *ip, uint64_t ttl_s,
                      struct contain_result *result);
/* Deletes ip from its set (already = 1 when it was not there). Returns 0 or -1. */
int contain_nft_release(struct contain_nft *n, const struct bw_addr *ip,
                        struct contain_result *result);
/* 1 when ip is in its set, 0 when not, -1 on error. */
int contain_nft_has(struct contain_nft *n, const struct bw_addr *ip);
/* Calls fn for every address in the sets (for allowlist retraction). Returns
 * the number of addresses seen or -1. */
int contain_nft_each(struct contain_nft *n, void (*fn)(const struct bw_addr *ip, void *arg),
                     void *arg);

/* ---- exec hooks ---- */

#define CONTAIN_HOOK_ARGV_MAX 32
#define CONTAIN_OUTPUT_CAP    4096 /* bytes of stdout and of stderr kept per run */

struct contain_hook {
    char name[64];
    int nargv;
    char *argv[CONTAIN_HOOK_ARGV_MAX + 1]; /* owned; NULL-terminated; argv[0] is a path */
    uint64_t timeout_us;                   /* SIGTERM after this */
    uint64_t kill_grace_us;                /* SIGKILL this long after SIGTERM */
    int on_block, on_release;              /* which actions run the hook */
};

/* Output of one run, capped (CONTAIN_OUTPUT_CAP each; *_total counts all bytes). */
struct contain_exec_output {
    char out[CONTAIN_OUTPUT_CAP + 1];
    char err[CONTAIN_OUTPUT_CAP + 1];
    size_t out_len, err_len;
    uint64_t out_total, err_total;
    int timed_out;
    int killed; /* needed SIGKILL */
};

/* Runs the hook with argv (no shell), envp as its whole environment and
 * stdin_data on its stdin, in a process group of its own; kills the group at
 * the timeout (SIGTERM, then SIGKILL after the grace). Fills result (ok = exit
 * status 0, exit_status = status or 128+signal, detail) and, when out is not
 * NULL, the captured output. Returns 0 when the hook ran (whatever its exit
 * status), -1 when it could not be started. */
int contain_exec_run(const struct contain_hook *h, char *const *envp, const char *stdin_data,
                     size_t stdin_len, struct contain_result *result,
                     struct contain_exec_output *out);

/* ---- webhooks (libcurl) ---- */

struct contain_webhook {
    char name[64];
    char url[1024];
    uint64_t timeout_us;      /* per attempt */
    unsigned retries;         /* further attempts after the first */
    uint64_t backoff_us;      /* wait before the first retry; doubles per retry */
    uint64_t max_backoff_us;  /* cap on one wait */
    int on_block, on_release; /* which actions post */
};

/* One-time libcurl initialisation (not thread-safe; call before threads). */
void contain_webhook_global_init(void);

/* POSTs body (application/json) with retries: on connection errors and 5xx
 * after a backoff, never on 2xx/3xx/4xx. action_id goes in the
 * Idempotency-Key header so a receiver can drop a repeated delivery. Fills
 * result (exit_status = last HTTP status, 0 when none; detail names the
 * attempts). Returns 0 on 2xx, -1 otherwise. attempts (may be NULL) receives
 * how many requests were made. */
int contain_webhook_post(const struct contain_webhook *w, const char *body, size_t len,
                         const char *action_id, struct contain_result *result, unsigned *attempts);

#endif
