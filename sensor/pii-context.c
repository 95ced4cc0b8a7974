/* The context word table. Kept short and specific: a word that is common in
 * ordinary pages (such as "name" or "card") only raises confidence, it never
 * turns a candidate that failed validation into a match. */
#include "sensor/pii-context.h"

static const struct pii_ctx_word words[] = {
    {"身份证", PII_CTX_ID},           {"身份号码", PII_CTX_ID},
    {"证件号", PII_CTX_ID},           {"公民身份", PII_CTX_ID},
    {"id card", PII_CTX_ID},          {"id_card", PII_CTX_ID},
    {"idcard", PII_CTX_ID},           {"id_no", PII_CTX_ID},
    {"id_number", PII_CTX_ID},        {"resident id", PII_CTX_ID},
    {"resident_id", PII_CTX_ID},      {"national id", PII_CTX_ID},
    {"national_id", PII_CTX_ID},      {"手机", PII_CTX_PHONE},
    {"电话", PII_CTX_PHONE},          {"联系方式", PII_CTX_PHONE},
    {"mobile", PII_CTX_PHONE},        {"phone", PII_CTX_PHONE},
    {"tel:", PII_CTX_PHONE},          {"tel\"", PII_CTX_PHONE},
    {"telephone", PII_CTX_PHONE},     {"cell", PII_CTX_PHONE},
    {"银行卡", PII_CTX_CARD},         {"信用卡", PII_CTX_CARD},
    {"借记卡", PII_CTX_CARD},         {"卡号", PII_CTX_CARD},
    {"card", PII_CTX_CARD},           {"credit", PII_CTX_CARD},
    {"debit", PII_CTX_CARD},          {"visa", PII_CTX_CARD},
    {"mastercard", PII_CTX_CARD},     {"amex", PII_CTX_CARD},
    {"cc_num", PII_CTX_CARD},         {"ssn", PII_CTX_SSN},
    {"social security", PII_CTX_SSN}, {"社会安全号", PII_CTX_SSN},
    {"iban", PII_CTX_IBAN},           {"bank account", PII_CTX_IBAN},
    {"account number", PII_CTX_IBAN}, {"银行账号", PII_CTX_IBAN},
    {"账户", PII_CTX_IBAN},           {"passport", PII_CTX_PASSPORT},
    {"护照", PII_CTX_PASSPORT},       {"name", PII_CTX_NAME},
    {"姓名", PII_CTX_NAME},           {"email", PII_CTX_EMAIL},
    {"e-mail", PII_CTX_EMAIL},        {"mailto:", PII_CTX_EMAIL},
    {"邮箱", PII_CTX_EMAIL},          {"电子邮件", PII_CTX_EMAIL},
};

const struct pii_ctx_word *pii_ctx_words(size_t *n)
{
    *n = sizeof(words) / sizeof(words[0]);
    return words;
}
