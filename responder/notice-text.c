/* Labels and country names for the assessment and the drafts
 * (responder/notice-text.h). */
#include "responder/notice-text.h"

#include <string.h>

static const struct {
    const char *name, *en, *zh;
} labels[] = {
    {"national_id", "national identification numbers", "身份证件号码"},
    {"financial", "payment card and bank account numbers", "银行卡号和银行账号"},
    {"contact", "contact details (e-mail addresses, telephone numbers)",
     "联系方式（电子邮箱、电话号码）"},
    {"identity", "names", "姓名"},
    {"address", "postal addresses", "通讯地址"},
    {"birth_date", "dates of birth", "出生日期"},
    {"technical", "technical identifiers", "技术标识符"},
    {"email", "e-mail addresses", "电子邮箱地址"},
    {"cn_mobile", "Chinese mobile telephone numbers", "中国大陆手机号码"},
    {"phone_intl", "international telephone numbers", "国际电话号码"},
    {"cn_resident_id", "Chinese resident identity card numbers", "居民身份证号码"},
    {"card_number", "payment card numbers", "银行卡号"},
    {"us_ssn", "US Social Security numbers", "美国社会安全号码"},
    {"iban", "bank account numbers (IBAN)", "银行账号（IBAN）"},
    {"passport", "passport numbers", "护照号码"},
    {"person_name", "names", "姓名"},
};

static const struct {
    const char *cc, *en, *zh;
} countries[] = {
    {"AT", "Austria", "奥地利"},
    {"AU", "Australia", "澳大利亚"},
    {"BE", "Belgium", "比利时"},
    {"BG", "Bulgaria", "保加利亚"},
    {"CA", "Canada", "加拿大"},
    {"CH", "Switzerland", "瑞士"},
    {"CN", "China", "中国"},
    {"CY", "Cyprus", "塞浦路斯"},
    {"CZ", "Czechia", "捷克"},
    {"DE", "Germany", "德国"},
    {"DK", "Denmark", "丹麦"},
    {"EE", "Estonia", "爱沙尼亚"},
    {"ES", "Spain", "西班牙"},
    {"FI", "Finland", "芬兰"},
    {"FR", "France", "法国"},
    {"GB", "the United Kingdom", "英国"},
    {"GR", "Greece", "希腊"},
    {"HK", "Hong Kong", "中国香港"},
    {"HR", "Croatia", "克罗地亚"},
    {"HU", "Hungary", "匈牙利"},
    {"IE", "Ireland", "爱尔兰"},
    {"IN", "India", "印度"},
    {"IS", "Iceland", "冰岛"},
    {"IT", "Italy", "意大利"},
    {"JP", "Japan", "日本"},
    {"KR", "South Korea", "韩国"},
    {"LI", "Liechtenstein", "列支敦士登"},
    {"LT", "Lithuania", "立陶宛"},
    {"LU", "Luxembourg", "卢森堡"},
    {"LV", "Latvia", "拉脱维亚"},
    {"MT", "Malta", "马耳他"},
    {"NL", "the Netherlands", "荷兰"},
    {"NO", "Norway", "挪威"},
    {"PL", "Poland", "波兰"},
    {"PT", "Portugal", "葡萄牙"},
    {"RO", "Romania", "罗马尼亚"},
    {"RU", "Russia", "俄罗斯"},
    {"SE", "Sweden", "瑞典"},
    {"SG", "Singapore", "新加坡"},
    {"SI", "Slovenia", "斯洛文尼亚"},
    {"SK", "Slovakia", "斯洛伐克"},
    {"US", "the United States", "美国"},
};

/* EU member states plus Iceland, Liechtenstein and Norway. */
static const char eea[] = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO "
                          "SK SI ES SE IS LI NO";

const char *notice_label(const char *name, const char *lang)
{
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(labels[i].name, name) == 0)
            return strcmp(lang, "zh") == 0 ? labels[i].zh : labels[i].en;
    return name;
}

const char *notice_country(const char *cc, const char *lang)
{
    for (size_t i = 0; i < sizeof(countries) / sizeof(countries[0]); i++)
        if (strcmp(countries[i].cc, cc) == 0)
            return strcmp(lang, "zh") == 0 ? countries[i].zh : countries[i].en;
    return cc;
}

int notice_is_eea(const char *cc)
{
    if (strlen(cc) != 2)
        return 0;
    /* Two letters and a separator each; the last has no separator. */
    for (const char *p = eea; p + 2 <= eea + sizeof(eea) - 1; p += 3)
        if (p[0] == cc[0] && p[1] == cc[1])
            return 1;
    return 0;
}
