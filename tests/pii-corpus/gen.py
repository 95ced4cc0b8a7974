#!/usr/bin/env python3
"""Labelled corpus generator for the PII scanner (python3 stdlib, fixed seed).

Writes documents in the shapes personal data leaves in -- JSON API responses,
CSV uploads, psql text results, PostgreSQL DataRow messages (length-prefixed,
so values sit next to binary bytes), HTML pages, nginx log lines and prose --
with every inserted value labelled by type and byte span, and hard negatives
(numbers that fail a check digit, impossible dates, invalid SSN ranges, ...)
that are not labelled.

  gen.py corpus OUT.bin LABELS.tsv         the labelled corpus (about 1.5 MB)
  gen.py bench-mixed OUT SIZE_MB           bench text, about 1% personal data
  gen.py bench-clean OUT SIZE_MB           bench text, no personal data
"""
import random
import struct
import sys

SEED = 20240611

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN_CN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞云霞建国志文婷雪梅"
FIRST_EN = ["James", "John", "Robert", "Michael", "William", "David", "Mary", "Sarah", "Emma",
            "Olivia", "Lucas", "Hannah", "Pierre", "Camille", "Hans", "Sophie", "Grace", "Oscar",
            "Ingrid", "Mateo", "Aiko", "Priya", "Tomasz", "Noor"]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Lewis",
           "Walker", "Hall", "Young", "Dubois", "Martin", "Schmidt", "Fischer", "Weber", "Zhang",
           "Wang", "Nakamura", "Kowalski", "Patel", "Garcia", "Okafor"]
DOMAINS = ["example.com", "example.cn", "mail.example.org", "corp.example.de", "qq.example.net",
           "example.co.uk"]
REGIONS = ["110105", "110108", "310104", "310115", "440305", "440106", "330106", "510107",
           "320102", "420106", "370202", "500103", "610113", "210102", "350203"]
MOBILE_PFX = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
              "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "186", "187",
              "188", "189", "191", "198", "199"]
WORDS = ("the quick report shows orders shipped from the warehouse on time and the customer "
         "service team answered every ticket within one business day while inventory levels "
         "stayed within the planned range for the quarter").split()
WORDS_CN = "订单已发货客户满意度调查结果显示本季度库存水平保持稳定物流时效良好"

R = random.Random(SEED)


def luhn_ok(d):
    s, dbl = 0, False
    for c in reversed(d):
        v = int(c)
        if dbl:
            v *= 2
            if v > 9:
                v -= 9
        s += v
        dbl = not dbl
    return s % 10 == 0


def luhn_complete(prefix):
    for c in "0123456789":
        if luhn_ok(prefix + c):
            return prefix + c
    raise AssertionError


def digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))


def cn_check(d17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(a) * b for a, b in zip(d17, w)) % 11]


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    t = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in t)) % 97 == 1


# ---- positive values: (type, text) ----

def v_email():
    first = R.choice(FIRST_EN).lower()
    last = R.choice(LAST_EN).lower()
    sep = R.choice([".", "_", "", "-"])
    num = str(R.randint(1, 999)) if R.random() < 0.4 else ""
    local = first + sep + last + num
    if R.random() < 0.1:
        local += "+news"
    return "email", local + "@" + R.choice(DOMAINS)


def v_mobile():
    d = R.choice(MOBILE_PFX) + digits(8)
    r = R.random()
    if r < 0.6:
        return "cn_mobile", d
    if r < 0.75:
        return "cn_mobile", "%s-%s-%s" % (d[:3], d[3:7], d[7:])
    if r < 0.9:
        return "cn_mobile", "+86 " + d
    return "cn_mobile", "+86 %s %s %s" % (d[:3], d[3:7], d[7:])


def v_phone():
    r = R.randrange(6)
    if r == 0:
        return "phone_intl", "+44 20 %s %s" % (digits(4), digits(4))
    if r == 1:
        return "phone_intl", "+1 %d%s %s %s" % (R.randint(2, 9), digits(2), digits(3), digits(4))
    if r == 2:
        return "phone_intl", "+49 30 %s" % digits(8)
    if r == 3:
        return "phone_intl", "+33 %d %s %s %s %s" % (R.randint(1, 9), digits(2), digits(2),
                                                      digits(2), digits(2))
    if r == 4:
        return "phone_intl", "+81 3 %s %s" % (digits(4), digits(4))
    return "phone_intl", "+61%d%s" % (R.randint(2, 9), digits(8))


def v_cnid():
    y = R.randint(1950, 2005)
    m = R.randint(1, 12)
    dd = R.randint(1, 28)
    d17 = R.choice(REGIONS) + "%04d%02d%02d" % (y, m, dd) + digits(3)
    c = cn_check(d17)
    if c == "X" and R.random() < 0.3:
        c = "x"
    return "cn_resident_id", d17 + c


