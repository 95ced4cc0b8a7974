#!/usr/bin/env python3
"""Synthetic customers table for the Breachwatch recorder (stdlib only, fixed seed).

Writes, into the output folder:
  customers.csv    header + one line per customer (UTF-8), the upload/tunnel payload source
  customers.json   the same rows as a JSON array (what the API backend serves)
  pg.sql           CREATE TABLE + COPY for PostgreSQL (database shop, schema public)
  mysql.sql        CREATE TABLE + INSERTs for MariaDB (database shop)

Every value is fake but shaped like the real thing, so the PII scanner has work to do:
Chinese (UTF-8) and English names, e-mails, mainland mobile and international phone
numbers, 18-character Chinese resident IDs with a valid GB 11643-1999 check digit
(CN customers only), Luhn-valid card numbers, US SSNs in the issuable ranges (US customers
only), addresses and birth dates (the resident ID embeds the same birth date).
Columns absent for a customer are NULL.

Usage: gen-customers.py [--rows N] [--seed S] OUTDIR
"""

import argparse
import csv
import datetime
import json
import os
import random

COLUMNS = ["id", "name", "email", "phone", "cn_resident_id", "card_number", "ssn",
           "address", "birth_date", "country"]

SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
            ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
            ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
            ("欧阳", "ouyang"), ("司马", "sima")]
GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
         ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
         ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
         ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"),
         ("刚", "gang"), ("桂", "gui"), ("英", "ying"), ("华", "hua"), ("建", "jian"),
         ("国", "guo"), ("文", "wen"), ("玉", "yu"), ("兰", "lan"), ("红", "hong")]
# (area code of the resident ID, province+city+district, a few streets)
CN_AREAS = [("110101", "北京市东城区", ["东直门内大街", "王府井大街", "朝阳门北大街"]),
            ("310101", "上海市黄浦区", ["南京东路", "淮海中路", "西藏中路"]),
            ("440106", "广东省广州市天河区", ["天河路", "体育西路", "林和西路"]),
            ("440305", "广东省深圳市南山区", ["科技园南路", "深南大道", "南海大道"]),
            ("330106", "浙江省杭州市西湖区", ["文三路", "教工路", "天目山路"]),
            ("510107", "四川省成都市武侯区", ["人民南路", "科华北路", "武侯祠大街"]),
            ("420106", "湖北省武汉市武昌区", ["中南路", "中北路", "和平大道"]),
            ("320102", "江苏省南京市玄武区", ["中山路", "珠江路", "北京东路"]),
            ("120101", "天津市和平区", ["南京路", "滨江道", "解放北路"]),
            ("500103", "重庆市渝中区", ["解放碑步行街", "中山四路", "民生路"])]
CN_MOBILE_PREFIX = ["134", "135", "136", "138", "139", "150", "151", "158", "186", "188",
                    "177", "199"]
EN_FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
            "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph",
            "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Oliver", "Amelia", "Harry",
            "Isla", "Jack", "Emily", "Noah", "Sophie", "Liam", "Chloe", "Lukas", "Anna"]
EN_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
           "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
           "Harris", "Clark", "Lewis", "Walker", "Evans", "Roberts", "Wright", "Green",
           "Baker", "Hall", "Schmidt", "Fischer", "Weber", "Murphy", "Kelly", "O'Brien"]
EN_STREETS = ["Oak Street", "Maple Avenue", "Cedar Lane", "Park Road", "High Street",
              "Church Road", "Elm Drive", "Washington Avenue", "Victoria Road", "Mill Lane"]
# country -> (share, phone formatter, city line formatter)
US_CITIES = [("Springfield", "IL", "627"), ("Austin", "TX", "787"), ("Portland", "OR", "972"),
             ("Columbus", "OH", "432"), ("Denver", "CO", "802"), ("Raleigh", "NC", "276")]
US_AREA = ["212", "312", "415", "512", "617", "720", "919", "503"]
GB_CITIES = [("London", "SW1A"), ("Manchester", "M1"), ("Leeds", "LS1"), ("Bristol", "BS1"),
             ("Edinburgh", "EH1")]
