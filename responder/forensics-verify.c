/* Forensics store, verification: recomputes an incident's timeline chain
 * from Redis and checks every evidence item against its file (breachwatch
 * verify). */
#include "responder/forensics.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/redis.h"
#include "responder/forensics-internal.h"

static void problem(struct verify_report *rep, const char *fmt, ...) BW_PRINTF(2, 3);
static void problem(struct verify_report *rep, const char *fmt, ...)
{
    if (rep->nproblems >= VERIFY_MAX_PROBLEMS) {
        rep->nproblems++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->problems[rep->nproblems], sizeof(rep->problems[0]), fmt, ap);
    va_end(ap);
    rep->nproblems++;
}

static const char *entry_field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, name) == 0)
            return fields->element[i + 1]->str;
    return NULL;
}

/* Checks evidence items named in timeline `evidence` entries against the
 * evidence hash, and every hash item against its file. */
static int verify_evidence(struct forensics *f, const char *id, json_t *claimed,
                           struct verify_report *rep)
{
    char key[256];
    forensics_key(f, id, ":evidence", key, sizeof(key));
    redisReply *ev = forensics_cmdv(f, 2, (const char *[]){"HGETALL", key});
    if (ev == NULL)
        return -1;
    json_t *have = json_object();
    for (size_t i = 0; ev->type == REDIS_REPLY_ARRAY && i + 1 < ev->elements; i += 2) {
        const char *item = ev->element[i]->str;
        json_t *v = json_loadb(ev->element[i + 1]->str, ev->element[i + 1]->len, 0, NULL);
        rep->evidence_items++;
        json_object_set_new(have, item, json_true());
        if (v == NULL) {
            problem(rep, "evidence %s: record is not JSON", item);
            continue;
        }
        const char *path = forensics_jstr(v, "path"), *want = forensics_jstr(v, "sha256");
        json_int_t size = json_integer_value(json_object_get(v, "size"));
        const char *tl = json_string_value(json_object_get(claimed, item));
        if (tl == NULL)
            problem(rep, "evidence %s: not recorded in the timeline", item);
        else if (strcmp(tl, want) != 0)
            problem(rep, "evidence %s: hash item says sha256 %.16s..., timeline says %.16s...",
                    item, want, tl);
        char got[FORENSICS_HASH_HEX];
        uint64_t gsize = 0;
        if (forensics_file_sha256(path, got, &gsize) != 0)
            problem(rep, "evidence %s: file %s unreadable: %s", item, path, strerror(errno));
        else if (strcmp(got, want) != 0 || (json_int_t)gsize != size)
            problem(rep,
                    "evidence %s: file %s changed (sha256 %.16s..., %llu bytes; recorded "
                    "%.16s..., %lld bytes)",
                    item, path, got, (unsigned long long)gsize, want, (long long)size);
        json_decref(v);
    }
    const char *item;
    json_t *val;
    json_object_foreach(claimed, item, val)
    {
        if (json_object_get(have, item) == NULL)
            problem(rep, "evidence %s: in the timeline but missing from the evidence hash", item);
    }
    json_decref(have);
    bw_redis_reply_free(ev);
    return 0;
}