def card_number():
    r = R.randrange(6)
    if r == 0:
        return luhn_complete("4" + digits(14))
    if r == 1:
        return luhn_complete("5" + str(R.randint(1, 5)) + digits(13))
    if r == 2:
        return luhn_complete(R.choice(["34", "37"]) + digits(12))
    if r == 3:
        return luhn_complete("62" + digits(13 + R.choice([0, 0, 3])))
    if r == 4:
        return luhn_complete(str(R.randint(3528, 3589)) + digits(11))
    return luhn_complete("6011" + digits(11))


def v_card():
    d = card_number()
    r = R.random()
    if r < 0.5 or len(d) not in (15, 16):
        return "card_number", d
    sep = R.choice([" ", "-"])
    if len(d) == 15:
        return "card_number", sep.join([d[:4], d[4:10], d[10:]])
    return "card_number", sep.join(d[i:i + 4] for i in range(0, 16, 4))


def ssn_parts():
    while True:
        a = R.randint(1, 899)
        if a != 666:
            return "%03d" % a, "%02d" % R.randint(1, 99), "%04d" % R.randint(1, 9999)


def v_ssn():
    a, g, s = ssn_parts()
    return "us_ssn", R.choice(["-", "-", " "]).join([a, g, s])


def iban_value():
    cc, bban = R.choice([
        ("DE", lambda: digits(18)),
        ("GB", lambda: R.choice(["NWBK", "BARC", "HSBC"]) + digits(14)),
        ("FR", lambda: digits(23)),
        ("NL", lambda: R.choice(["ABNA", "INGB", "RABO"]) + digits(10)),
        ("ES", lambda: digits(20)),
        ("IT", lambda: R.choice("ABCDEFGHIJ") + digits(22)),
    ])
    b = bban()
    return cc + iban_check(cc, b) + b


def v_iban():
    s = iban_value()
    if R.random() < 0.4:
        return "iban", " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return "iban", s


def v_passport():
    r = R.randrange(3)
    if r == 0:
        return "passport", R.choice("EG") + digits(8)
    if r == 1:
        return "passport", "E" + R.choice("ABCDEFGH") + digits(7)
    return "passport", str(R.randint(1, 9)) + digits(8)


def v_name():
    if R.random() < 0.5:
        return "person_name", R.choice(SURNAMES) + "".join(R.choice(GIVEN_CN)
                                                          for _ in range(R.randint(1, 2)))
    return "person_name", R.choice(FIRST_EN) + " " + R.choice(LAST_EN)


# ---- hard negatives: look like a type, fail its validation ----

def n_card():
    while True:
        d = "4" + digits(15)
        if not luhn_ok(d):
            return d if R.random() < 0.5 else " ".join(d[i:i + 4] for i in range(0, 16, 4))


def n_cnid():
    r = R.randrange(3)
    d17 = R.choice(REGIONS) + "%04d%02d%02d" % (R.randint(1950, 2005), R.randint(1, 12),
                                                R.randint(1, 28)) + digits(3)
    if r == 0:  # wrong check character
        c = cn_check(d17)
        return d17 + R.choice([x for x in "0123456789X" if x != c])
    if r == 1:  # 30 February
        d17 = d17[:10] + "0230" + d17[14:]
        return d17 + cn_check(d17)
    d17 = "99" + d17[2:]  # no such province
    return d17 + cn_check(d17)


def n_iban():
    s = iban_value()
    bad = "%02d" % ((int(s[2:4]) + R.randint(1, 96)) % 97 + 2)
    t = s[:2] + bad[-2:] + s[4:]
    return t if not iban_ok(t) else t[:-1] + str((int(t[-1]) + 1) % 10)


def n_ssn():
    a, g, s = ssn_parts()
    r = R.randrange(4)
    if r == 0:
        a = "000"
    elif r == 1:
        a = "666"
    elif r == 2:
        a = str(R.randint(900, 999))
    else:
        g = "00"
    return "-".join([a, g, s])


def n_mobile():
    return R.choice(["10", "11", "12", "154"]) + digits(9 if R.random() < 0.75 else 8)


def n_email():
    return R.choice(["logo@2x.png", "icon@3x.svg", "user@localhost", "a@b", "x@y..com",
                     "@handle", "sprite@2x.webp"])


def n_phone():
    return R.choice(["+99 " + digits(7), "+1 555", "+" + digits(17), "+28 " + digits(9)])


