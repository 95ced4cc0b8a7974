/* Unit tests for sensor/pii-validate.c: every validator with valid values,
 * near misses and edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/pii-validate.h"

#define S(x) x, strlen(x)

static void test_luhn(void **state)
{
    (void)state;
    assert_true(pii_luhn(S("79927398713")));
    assert_false(pii_luhn(S("79927398710")));
    assert_true(pii_luhn(S("0")));
    assert_false(pii_luhn("", 0));
    assert_false(pii_luhn(S("4111-1111")));
}

static void test_card(void **state)
{
    (void)state;
    assert_true(pii_card_valid(S("4111111111111111")));    /* Visa 16 */
    assert_true(pii_card_valid(S("4222222222222")));       /* Visa 13 */
    assert_true(pii_card_valid(S("5555555555554444")));    /* Mastercard 51-55 */
    assert_true(pii_card_valid(S("2223003122003222")));    /* Mastercard 2-series */
    assert_true(pii_card_valid(S("378282246310005")));     /* Amex 15 */
    assert_true(pii_card_valid(S("6011111111111117")));    /* Discover */
    assert_true(pii_card_valid(S("3530111333300000")));    /* JCB */
    assert_true(pii_card_valid(S("6200000000000005")));    /* UnionPay */
    assert_true(pii_card_valid(S("30569309025904")));      /* Diners 14 */
    assert_false(pii_card_valid(S("4111111111111112")));   /* Luhn fails */
    assert_false(pii_card_valid(S("378282246310005000"))); /* Amex is 15 only */
    assert_false(pii_card_valid(S("1234567812345670")));   /* Luhn ok, no issuer */
    assert_false(pii_card_valid(S("0000000000000000")));   /* no issuer */
    assert_false(pii_card_valid(S("4444444444444444")));   /* Luhn fails */
    assert_true(pii_card_valid(S("4444444444444448")));
    assert_false(pii_card_valid(S("411111111111")));         /* 12 digits */
    assert_false(pii_card_valid(S("41111111111111111111"))); /* 20 digits */
    assert_int_equal(pii_card_issuer(S("4111111111111111")), PII_ISSUER_VISA);
    assert_int_equal(pii_card_issuer(S("378282246310005")), PII_ISSUER_AMEX);
    assert_int_equal(pii_card_issuer(S("6011111111111117")), PII_ISSUER_DISCOVER);
}

static void test_cn_id(void **state)
{
    (void)state;
    assert_int_equal(pii_cn_id_check_char("11010519491231002"), 'X');
    assert_true(pii_cn_id_valid(S("11010519491231002X")));
    assert_true(pii_cn_id_valid(S("11010519491231002x"))); /* lower-case x */
    /* the rejected ones below carry a correct check character */
    assert_true(pii_cn_id_valid(S("110105200002290013")));  /* 29 Feb 2000 (leap) */
    assert_false(pii_cn_id_valid(S("110105190002290017"))); /* 29 Feb 1900: not leap */
    assert_false(pii_cn_id_valid(S("110105194912310021"))); /* wrong check digit */
    assert_false(pii_cn_id_valid(S("990105194912310023"))); /* no province 99 */
    assert_false(pii_cn_id_valid(S("110105194913310021"))); /* month 13 */
    assert_false(pii_cn_id_valid(S("110105189912310023"))); /* born 1899 */
    assert_false(pii_cn_id_valid(S("11010519491231002")));  /* 17 chars */
    assert_false(pii_cn_id_valid(S("1101051949123100XX")));
    assert_false(pii_cn_id_valid(S("110005194912310024"))); /* city 00 */
}

static void test_cn_mobile(void **state)
{
    (void)state;
    assert_true(pii_cn_mobile_valid(S("13812345678")));
    assert_true(pii_cn_mobile_valid(S("19912345678")));
    assert_true(pii_cn_mobile_valid(S("16612345678")));
    assert_true(pii_cn_mobile_valid(S("14712345678")));
    assert_false(pii_cn_mobile_valid(S("12812345678"))); /* 12x */
    assert_false(pii_cn_mobile_valid(S("15412345678"))); /* 154 unallocated */
    assert_false(pii_cn_mobile_valid(S("16012345678")));
    assert_false(pii_cn_mobile_valid(S("17412345678"))); /* satellite */
    assert_false(pii_cn_mobile_valid(S("1381234567")));  /* 10 digits */
    assert_false(pii_cn_mobile_valid(S("23812345678")));
}

static void test_ssn(void **state)
{
    (void)state;
    assert_true(pii_ssn_valid("123", "45", "6789"));
    assert_true(pii_ssn_valid("899", "99", "9999"));
    assert_false(pii_ssn_valid("000", "12", "3456"));
    assert_false(pii_ssn_valid("666", "12", "3456"));
    assert_false(pii_ssn_valid("900", "12", "3456"));
    assert_false(pii_ssn_valid("999", "12", "3456"));
    assert_false(pii_ssn_valid("123", "00", "4567"));
    assert_false(pii_ssn_valid("123", "45", "0000"));
}