AU_CITIES = [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"), ("Brisbane", "QLD", "4000")]
CA_CITIES = [("Toronto", "ON", "M5V"), ("Vancouver", "BC", "V6B"), ("Montreal", "QC", "H2Y")]
DE_CITIES = [("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331")]
EMAIL_CN = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "gmail.com"]
EMAIL_EN = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me"]

COUNTRY_WEIGHTS = [("CN", 50), ("US", 25), ("GB", 10), ("AU", 5), ("CA", 5), ("DE", 5)]

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def gb11643_check(first17):
    """Check character of a GB 11643-1999 resident ID (ISO 7064 MOD 11-2)."""
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK[s % 11]


def luhn_digit(partial):
    total = 0
    # Walking from the right, the digit next to the (future) check digit is doubled.
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number(rng, country):
    if country == "CN" and rng.random() < 0.6:
        prefix = "62" + "".join(rng.choice("0123456789") for _ in range(4))   # UnionPay
        length = 16
    else:
        r = rng.random()
        if r < 0.5:
            prefix, length = "4", 16                                      # Visa
        elif r < 0.85:
            prefix, length = str(rng.randint(51, 55)), 16                 # Mastercard
        else:
            prefix, length = rng.choice(["34", "37"]), 15                 # Amex
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - 1 - len(prefix)))
    return body + luhn_digit(body)


def ssn(rng):
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return "%03d-%02d-%04d" % (area, rng.randint(1, 99), rng.randint(1, 9999))


def birth_date(rng):
    start = datetime.date(1950, 1, 1).toordinal()
    end = datetime.date(2005, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end))


def make_row(rng, i):
    country = rng.choices([c for c, _ in COUNTRY_WEIGHTS], [w for _, w in COUNTRY_WEIGHTS])[0]
    bd = birth_date(rng)
    rid = None
    ssn_v = None
    if country == "CN":
        sur, sur_py = rng.choice(SURNAMES)
        given = [rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2]))]
        name = sur + "".join(g for g, _ in given)
        local = sur_py + "".join(p for _, p in given)
        style = rng.random()
        if style < 0.4:
            local = "%s%d" % (local, rng.randint(1, 9999))
        elif style < 0.7:
            local = "%s.%s%02d" % (sur_py, "".join(p for _, p in given), bd.year % 100)
        else:
            local = str(rng.randint(10000000, 3999999999))   # QQ-number style
            if rng.random() < 0.5:
                local = "%s_%d" % (sur_py + given[0][1], i)
        email = "%s@%s" % (local, rng.choice(EMAIL_CN))
        phone = rng.choice(CN_MOBILE_PREFIX) + "%08d" % rng.randint(0, 99999999)
        if rng.random() < 0.3:
            phone = "+86 " + phone[:3] + " " + phone[3:7] + " " + phone[7:]
        area, city, streets = rng.choice(CN_AREAS)
        seq = rng.randint(0, 999)
        first17 = area + bd.strftime("%Y%m%d") + "%03d" % seq
        rid = first17 + gb11643_check(first17)
        address = "%s%s%d号%d栋%d室" % (city, rng.choice(streets), rng.randint(1, 999),
                                     rng.randint(1, 30), rng.randint(101, 2808))
    else:
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        name = "%s %s" % (first, last)
        local = rng.choice(["%s.%s", "%s%s", "%s_%s"]) % (first.lower(), last.lower().replace("'", ""))
        if rng.random() < 0.5:
            local += str(rng.randint(1, 99))
        email = "%s@%s" % (local, rng.choice(EMAIL_EN))
        num = rng.randint(1, 9999)
        street = rng.choice(EN_STREETS)
        if country == "US":
            city, st, zip3 = rng.choice(US_CITIES)
            phone = "+1 %s %03d %04d" % (rng.choice(US_AREA), rng.randint(201, 989), rng.randint(0, 9999))
            address = "%d %s, %s, %s %s%02d" % (num, street, city, st, zip3, rng.randint(1, 99))
            ssn_v = ssn(rng)
        elif country == "GB":
            city, pc = rng.choice(GB_CITIES)
            phone = "+44 7%03d %06d" % (rng.randint(400, 999), rng.randint(0, 999999))
            address = "%d %s, %s %s %dAB" % (num % 300, street, city, pc, rng.randint(1, 9))
        elif country == "AU":
            city, st, pc = rng.choice(AU_CITIES)
            phone = "+61 4%02d %03d %03d" % (rng.randint(0, 99), rng.randint(0, 999), rng.randint(0, 999))
            address = "%d %s, %s %s %s" % (num % 500, street, city, st, pc)
        elif country == "CA":
            city, pr, fsa = rng.choice(CA_CITIES)
            phone = "+1 %s %03d %04d" % (rng.choice(["416", "604", "514"]), rng.randint(201, 989), rng.randint(0, 9999))
            address = "%d %s, %s, %s %s %d%s%d" % (num, street, city, pr, fsa, rng.randint(1, 9),
                                                 rng.choice("ABCEGHJ"), rng.randint(1, 9))
        else:
            city, pc = rng.choice(DE_CITIES)
            phone = "+49 1%02d %07d" % (rng.randint(51, 79), rng.randint(0, 9999999))
            address = "%s %d, %s %s" % (rng.choice(["Hauptstraße", "Bahnhofstraße", "Gartenweg"]),
                                        num % 200, pc, city)
    return {"id": i, "name": name, "email": email, "phone": phone, "cn_resident_id": rid,
            "card_number": card_number(rng, country), "ssn": ssn_v, "address": address,
            "birth_date": bd.isoformat(), "country": country}


