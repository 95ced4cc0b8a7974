/* Containment dispatch: one action to every backend that takes it: the nft
 * set (contain-nft.c), exec hooks with the action as environment and JSON on
 * stdin (contain-exec.c), webhooks with the same JSON (contain-webhook.c). */
#include "responder/contain.h"
#include "responder/contain-backend.h"
#include "responder/contain-internal.h"
#include "responder/contain-rails.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/timeutil.h"

/* The JSON document hooks read on stdin and webhooks receive as body. */
static const char *action_json(struct containment *c, const struct contain_action *a,
                               uint64_t ttl_s, size_t *len)
{
    char ip[BW_ADDR_STRLEN], ts[BW_TS_LEN];
    struct bw_json j;
    bw_buf_reset(&c->text);
    bw_json_init(&j, &c->text);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "action", a->kind == CONTAIN_BLOCK ? "block" : "release");
    bw_json_str(&j, "ip", bw_addr_fmt(&a->ip, ip));
    bw_json_int(&j, "family", a->ip.family == AF_INET6 ? 6 : 4);
    if (a->kind == CONTAIN_BLOCK)
        bw_json_uint(&j, "ttl_s", ttl_s);
    bw_json_str(&j, "incident_id", a->incident_id ? a->incident_id : "");
    bw_json_str(&j, "action_id", a->action_id ? a->action_id : "");
    bw_json_str(&j, "reason", a->reason ? a->reason : "");
    bw_json_str(&j, "time", bw_time_fmt(bw_now_us(), ts));
    bw_json_str(&j, "host", c->cfg->host);
    if (a->incident_json != NULL && a->incident_json[0] != '\0')
        bw_json_raw(&j, "incident", a->incident_json, strlen(a->incident_json));
    else
        bw_json_null(&j, "incident");
    bw_json_obj_end(&j);
    bw_buf_putc(&c->text, '\n');
    *len = c->text.len;
    return c->text.data;
}

/* Runs one action through every backend that takes it. Returns the number of
 * results in res and sets *any_ok. */
int containment_run_backends(struct containment *c, const struct contain_action *a, uint64_t ttl_s,
                             int with_nft, struct contain_result *res, int *any_ok)
{
    int n = 0, block = a->kind == CONTAIN_BLOCK;
    *any_ok = 0;
    if (with_nft && c->nft != NULL) {
        if (block)
            (void)contain_nft_block(c->nft, &a->ip, ttl_s, &res[n]);
        else
            (void)contain_nft_release(c->nft, &a->ip, &res[n]);
        *any_ok |= res[n].ok;
        n++;
    }
    int need_body = 0;
    for (int i = 0; i < c->conf.nhooks; i++)
        need_body |= block ? c->conf.hooks[i].on_block : c->conf.hooks[i].on_release;
    for (int i = 0; i < c->conf.nwebhooks; i++)
        need_body |= block ? c->conf.webhooks[i].on_block : c->conf.webhooks[i].on_release;
    if (!need_body)
        return n;
    size_t blen;
    char *body = NULL;
    const char *b = action_json(c, a, ttl_s, &blen);
    if ((body = malloc(blen + 1)) == NULL) {
        snprintf(res[n].backend, sizeof(res[n].backend), "rails");
        snprintf(res[n].detail, sizeof(res[n].detail), "out of memory");
        return n + 1;
    }
    memcpy(body, b, blen + 1);

    char ip[BW_ADDR_STRLEN], e_action[32], e_ip[64], e_fam[16], e_ttl[48], e_inc[160], e_id[320],
        e_hook[96];
    snprintf(e_action, sizeof(e_action), "BW_ACTION=%s", block ? "block" : "release");
    snprintf(e_ip, sizeof(e_ip), "BW_IP=%s", bw_addr_fmt(&a->ip, ip));
    snprintf(e_fam, sizeof(e_fam), "BW_FAMILY=%d", a->ip.family == AF_INET6 ? 6 : 4);
    snprintf(e_ttl, sizeof(e_ttl), "BW_TTL=%llu", (unsigned long long)(block ? ttl_s : 0));
    snprintf(e_inc, sizeof(e_inc), "BW_INCIDENT=%.140s", a->incident_id ? a->incident_id : "");
    snprintf(e_id, sizeof(e_id), "BW_ACTION_ID=%.300s", a->action_id ? a->action_id : "");
    for (int i = 0; i < c->conf.nhooks; i++) {
        const struct contain_hook *h = &c->conf.hooks[i];
        if (!(block ? h->on_block : h->on_release))
            continue;
        snprintf(e_hook, sizeof(e_hook), "BW_HOOK=%.80s", h->name);
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "LANG=C.UTF-8",
                        e_action,
                        e_ip,
                        e_fam,
                        e_ttl,
                        e_inc,
                        e_id,
                        e_hook,
                        NULL};
        (void)contain_exec_run(h, envp, body, blen, &res[n], NULL);
        *any_ok |= res[n].ok;
        n++;
    }
    for (int i = 0; i < c->conf.nwebhooks; i++) {
        const struct contain_webhook *w = &c->conf.webhooks[i];
        if (!(block ? w->on_block : w->on_release))
            continue;
        (void)contain_webhook_post(w, body, blen, a->action_id, &res[n], NULL);
        *any_ok |= res[n].ok;
        n++;
    }
    free(body);
    return n;
}

void contain_result_json(struct bw_json *j, const struct contain_result *r)
{
    bw_json_str(j, "backend", r->backend);
    bw_json_bool(j, "ok", r->ok);
    bw_json_bool(j, "already", r->already);
    bw_json_int(j, "exit_status", r->exit_status);
    bw_json_int(j, "duration_us", r->duration_us);
    bw_json_str(j, "detail", r->detail);
}