int forensics_verify(struct forensics *f, const char *id, struct verify_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    char khash[256], ktl[256];
    forensics_key(f, id, "", khash, sizeof(khash));
    forensics_key(f, id, ":timeline", ktl, sizeof(ktl));
    redisReply *head =
        forensics_cmdv(f, 4, (const char *[]){"HMGET", khash, "last_hash", "entries"});
    if (head == NULL)
        return -1;
    redisReply *exists = forensics_cmdv(f, 2, (const char *[]){"EXISTS", khash});
    if (exists == NULL) {
        bw_redis_reply_free(head);
        return -1;
    }
    int found = exists->type == REDIS_REPLY_INTEGER && exists->integer == 1;
    bw_redis_reply_free(exists);
    if (!found) {
        bw_redis_reply_free(head);
        return 1;
    }
    char want_last[FORENSICS_HASH_HEX] = "";
    long long want_entries = -1;
    if (head->type == REDIS_REPLY_ARRAY && head->elements == 2) {
        if (head->element[0]->type == REDIS_REPLY_STRING)
            snprintf(want_last, sizeof(want_last), "%s", head->element[0]->str);
        if (head->element[1]->type == REDIS_REPLY_STRING)
            want_entries = strtoll(head->element[1]->str, NULL, 10);
    }
    bw_redis_reply_free(head);

    char prev[FORENSICS_HASH_HEX] = ZERO_HASH;
    char start[64] = "-";
    json_t *claimed = json_object();
    int rc = 0;
    for (;;) {
        redisReply *page =
            forensics_cmdv(f, 6, (const char *[]){"XRANGE", ktl, start, "+", "COUNT", "500"});
        if (page == NULL) {
            rc = -1;
            break;
        }
        size_t n = page->type == REDIS_REPLY_ARRAY ? page->elements : 0;
        for (size_t i = 0; i < n; i++) {
            const redisReply *e = page->element[i];
            const char *sid = e->element[0]->str;
            const redisReply *fl = e->element[1];
            int no = ++rep->entries;
            const char *eid = entry_field(fl, "eid"), *type = entry_field(fl, "type"),
                       *ver = entry_field(fl, "version"), *host = entry_field(fl, "host"),
                       *tm = entry_field(fl, "time"), *actor = entry_field(fl, "actor"),
                       *data = entry_field(fl, "data"), *eprev = entry_field(fl, "prev"),
                       *ehash = entry_field(fl, "hash");
            if (!eid || !type || !ver || !host || !tm || !actor || !data || !eprev || !ehash) {
                problem(rep, "entry %d (%s): fields missing", no, sid);
                snprintf(prev, sizeof(prev), "%s", ehash ? ehash : ZERO_HASH);
                continue;
            }
            char h[FORENSICS_HASH_HEX];
            timeline_hash(eid, type, ver, host, tm, actor, data, eprev, h);
            if (strcmp(eprev, prev) != 0)
                problem(rep,
                        "entry %d (%s, %s): prev does not match the hash of the entry before "
                        "it (an entry was removed, inserted or reordered)",
                        no, sid, type);
            if (strcmp(h, ehash) != 0)
                problem(rep, "entry %d (%s, %s): content does not match its hash (modified)", no,
                        sid, type);
            if (strcmp(type, "evidence") == 0) {
                json_t *d = json_loads(data, 0, NULL);
                const char *item = d ? json_string_value(json_object_get(d, "item")) : NULL;
                const char *sha = d ? json_string_value(json_object_get(d, "sha256")) : NULL;
                if (item != NULL && sha != NULL)
                    json_object_set_new(claimed, item, json_string(sha));
                json_decref(d);
            }
            /* Chain on the recomputed hash: a modified entry breaks its own
             * check, and an honest successor is then reported too only if it
             * was re-chained onto forged content. */
            snprintf(prev, sizeof(prev), "%s", ehash);
        }
        if (n > 0) {
            const char *last = page->element[n - 1]->element[0]->str;
            snprintf(start, sizeof(start), "(%s", last);
        }
        bw_redis_reply_free(page);
        if (n < 500)
            break;
    }
    if (rc == 0) {
        snprintf(rep->last_hash, sizeof(rep->last_hash), "%s", prev);
        if (want_entries >= 0 && want_entries != rep->entries)
            problem(rep, "timeline has %d entries, the incident records %lld (entries removed)",
                    rep->entries, want_entries);
        else if (want_last[0] && strcmp(want_last, prev) != 0)
            problem(rep, "last entry's hash %.16s... differs from the incident's head %.16s...",
                    prev, want_last);
        rc = verify_evidence(f, id, claimed, rep);
    }
    json_decref(claimed);
    return rc;
}