def generate(rows=10000, seed=20240611):
    rng = random.Random(seed)
    out, seen = [], set()
    for i in range(1, rows + 1):
        r = make_row(rng, i)
        if r["email"] in seen:   # e-mail addresses are unique, as in a real shop
            local, dom = r["email"].split("@")
            r["email"] = "%s.%d@%s" % (local, i, dom)
        seen.add(r["email"])
        out.append(r)
    return out


def pg_copy_value(v):
    if v is None:
        return "\\N"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def sql_str(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("\\", "\\\\").replace("'", "''") + "'"


DDL = """CREATE TABLE customers (
  id integer PRIMARY KEY,
  name varchar(64) NOT NULL,
  email varchar(128) NOT NULL,
  phone varchar(32) NOT NULL,
  cn_resident_id char(18),
  card_number varchar(19) NOT NULL,
  ssn char(11),
  address varchar(200) NOT NULL,
  birth_date date NOT NULL,
  country char(2) NOT NULL
)"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("outdir")
    a = ap.parse_args()
    rows = generate(a.rows, a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "customers.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(["" if r[c] is None else r[c] for c in COLUMNS])
    with open(os.path.join(a.outdir, "customers.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False)
    with open(os.path.join(a.outdir, "pg.sql"), "w", encoding="utf-8") as f:
        f.write(DDL + ";\n")
        f.write("COPY customers (%s) FROM stdin;\n" % ", ".join(COLUMNS))
        for r in rows:
            f.write("\t".join(pg_copy_value(r[c]) for c in COLUMNS) + "\n")
        f.write("\\.\nANALYZE customers;\n")
    with open(os.path.join(a.outdir, "mysql.sql"), "w", encoding="utf-8") as f:
        f.write("SET NAMES utf8mb4;\n")
        f.write(DDL + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n")
        for k in range(0, len(rows), 500):
            chunk = rows[k:k + 500]
            f.write("INSERT INTO customers (%s) VALUES\n" % ", ".join(COLUMNS))
            f.write(",\n".join("(" + ", ".join(sql_str(r[c]) for c in COLUMNS) + ")" for r in chunk))
            f.write(";\n")
        f.write("ANALYZE TABLE customers;\n")


if __name__ == "__main__":
    main()