def n_misc():
    r = R.randrange(8)
    if r == 0:
        return str(1600000000000 + R.randint(0, 10 ** 11))  # epoch ms
    if r == 1:
        return "%04d-%02d-%02d %02d:%02d:%02d" % (R.randint(2000, 2030), R.randint(1, 12),
                                                  R.randint(1, 28), R.randint(0, 23),
                                                  R.randint(0, 59), R.randint(0, 59))
    if r == 2:
        return "%08x-%04x-%04x-%04x-%012x" % tuple(R.getrandbits(b) for b in (32, 16, 16, 16, 48))
    if r == 3:
        return "%.2f" % (R.random() * 10000)
    if r == 4:
        return digits(20)  # tracking number
    if r == 5:
        return "%d.%d.%d.%d" % tuple(R.randint(1, 254) for _ in range(4))
    if r == 6:
        return "%064x" % R.getrandbits(256)
    return digits(R.randint(1, 10))


POS = {"email": v_email, "cn_mobile": v_mobile, "phone_intl": v_phone, "cn_resident_id": v_cnid,
       "card_number": v_card, "us_ssn": v_ssn, "iban": v_iban, "passport": v_passport,
       "person_name": v_name}
NEG = [n_card, n_cnid, n_iban, n_ssn, n_mobile, n_email, n_phone, n_misc, n_misc, n_misc]
KEYS = {"email": ["email", "mail_address"], "cn_mobile": ["mobile", "phone", "手机"],
        "phone_intl": ["phone", "telephone"], "cn_resident_id": ["id_card", "身份证号"],
        "card_number": ["card_no", "银行卡"], "us_ssn": ["ssn"], "iban": ["iban", "bank_account"],
        "passport": ["passport_no", "护照"], "person_name": ["name", "姓名"]}


class Doc:
    """Bytes under construction plus the labels of what was put in."""

    def __init__(self, labels=True):
        self.b = bytearray()
        self.labels = [] if labels else None

    def raw(self, s):
        self.b += s.encode() if isinstance(s, str) else s

    def pii(self, typ, text):
        data = text.encode()
        if self.labels is not None:
            self.labels.append({"type": typ, "start": len(self.b), "end": len(self.b) + len(data)})
        self.b += data


def filler(n):
    if R.random() < 0.3:
        return "".join(R.choice(WORDS_CN) for _ in range(n))
    return " ".join(R.choice(WORDS) for _ in range(n))


def record_fields(k):
    types = R.sample(list(POS), k)
    return [(t,) + POS[t]() for t in types]


def json_doc(doc, rows):
    doc.raw('{"status":"ok","data":[')
    for i in range(rows):
        if i:
            doc.raw(",")
        doc.raw('{"id":%d,"created_at":"%s","note":"%s"' % (R.randint(1, 99999), n_misc(), filler(4)))
        for t, _, text in record_fields(R.randint(2, 5)):
            doc.raw(',"%s":"' % R.choice(KEYS[t]))
            doc.pii(t, text)
            doc.raw('"')
        if R.random() < 0.5:
            doc.raw(',"ref":"%s"' % R.choice(NEG)())
        doc.raw("}")
    doc.raw("]}\n")


# Types that need context are written with it in every format; the rest also
# appear bare (CSV cells, DataRow fields), where only validation decides.
BARE = ["email", "cn_mobile", "phone_intl", "cn_resident_id", "card_number", "iban"]


def csv_doc(doc, rows):
    cols = R.sample(BARE, 4)
    doc.raw("id," + ",".join(cols) + ",amount,ref\n")
    for _ in range(rows):
        doc.raw("%d" % R.randint(1, 99999))
        for t in cols:
            doc.raw(",")
            doc.pii(t, POS[t]()[1])
        doc.raw(",%.2f,%s\n" % (R.random() * 500, R.choice(NEG)()))


def psql_doc(doc, rows):
    cols = R.sample(BARE, 3)
    doc.raw(" id | " + " | ".join(cols) + " | ref\n")
    doc.raw("----+" + "+".join("-" * 20 for _ in cols) + "+------\n")
    for _ in range(rows):
        doc.raw(" %3d" % R.randint(1, 999))
        for t in cols:
            doc.raw(" | ")
            doc.pii(t, POS[t]()[1])
        doc.raw(" | %s\n" % R.choice(NEG)())
    doc.raw("(%d rows)\n\n" % rows)


