/* Compiled rule matching: channel bitmask, dataset globs, CIDR sets, scopes,
 * destination country/ASN, direction and local time of day. Runs once per
 * access event per rule, without allocation. */
#include "rules/rule.h"

#include <fnmatch.h>
#include <string.h>

int rule_local_hour(int64_t ts_us, int utc_offset_min)
{
    int64_t s = ts_us / 1000000 + (int64_t)utc_offset_min * 60;
    int64_t day = 86400;
    int64_t sod = ((s % day) + day) % day;
    return (int)(sod / 3600);
}

bool rule_match_channel(const struct rule *r, const struct bw_access *ev)
{
    if (r->channels == 0)
        return true;
    if (!(r->channels & (1u << ev->channel)))
        return false;
    if (ev->channel != ACCESS_CH_LOG || r->log_any)
        return true;
    const char *f = ev->format ? ev->format : "";
    for (int i = 0; i < r->nlog_formats; i++)
        if (strcmp(r->log_formats[i], f) == 0)
            return true;
    return false;
}

static bool scope_ok(enum rule_scope s, bool home)
{
    return s == RS_ANY || (s == RS_INTERNAL) == home;
}

static bool in_countries(const char (*v)[3], int n, const char *c)
{
    for (int i = 0; i < n; i++)
        if (c[0] == v[i][0] && c[1] == v[i][1])
            return true;
    return false;
}

bool rule_star_match(const char *p, const char *s)
{
    /* Greedy with a return to the last star: when the rest fails, the last
     * star takes one more character. Enough when '*' is the only wildcard. */
    const char *star = NULL, *from = NULL;
    while (*s) {
        if (*p == '*') {
            star = ++p;
            from = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star != NULL) {
            p = star;
            s = ++from;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

uint32_t rule_star_globs(const char (*v)[ACCESS_DATASET_MAX], int n)
{
    uint32_t bits = 0;
    for (int i = 0; i < n && i < 32; i++)
        if (strpbrk(v[i], "?[\\") == NULL)
            bits |= 1u << i;
    return bits;
}

/* The rules of a pack mostly share their dataset globs ("*customers*"), and
 * they are matched one after the other against the same event: the last
 * glob's result is kept in the context. */
static bool glob_hit(const char *pat, int star_only, const char *s, struct rule_glob_memo *memo)
{
    if (memo != NULL && memo->pat != NULL && strcmp(memo->pat, pat) == 0)
        return memo->hit;
    bool hit = star_only ? rule_star_match(pat, s) : fnmatch(pat, s, 0) == 0;
    if (memo != NULL) {
        memo->pat = pat;
        memo->hit = hit;
    }
    return hit;
}

bool rule_match(const struct rule *r, const struct bw_access *ev, const struct rule_match_ctx *m)
{
    if (!rule_match_channel(r, ev))
        return false;
    if (r->direction >= 0 && (int)ev->direction != r->direction)
        return false;
    if (ev->records < r->min_event_records)
        return false;
    if (r->ndatasets > 0) {
        bool hit = false;
        for (int i = 0; i < r->ndatasets && !hit; i++)
            hit = glob_hit(r->datasets[i], (r->datasets_star >> i) & 1, ev->dataset, m->memo);
        if (!hit)
            return false;
    }
    for (int i = 0; i < r->nnot_datasets; i++)
        if (glob_hit(r->not_datasets[i], (r->not_datasets_star >> i) & 1, ev->dataset, m->memo))
            return false;
    if (r->actors.n > 0 && !bw_cidr_set_contains(&r->actors, &ev->actor_ip))
        return false;
    if (r->dests.n > 0 && (m->recv == NULL || !bw_cidr_set_contains(&r->dests, m->recv)))
        return false;
    if (!scope_ok(r->actor_scope, m->actor_home) || !scope_ok(r->dest_scope, m->dest_home))
        return false;
    const char *c = m->dest_country && m->dest_country[0] ? m->dest_country : NULL;
    if (r->ncountries > 0 && (c == NULL || !in_countries(r->countries, r->ncountries, c)))
        return false;
    if (r->nnot_countries > 0 && c != NULL && in_countries(r->not_countries, r->nnot_countries, c))
        return false;
    if (r->nasns > 0) {
        bool hit = false;
        for (int i = 0; i < r->nasns && !hit; i++)
            hit = m->dest_asn != 0 && r->asns[i] == m->dest_asn;
        if (!hit)
            return false;
    }
    if (r->hour_from >= 0) {
        int off = r->has_utc_offset ? r->utc_offset_min : m->utc_offset_min;
        int h = rule_local_hour(ev->ts_us, off);
        bool in = r->hour_from < r->hour_to ? (h >= r->hour_from && h < r->hour_to)
                                            : (h >= r->hour_from || h < r->hour_to);
        if (!in)
            return false;
    }
    return true;
}

bool rule_allowed(const struct rule *r, const struct bw_access *ev)
{
    for (int i = 0; i < r->nallow; i++) {
        const struct rule_allow *a = &r->allow[i];
        if (a->hosts.n > 0 && !bw_cidr_set_contains(&a->hosts, &ev->actor_ip))
            continue;
        if (a->user[0] && strcmp(a->user, ev->actor_user) != 0)
            continue;
        return true;
    }
    return false;
}

bool rule_needs_geo(const struct rule *r)
{
    return r->ncountries > 0 || r->nnot_countries > 0 || r->nasns > 0;
}
