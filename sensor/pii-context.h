/* Context words (English and Chinese) that raise the confidence of a nearby
 * match, as DLP tools do; passports, names and bare 9-digit SSNs are only
 * counted with their context. */
#ifndef BW_PII_CONTEXT_H
#define BW_PII_CONTEXT_H

#include <stddef.h>

enum pii_ctx {
    PII_CTX_ID = 0, /* 身份证, id card, resident id, ... */
    PII_CTX_PHONE,  /* 手机, 电话, mobile, phone, tel, ... */
    PII_CTX_CARD,   /* 银行卡, 信用卡, card number, visa, ... */
    PII_CTX_SSN,    /* ssn, social security */
    PII_CTX_IBAN,   /* iban, 账号, bank account */
    PII_CTX_PASSPORT,
    PII_CTX_NAME,
    PII_CTX_EMAIL,
    PII_CTX_MAX
};

/* How far (bytes) before a match its context word may end. */
#define PII_CTX_WINDOW 128
/* How far before a match a context word that the type requires may end. */
#define PII_CTX_CLOSE 24

struct pii_ctx_word {
    const char *word; /* UTF-8; English words are matched without case */
    enum pii_ctx ctx;
};

/* The table of context words; *n receives its length. */
const struct pii_ctx_word *pii_ctx_words(size_t *n);

#endif