def datarow_doc(doc, rows):
    cols = R.sample(BARE, 3)
    for _ in range(rows):
        fields = [("id", str(R.randint(1, 99999)))] + [(t, POS[t]()[1]) for t in cols]
        fields.append((None, R.choice(NEG)()))
        body = struct.pack(">H", len(fields))
        parts = []
        for t, v in fields:
            parts.append((t, v.encode()))
            body += struct.pack(">I", len(v.encode())) + v.encode()
        doc.raw(b"D" + struct.pack(">I", len(body) + 4) + struct.pack(">H", len(fields)))
        for t, v in parts:
            doc.raw(struct.pack(">I", len(v)))
            if t in POS:
                doc.pii(t, v.decode())
            else:
                doc.raw(v)
    doc.raw(b"C\x00\x00\x00\x0dSELECT 1\x00Z\x00\x00\x00\x05I")


def html_doc(doc, rows):
    doc.raw('<html><head><link rel="icon" href="/img/%s"></head><body><h1>%s</h1>\n'
            % (n_email(), filler(3)))
    doc.raw("<table>\n")
    for _ in range(rows):
        doc.raw("<tr>")
        for t, _, text in record_fields(R.randint(2, 4)):
            doc.raw('<td class="c%d">%s: ' % (R.randint(1, 9), R.choice(KEYS[t])))
            doc.pii(t, text)
            doc.raw("</td>")
        doc.raw("<td>%s</td></tr>\n" % R.choice(NEG)())
    doc.raw("</table><p>%s</p></body></html>\n" % filler(12))


def log_doc(doc, rows):
    for _ in range(rows):
        t, text = v_email() if R.random() < 0.5 else v_mobile()
        doc.raw('10.%d.%d.%d - - [05/Jan/2024:12:%02d:%02d +0000] "GET /api/customers?q='
                % (R.randint(0, 255), R.randint(0, 255), R.randint(1, 254), R.randint(0, 59),
                   R.randint(0, 59)))
        doc.pii(t, text.replace(" ", ""))
        doc.raw('&t=%s HTTP/1.1" 200 %d "-" "curl/8.0"\n' % (n_misc().replace(" ", "T"),
                                                          R.randint(100, 99999)))


def prose_doc(doc, rows):
    for _ in range(rows):
        t, text = POS[R.choice(list(POS))]()
        doc.raw(filler(R.randint(3, 12)) + " " + R.choice(KEYS[t]) + ": ")
        doc.pii(t, text)
        doc.raw(", " + filler(R.randint(2, 8)) + " " + R.choice(NEG)() + ".\n")


FORMATS = [json_doc, csv_doc, psql_doc, datarow_doc, html_doc, log_doc, prose_doc]


def corpus(out, labels_path, target=1_500_000):
    doc = Doc()
    while len(doc.b) < target:
        R.choice(FORMATS)(doc, R.randint(5, 40))
    with open(out, "wb") as f:
        f.write(doc.b)
    with open(labels_path, "w") as f:
        f.write("# start\tend\ttype (byte offsets in the corpus, end exclusive)\n")
        for lab in doc.labels:
            f.write("%d\t%d\t%s\n" % (lab["start"], lab["end"], lab["type"]))


# ---- bench text: HTML / JSON / SQL-result text, with ~1% or no personal data ----

PRODUCTS = ["Widget", "Gadget", "Sprocket", "Gizmo", "Doohickey", "Contraption"]


def bench_chunk(with_pii):
    r = R.randrange(3)
    out = []
    if r == 0:
        out.append('<div class="product"><h2>%s %s</h2><p>%s</p><span class="price">%.2f</span>'
                   '<a href="/shop/item/%d">more</a></div>\n'
                   % (R.choice(PRODUCTS), R.choice(WORDS), filler(30), R.random() * 100,
                      R.randint(1, 99999)))
    elif r == 1:
        out.append('{"sku":"SKU-%d","title":"%s","description":"%s","stock":%d,"updated":"%s"}\n'
                   % (R.randint(1000, 9999), R.choice(PRODUCTS), filler(28), R.randint(0, 500),
                      n_misc()))
    else:
        out.append(" %5d | %-12s | %-60s | %8.2f\n" % (R.randint(1, 99999), R.choice(PRODUCTS),
                                                      filler(10)[:60], R.random() * 1000))
    if with_pii:
        t = R.choice(list(POS))
        out.append('"%s":"%s",\n' % (R.choice(KEYS[t]), POS[t]()[1]))
    return "".join(out)


def bench(out, size_mb, with_pii):
    target = size_mb << 20
    n = 0
    with open(out, "w") as f:
        while n < target:
            # about 1% of bytes: one PII value (~18 bytes) for every ~1.8 KB of text
            block = "".join(bench_chunk(False) for _ in range(7))
            if with_pii:
                block += bench_chunk(True).split("\n", 1)[1]
            f.write(block)
            n += len(block.encode())


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "corpus":
        corpus(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] in ("bench-mixed", "bench-clean"):
        bench(sys.argv[2], int(sys.argv[3]), sys.argv[1] == "bench-mixed")
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