static void test_iban(void **state)
{
    (void)state;
    assert_true(pii_iban_valid(S("DE89370400440532013000")));
    assert_true(pii_iban_valid(S("GB82WEST12345698765432")));
    assert_true(pii_iban_valid(S("FR1420041010050500013M02606")));
    assert_true(pii_iban_valid(S("NO9386011117947"))); /* shortest: 15 */
    assert_true(pii_iban_valid(S("MT84MALT011000012345MTLCAST001S")));
    assert_false(pii_iban_valid(S("DE88370400440532013000"))); /* check digits */
    assert_false(pii_iban_valid(S("DE8937040044053201300")));  /* DE is 22 */
    assert_false(pii_iban_valid(S("XX89370400440532013000"))); /* no such country */
    assert_false(pii_iban_valid(S("de89370400440532013000"))); /* lower case */
    assert_false(pii_iban_valid(S("GB82WEST1234569876543!")));
}

static void test_e164(void **state)
{
    (void)state;
    assert_int_equal(pii_e164_valid(S("442079460958")), 2);     /* UK 10 */
    assert_int_equal(pii_e164_valid(S("14155552671")), 1);      /* US */
    assert_int_equal(pii_e164_valid(S("8613812345678")), 2);    /* CN mobile */
    assert_int_equal(pii_e164_valid(S("35312345678")), 3);      /* Ireland */
    assert_int_equal(pii_e164_valid(S("4412345")), 0);          /* too short */
    assert_int_equal(pii_e164_valid(S("1415555267")), 0);       /* US needs 10 after 1 */
    assert_int_equal(pii_e164_valid(S("4402079460958")), 0);    /* trunk 0 after 44 */
    assert_int_equal(pii_e164_valid(S("28123456789")), 0);      /* 28x unassigned */
    assert_int_equal(pii_e164_valid(S("1234567890123456")), 0); /* 16 digits */
}

static void test_email(void **state)
{
    (void)state;
    assert_true(pii_email_valid(S("john.doe@example.com")));
    assert_true(pii_email_valid(S("a+tag@mail.example.co.uk")));
    assert_true(pii_email_valid(S("x_y%z@xn--fiqs8s.xn--fiqz9s")));
    assert_false(pii_email_valid(S("logo@2x.png")));    /* file, not a mail */
    assert_false(pii_email_valid(S("user@localhost"))); /* one label */
    assert_false(pii_email_valid(S("a..b@example.com")));
    assert_false(pii_email_valid(S(".ab@example.com")));
    assert_false(pii_email_valid(S("ab@-example.com")));
    assert_false(pii_email_valid(S("ab@example.c"))); /* TLD 1 letter */
    assert_false(pii_email_valid(S("ab@example.c0m")));
    assert_false(pii_email_valid(S("@example.com")));
}

static void test_passport(void **state)
{
    (void)state;
    assert_true(pii_passport_valid(S("E12345678")));
    assert_true(pii_passport_valid(S("EA1234567")));
    assert_true(pii_passport_valid(S("123456789")));
    assert_false(pii_passport_valid(S("E1234567X8")));
    assert_false(pii_passport_valid(S("ABCDEFG12"))); /* too few digits */
    assert_false(pii_passport_valid(S("111111111"))); /* one digit repeated */
    assert_false(pii_passport_valid(S("e12345678")));
}

static void test_names(void **state)
{
    (void)state;
    bool known;
    assert_true(pii_cn_name_valid(S("张伟")));
    assert_true(pii_cn_name_valid(S("欧阳娜娜")));    /* compound surname */
    assert_false(pii_cn_name_valid(S("伟")));         /* one character */
    assert_false(pii_cn_name_valid(S("订单发货")));   /* no surname */
    assert_false(pii_cn_name_valid(S("张伟伟伟伟"))); /* five characters */
    assert_true(pii_en_name_valid(S("John Smith"), &known));
    assert_true(known);
    assert_true(pii_en_name_valid(S("Zyx O'Brien"), &known));
    assert_false(known);
    assert_true(pii_en_name_valid(S("Mary Anne Jones"), &known));
    assert_false(pii_en_name_valid(S("john smith"), &known));
    assert_false(pii_en_name_valid(S("John"), &known));        /* one word */
    assert_false(pii_en_name_valid(S("The Widget"), &known));  /* stop word */
    assert_false(pii_en_name_valid(S("John  Smith"), &known)); /* two spaces */
    assert_false(pii_en_name_valid(S("A B C D"), &known));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_luhn),     cmocka_unit_test(test_card),
        cmocka_unit_test(test_cn_id),    cmocka_unit_test(test_cn_mobile),
        cmocka_unit_test(test_ssn),      cmocka_unit_test(test_iban),
        cmocka_unit_test(test_e164),     cmocka_unit_test(test_email),
        cmocka_unit_test(test_passport), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
