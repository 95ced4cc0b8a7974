/* Validators for personal data: check digits, issuer ranges, dates, region
 * and country tables. Pure functions over borrowed bytes, no allocation. */
#include "sensor/pii-validate.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return n > 0;
}

/* Value of the first n (<= 9) digits. */
static unsigned prefix(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

static bool one_repeated_digit(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i] != s[0])
            return false;
    return true;
}

bool pii_luhn(const char *digits, size_t n)
{
    if (!all_digits(digits, n))
        return false;
    unsigned sum = 0;
    bool dbl = false;
    for (size_t i = n; i-- > 0;) {
        unsigned d = (unsigned)(digits[i] - '0');
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        dbl = !dbl;
    }
    return sum % 10 == 0;
}

enum pii_card_issuer pii_card_issuer(const char *d, size_t n)
{
    if (n < 12 || n > 19 || !all_digits(d, n))
        return PII_ISSUER_NONE;
    unsigned p1 = prefix(d, 1), p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4);
    unsigned p6 = prefix(d, 6);
    if (p1 == 4 && (n == 13 || n == 16 || n == 19))
        return PII_ISSUER_VISA;
    if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n == 16)
        return PII_ISSUER_MASTERCARD;
    if ((p2 == 34 || p2 == 37) && n == 15)
        return PII_ISSUER_AMEX;
    if ((p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) &&
        n >= 16 && n <= 19)
        return PII_ISSUER_DISCOVER;
    if (p2 == 62 && n >= 16 && n <= 19)
        return PII_ISSUER_UNIONPAY;
    if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19)
        return PII_ISSUER_JCB;
    if (((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39 || p4 == 3095) && n >= 14 &&
        n <= 19)
        return PII_ISSUER_DINERS;
    if ((p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759 ||
         p4 == 6761 || p4 == 6762 || p4 == 6763) &&
        n >= 12 && n <= 19)
        return PII_ISSUER_MAESTRO;
    return PII_ISSUER_NONE;
}

bool pii_card_valid(const char *digits, size_t n)
{
    if (n < 13 || n > 19)
        return false;
    if (pii_card_issuer(digits, n) == PII_ISSUER_NONE)
        return false;
    return !one_repeated_digit(digits, n) && pii_luhn(digits, n);
}

char pii_cn_id_check_char(const char *digits17)
{
    static const unsigned w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
    unsigned sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (unsigned)(digits17[i] - '0') * w[i];
    return map[sum % 11];
}

static bool cn_province(unsigned p)
{
    static const unsigned char codes[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                          35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                          53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
    for (size_t i = 0; i < sizeof(codes); i++)
        if (codes[i] == p)
            return true;
    return false;
}

static bool real_date(unsigned y, unsigned m, unsigned d)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2030 || m < 1 || m > 12 || d < 1)
        return false;
    unsigned max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

bool pii_cn_id_valid(const char *s, size_t n)
{
    if (n != 18 || !all_digits(s, 17))
        return false;
    char c = s[17] == 'x' ? 'X' : s[17];
    if (!is_digit(c) && c != 'X')
        return false;
    if (!cn_province(prefix(s, 2)) || prefix(s + 2, 2) == 0)
        return false;
    if (!real_date(prefix(s + 6, 4), prefix(s + 10, 2), prefix(s + 12, 2)))
        return false;
    return pii_cn_id_check_char(s) == c;
}

bool pii_cn_mobile_valid(const char *d, size_t n)
{
    if (n != 11 || !all_digits(d, n) || d[0] != '1')
        return false;
    unsigned p = prefix(d, 3);
    switch (p / 10) {
    case 13:
    case 18:
        return true;
    case 14:
        return p >= 145;
    case 15:
        return p != 154;
    case 16:
        return p == 162 || (p >= 165 && p <= 167);
    case 17:
        return p <= 178 && p != 174;
    case 19:
        return p != 194;
    default:
        return false;
    }
}

