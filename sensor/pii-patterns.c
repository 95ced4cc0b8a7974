/* The PII scanner's pattern table: the cheap Hyperscan triggers that start a
 * candidate (an '@' between word characters, "+digit", a name key), the
 * family each belongs to, the names and categories of the personal data
 * types, and the context words turned into literal patterns. */
#include "sensor/pii-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *re;
    unsigned flags;
} triggers[T_MAX] = {
    [T_EMAIL] = {"[A-Za-z0-9_%+\\-]@[A-Za-z0-9]", 0},
    /* numbers are found by digit_pass(); Hyperscan only adds "+digit", for
     * international numbers written in groups shorter than four */
    [T_DIGITS] = {"\\+[0-9]", 0},
    [T_NAME_EN] = {"name[\"']?[ \\t]{0,3}[:=][ \\t]{0,3}[\"']?", HS_FLAG_CASELESS},
    [T_NAME_CN] =
        {"\xe5\xa7\x93\xe5\x90\x8d[\"']?[ \\t]{0,3}(?::|\xef\xbc\x9a|=)?[ \\t]{0,3}[\"']?", 0},
};

const enum fam pii_trig_fam[T_MAX] = {
    [T_EMAIL] = FAM_EMAIL,
    [T_DIGITS] = FAM_PLUS,
    [T_NAME_EN] = FAM_NAME,
    [T_NAME_CN] = FAM_NAME,
};

static const char *const type_names[PII_TYPE_MAX] = {
    [PII_EMAIL] = "email",
    [PII_CN_MOBILE] = "cn_mobile",
    [PII_PHONE_INTL] = "phone_intl",
    [PII_CN_RESIDENT_ID] = "cn_resident_id",
    [PII_CARD] = "card_number",
    [PII_US_SSN] = "us_ssn",
    [PII_IBAN] = "iban",
    [PII_PASSPORT] = "passport",
    [PII_NAME] = "person_name",
};

static const char *const type_cats[PII_TYPE_MAX] = {
    [PII_EMAIL] = "contact",      [PII_CN_MOBILE] = "contact",
    [PII_PHONE_INTL] = "contact", [PII_CN_RESIDENT_ID] = "national_id",
    [PII_CARD] = "financial",     [PII_US_SSN] = "national_id",
    [PII_IBAN] = "financial",     [PII_PASSPORT] = "national_id",
    [PII_NAME] = "identity",
};

const char *pii_type_name(enum pii_type t)
{
    return (unsigned)t < PII_TYPE_MAX ? type_names[t] : "unknown";
}

int pii_type_from_name(const char *name)
{
    for (int i = 0; i < PII_TYPE_MAX; i++)
        if (strcmp(type_names[i], name) == 0)
            return i;
    return -1;
}

const char *pii_type_category(enum pii_type t)
{
    return (unsigned)t < PII_TYPE_MAX ? type_cats[t] : "unknown";
}

/* Context words become literal patterns: every byte that is not a letter or
 * digit is written as \xHH so no word can be read as regex syntax. */
static int literal_re(const char *w, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        int n = ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
                    ? snprintf(out + o, cap - o, "%c", *p)
                    : snprintf(out + o, cap - o, "\\x%02x", *p);
        if (n < 0 || (size_t)n >= cap - o)
            return -1;
        o += (size_t)n;
    }
    return 0;
}

int pii_patterns_build(struct pii_pattern_set *ps, struct pii_pattern_set *cs, struct bw_err *err)
{
    size_t nw;
    const struct pii_ctx_word *words = pii_ctx_words(&nw);
    memset(ps, 0, sizeof(*ps));
    memset(cs, 0, sizeof(*cs));
    ps->exprs = calloc(T_MAX, sizeof(*ps->exprs));
    ps->flags = calloc(T_MAX, sizeof(*ps->flags));
    ps->ids = calloc(T_MAX, sizeof(*ps->ids));
    cs->exprs = calloc(nw, sizeof(*cs->exprs));
    cs->flags = calloc(nw, sizeof(*cs->flags));
    cs->ids = calloc(nw, sizeof(*cs->ids));
    cs->lits = calloc(nw, sizeof(*cs->lits));
    if (!ps->exprs || !ps->flags || !ps->ids || !cs->exprs || !cs->flags || !cs->ids || !cs->lits) {
        bw_err_set(err, "pii: out of memory");
        return -1;
    }
    ps->n = T_MAX;
    ps->mode = HS_MODE_VECTORED;
    for (size_t i = 0; i < T_MAX; i++) {
        ps->exprs[i] = triggers[i].re;
        ps->flags[i] = triggers[i].flags;
        ps->ids[i] = (unsigned)i;
    }
    cs->n = (unsigned)nw;
    cs->mode = HS_MODE_BLOCK;
    for (size_t i = 0; i < nw; i++) {
        if (literal_re(words[i].word, cs->lits[i], sizeof(cs->lits[i])) != 0) {
            bw_err_set(err, "pii: context word too long: %s", words[i].word);
            return -1;
        }
        cs->exprs[i] = cs->lits[i];
        cs->flags[i] = HS_FLAG_CASELESS;
        cs->ids[i] = (unsigned)words[i].ctx;
    }
    return 0;
}

void pii_patterns_fini(struct pii_pattern_set *ps)
{
    free(ps->exprs);
    free(ps->flags);
    free(ps->ids);
    free(ps->lits);
    memset(ps, 0, sizeof(*ps));
}
