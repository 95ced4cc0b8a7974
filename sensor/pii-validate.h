/* Validators for personal data found by the PII scanner: each checks a
 * candidate beyond its pattern (check digits, issuer ranges, dates, region
 * codes, country lengths) so that what is counted is real personal data. */
#ifndef BW_PII_VALIDATE_H
#define BW_PII_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Payment card issuers recognised by pii_card_issuer(). */
enum pii_card_issuer {
    PII_ISSUER_NONE = 0,
    PII_ISSUER_VISA,
    PII_ISSUER_MASTERCARD,
    PII_ISSUER_AMEX,
    PII_ISSUER_DISCOVER,
    PII_ISSUER_JCB,
    PII_ISSUER_UNIONPAY,
    PII_ISSUER_DINERS,
    PII_ISSUER_MAESTRO,
};

/* Luhn (mod 10) check over n ASCII digits; false on any non-digit or n == 0. */
bool pii_luhn(const char *digits, size_t n);

/* Issuer of an n-digit card number (ASCII digits) whose length is allowed for
 * that issuer, or PII_ISSUER_NONE. Does not check Luhn. */
enum pii_card_issuer pii_card_issuer(const char *digits, size_t n);

/* Card number: 13-19 digits, known issuer with a length it issues, Luhn,
 * and not a run of one repeated digit. */
bool pii_card_valid(const char *digits, size_t n);

/* GB 11643-1999 check character ('0'-'9' or 'X') for the first 17 digits. */
char pii_cn_id_check_char(const char *digits17);

/* 18-character Chinese resident ID: 17 digits + check character (X or x),
 * GB 11643 check, province code in use, birth date a real day in
 * 1900..2030. */
bool pii_cn_id_valid(const char *s, size_t n);

/* Mainland China mobile: 11 digits, 1 followed by an allocated network
 * prefix (13x, 145-149, 15x but 154, 162, 165-167, 17x, 18x, 19x). */
bool pii_cn_mobile_valid(const char *digits, size_t n);

/* US SSN as area/group/serial digit strings (3/2/4). Excludes area 000,
 * 666 and 900-999, group 00, serial 0000. */
bool pii_ssn_valid(const char *area3, const char *group2, const char *serial4);

/* IBAN without spaces: country with a registered length, check digits,
 * ISO 7064 mod 97-10 == 1, BBAN alphanumeric (uppercase). */
bool pii_iban_valid(const char *s, size_t n);

/* E.164 number given as its digits without '+': 8..15 digits whose leading
 * digits form an assigned country calling code, with a national length
 * that country uses when it is one the table knows. Returns the length of
 * the country code (1..3) or 0 when not valid. */
int pii_e164_valid(const char *digits, size_t n);

/* Email address: dot-atom local part (1..64), domain of >= 2 labels
 * (1..63 each, LDH, no leading/trailing hyphen), alphabetic TLD of 2..24
 * letters (or xn--) that is not a file extension such as png or js. */
bool pii_email_valid(const char *s, size_t n);

/* Passport number seen next to a passport context word: 8..9 uppercase
 * alphanumerics with at least 6 digits, or the Chinese E/G + 8 digits. */
bool pii_passport_valid(const char *s, size_t n);

/* Personal name in UTF-8 Chinese: 2..4 Han characters starting with a
 * surname in the common-surname table (single or compound). */
bool pii_cn_name_valid(const char *s, size_t n);

/* Personal name in Latin script: 2..3 capitalised words of 2..20 letters
 * (apostrophe and hyphen allowed inside), none of them a stop word.
 * *known is set when the first word is a common given name. */
bool pii_en_name_valid(const char *s, size_t n, bool *known);

#endif