bool pii_ssn_valid(const char *area3, const char *group2, const char *serial4)
{
    if (!all_digits(area3, 3) || !all_digits(group2, 2) || !all_digits(serial4, 4))
        return false;
    unsigned a = prefix(area3, 3), g = prefix(group2, 2), s = prefix(serial4, 4);
    return a != 0 && a != 666 && a < 900 && g != 0 && s != 0;
}

/* SWIFT IBAN registry: country code and total IBAN length. */
static const struct {
    char cc[3];
    unsigned char len;
} iban_len[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
    {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

bool pii_iban_valid(const char *s, size_t n)
{
    if (n < 15 || n > 34 || !is_upper(s[0]) || !is_upper(s[1]) || !is_digit(s[2]) ||
        !is_digit(s[3]))
        return false;
    bool known = false;
    for (size_t i = 0; i < sizeof(iban_len) / sizeof(iban_len[0]); i++) {
        if (iban_len[i].cc[0] == s[0] && iban_len[i].cc[1] == s[1]) {
            known = iban_len[i].len == n;
            break;
        }
    }
    if (!known)
        return false;
    /* mod 97 over BBAN + country + check digits, letters as 10..35. */
    unsigned r = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[(k + 4) % n];
        if (is_digit(c))
            r = (r * 10 + (unsigned)(c - '0')) % 97;
        else if (is_upper(c))
            r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
        else
            return false;
    }
    return r == 1;
}

/* Country calling codes with the national significant number lengths we
 * check; codes not listed here but assigned get the generic 8..15 total. */
static const struct {
    unsigned short cc;
    unsigned char min, max;
} e164_len[] = {
    {1, 10, 10}, {7, 10, 10}, {20, 9, 10},  {27, 9, 9},   {30, 10, 10}, {31, 9, 9},   {32, 8, 9},
    {33, 9, 9},  {34, 9, 9},  {36, 8, 9},   {39, 6, 11},  {41, 9, 9},   {43, 4, 13},  {44, 9, 10},
    {45, 8, 8},  {46, 7, 9},  {47, 8, 8},   {48, 9, 9},   {49, 6, 13},  {52, 10, 10}, {55, 10, 11},
    {61, 9, 9},  {62, 8, 12}, {63, 10, 10}, {64, 8, 10},  {65, 8, 8},   {66, 8, 9},   {81, 9, 10},
    {82, 8, 10}, {84, 9, 10}, {86, 10, 11}, {90, 10, 10}, {91, 10, 10}, {92, 9, 10},  {852, 8, 8},
    {853, 8, 8}, {886, 8, 9}, {971, 8, 9},  {972, 8, 9},  {353, 7, 9},  {351, 9, 9},  {358, 5, 12},
    {380, 9, 9}, {420, 9, 9},
};

static bool e164_two_digit(unsigned p)
{
    static const unsigned char codes[] = {
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
        55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98};
    for (size_t i = 0; i < sizeof(codes); i++)
        if (codes[i] == p)
            return true;
    return false;
}

static bool e164_three_digit(unsigned p)
{
    unsigned h = p / 10;
    switch (h) {
    case 21:
    case 22:
    case 23:
    case 24:
    case 25:
    case 26:
    case 29:
    case 35:
    case 37:
    case 38:
    case 50:
    case 59:
    case 67:
    case 68:
    case 69:
    case 96:
    case 97:
    case 99:
        return true;
    case 42:
        return p == 420 || p == 421 || p == 423;
    case 85:
        return p == 850 || p == 852 || p == 853 || p == 855 || p == 856;
    case 88:
        return p == 880 || p == 886;
    default:
        return false;
    }
}

int pii_e164_valid(const char *d, size_t n)
{
    if (n < 8 || n > 15 || !all_digits(d, n))
        return 0;
    int ccl;
    if (d[0] == '1' || d[0] == '7')
        ccl = 1;
    else if (e164_two_digit(prefix(d, 2)))
        ccl = 2;
    else if (e164_three_digit(prefix(d, 3)))
        ccl = 3;
    else
        return 0;
    unsigned cc = prefix(d, (size_t)ccl);
    size_t nsn = n - (size_t)ccl;
    if (d[ccl] == '0' && cc != 39)
        return 0; /* trunk prefix written after the country code */
    for (size_t i = 0; i < sizeof(e164_len) / sizeof(e164_len[0]); i++)
        if (e164_len[i].cc == cc)
            return nsn >= e164_len[i].min && nsn <= e164_len[i].max ? ccl : 0;
    return ccl;
}

static bool ldh(char c)
{
    return is_digit(c) || is_upper(c) || is_lower(c) || c == '-';
}

static bool ieq(const char *a, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (is_upper(c))
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

bool pii_email_valid(const char *s, size_t n)
{
    static const char *const not_tld[] = {"png", "jpg",  "jpeg", "gif", "svg", "webp", "css",
                                          "js",  "json", "html", "htm", "php", "xml",  "txt",
                                          "pdf", "ico",  "woff", "ttf", "map", "min",  "bmp"};
    if (n < 6 || n > 254)
        return false;
    const char *at = memchr(s, '@', n);
    if (at == NULL)
        return false;
    size_t ll = (size_t)(at - s), dl = n - ll - 1;
    const char *dom = at + 1;
    if (ll < 1 || ll > 64 || dl < 4 || s[0] == '.' || s[ll - 1] == '.')
        return false;
    for (size_t i = 0; i < ll; i++) {
        char c = s[i];
        if (c == '.' && s[i + 1] == '.')
            return false;
        if (!(ldh(c) || c == '.' || c == '_' || c == '+' || c == '%'))
            return false;
    }
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= dl; i++) {
        if (i < dl && dom[i] != '.') {
            if (!ldh(dom[i]))
                return false;
            continue;
        }
        size_t len = i - start;
        if (len < 1 || len > 63 || dom[start] == '-' || dom[i - 1] == '-')
            return false;
        labels++;
        if (i == dl) {
            const char *tld = dom + start;
            if (len >= 4 && memcmp(tld, "xn--", 4) == 0)
                return labels >= 2;
            if (len < 2 || len > 24)
                return false;
            for (size_t k = 0; k < len; k++)
                if (!is_upper(tld[k]) && !is_lower(tld[k]))
                    return false;
            for (size_t k = 0; k < sizeof(not_tld) / sizeof(not_tld[0]); k++)
                if (ieq(tld, len, not_tld[k]))
                    return false;
        }
        start = i + 1;
    }
    return labels >= 2;
}

bool pii_passport_valid(const char *s, size_t n)
{
    if (n < 8 || n > 9)
        return false;
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i]))
            digits++;
        else if (!is_upper(s[i]))
            return false;
    }
    if (n == 9 && (s[0] == 'E' || s[0] == 'G') && all_digits(s + 1, 8))
        return true;
    return digits >= 6 && !one_repeated_digit(s, n);
}

