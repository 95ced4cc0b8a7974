/* Webhook backend: POSTs the action as JSON with libcurl, retrying with
 * exponential backoff on connection errors and 5xx replies (never on 4xx, a
 * request the receiver refuses will not improve by repetition). */
#include "responder/contain-backend.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/timeutil.h"

void contain_webhook_global_init(void)
{
    static int done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
}

/* Response bodies are not kept: a receiver's reply is not evidence. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int contain_webhook_post(const struct contain_webhook *w, const char *body, size_t len,
                         const char *action_id, struct contain_result *r, unsigned *attempts)
{
    int ret = -1;
    unsigned n = 0;
    struct curl_slist *hdr = NULL;
    char idh[320], errbuf[CURL_ERROR_SIZE];
    memset(r, 0, sizeof(*r));
    snprintf(r->backend, sizeof(r->backend), "webhook:%.23s", w->name);
    int64_t t0 = bw_mono_us();

    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(r->detail, sizeof(r->detail), "curl_easy_init failed");
        goto out;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (action_id != NULL && action_id[0] != '\0') {
        /* Header values must not carry line breaks; action ids are ours, but check. */
        if (strpbrk(action_id, "\r\n") == NULL) {
            snprintf(idh, sizeof(idh), "Idempotency-Key: %.290s", action_id);
            hdr = curl_slist_append(hdr, idh);
        }
    }
    hdr = curl_slist_append(hdr, "User-Agent: breachwatch/" BW_VERSION);
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     (long)(w->timeout_us / 1000 ? w->timeout_us / 1000 : 1));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(w->timeout_us / 1000 ? w->timeout_us / 1000 : 1));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    uint64_t backoff = w->backoff_us;
    long status = 0;
    char last[256] = "";
    for (;;) {
        errbuf[0] = '\0';
        n++;
        CURLcode cc = curl_easy_perform(c);
        status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            ret = 0;
            break;
        }
        if (cc != CURLE_OK)
            snprintf(last, sizeof(last), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        else
            snprintf(last, sizeof(last), "HTTP %ld", status);
        int retryable = cc != CURLE_OK || status >= 500;
        if (!retryable || n > w->retries)
            break;
        sleep_us(backoff);
        backoff *= 2;
        if (w->max_backoff_us > 0 && backoff > w->max_backoff_us)
            backoff = w->max_backoff_us;
    }
    r->exit_status = (int)status;
    r->ok = ret == 0;
    r->duration_us = bw_mono_us() - t0;
    if (ret == 0)
        snprintf(r->detail, sizeof(r->detail), "HTTP %ld after %u attempt%s in %lldms", status, n,
                 n == 1 ? "" : "s", (long long)(r->duration_us / 1000));
    else
        snprintf(r->detail, sizeof(r->detail), "failed after %u attempt%s: %s", n,
                 n == 1 ? "" : "s", last);
out:
    if (attempts != NULL)
        *attempts = n;
    curl_slist_free_all(hdr);
    if (c != NULL)
        curl_easy_cleanup(c);
    return ret;
}