/* Common Chinese surnames (UTF-8, 3 bytes each) and compound surnames. */
static const char cn_surnames[] =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
static const char cn_compound[] = "欧阳司马上官诸葛东方皇甫尉迟公孙慕容令狐司徒夏侯轩辕端木西门南宫"
                                  "长孙宇文";

/* Is the 3-byte UTF-8 character at c one of the n-byte table's characters
 * (step 3 or 6)? */
static bool in_table(const char *tab, size_t tlen, const char *c, size_t clen, size_t step)
{
    for (size_t i = 0; i + clen <= tlen; i += step)
        if (memcmp(tab + i, c, clen) == 0)
            return true;
    return false;
}

static bool is_han3(const unsigned char *p)
{
    /* U+4E00..U+9FFF: E4 B8 80 .. E9 BF BF */
    if (p[0] < 0xE4 || p[0] > 0xE9 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
        return false;
    return p[0] != 0xE4 || p[1] >= 0xB8;
}

bool pii_cn_name_valid(const char *s, size_t n)
{
    if (n % 3 != 0 || n < 6 || n > 12)
        return false;
    for (size_t i = 0; i < n; i += 3)
        if (!is_han3((const unsigned char *)s + i))
            return false;
    if (in_table(cn_surnames, sizeof(cn_surnames) - 1, s, 3, 3))
        return true;
    return n >= 9 && in_table(cn_compound, sizeof(cn_compound) - 1, s, 6, 6);
}

static const char *const en_given[] = {
    "James",  "John",     "Robert",   "Michael",   "William",   "David",    "Richard", "Joseph",
    "Thomas", "Charles",  "Daniel",   "Matthew",   "Anthony",   "Mark",     "Paul",    "Steven",
    "Andrew", "Kenneth",  "Joshua",   "Kevin",     "Brian",     "George",   "Edward",  "Peter",
    "Oliver", "Harry",    "Jack",     "Jacob",     "Noah",      "Lucas",    "Liam",    "Ethan",
    "Mary",   "Patricia", "Jennifer", "Linda",     "Elizabeth", "Barbara",  "Susan",   "Jessica",
    "Sarah",  "Karen",    "Nancy",    "Lisa",      "Margaret",  "Sandra",   "Ashley",  "Emily",
    "Emma",   "Olivia",   "Sophia",   "Charlotte", "Amelia",    "Isabella", "Mia",     "Anna",
    "Laura",  "Julia",    "Maria",    "Hannah",    "Claire",    "Lucy",     "Alice",   "Grace",
    "Hans",   "Klaus",    "Lukas",    "Jonas",     "Felix",     "Lena",     "Marie",   "Sophie",
    "Pierre", "Jean",     "Louis",    "Camille",   "Chloe",     "Manon",    "Wei",     "Li",
    "Ming",   "Jun",      "Hui",      "Yan",       "Lei",       "Fang",     "Jing",    "Min",
    "Ahmed",  "Mohammed", "Ali",      "Fatima",    "Carlos",    "Jose",     "Juan",    "Ana",
};

static const char *const en_stop[] = {
    "The",    "And",     "Of",      "For",     "Inc",     "Ltd",      "Llc",     "Corp",
    "Co",     "Street",  "Road",    "Avenue",  "Pro",     "Plus",     "Max",     "Mini",
    "New",    "Home",    "Page",    "Product", "User",    "Admin",    "Test",    "Item",
    "Order",  "Group",   "Service", "Team",    "Shop",    "Store",    "Data",    "File",
    "Report", "Default", "None",    "Null",    "Unknown", "Customer", "Account",
};

static bool word_in(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
            return true;
    return false;
}

bool pii_en_name_valid(const char *s, size_t n, bool *known)
{
    *known = false;
    if (n < 5 || n > 48)
        return false;
    size_t words = 0, i = 0;
    while (i < n) {
        size_t st = i;
        if (!is_upper(s[i]))
            return false;
        i++;
        while (i < n && s[i] != ' ') {
            char c = s[i];
            if (!(is_lower(c) || ((c == '\'' || c == '-') && i + 1 < n && is_upper(s[i + 1])) ||
                  (is_upper(c) && (s[i - 1] == '\'' || s[i - 1] == '-'))))
                return false;
            i++;
        }
        size_t wl = i - st;
        if (wl < 2 || wl > 20)
            return false;
        if (word_in(s + st, wl, en_stop, sizeof(en_stop) / sizeof(en_stop[0])))
            return false;
        if (words == 0)
            *known = word_in(s + st, wl, en_given, sizeof(en_given) / sizeof(en_given[0]));
        words++;
        if (i < n) {
            i++; /* the single space */
            if (i >= n || s[i] == ' ')
                return false;
        }
    }
    return words >= 2 && words <= 3;
}
