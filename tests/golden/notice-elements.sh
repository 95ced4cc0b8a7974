#!/usr/bin/env bash
# Every element each law requires is in every draft of its regime, in every
# language and format, for every incident built from the recorded scenarios;
# the placeholder count the draft announces is the number it holds; values are
# HTML-escaped in the html format.
set -euo pipefail
D=$BW_SRC/tests/data/notices
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$D"/*.eve.json; do
    s=$(basename "$f" .eve.json)
    for r in gdpr-art33 gdpr-art34 ccpa pipl; do
        for l in en zh; do
            for fm in md html json; do
                "$BW_BIN" notice "INC-$s" -c "$D/breachwatch.yaml" --from-eve "$f" --regime $r \
                    --lang $l --format $fm -o "$tmp/$s.$r.$l.$fm"
            done
        done
    done
done
# Without an organisation section, classes or inventory (the shipped default
# config): every draft still renders, with the unknown facts as placeholders.
for r in gdpr-art33 gdpr-art34 ccpa pipl; do
    "$BW_BIN" notice INC-default -c "$BW_SRC/config/breachwatch.yaml" \
        --from-eve "$D/exfil-pgsql-bulk.eve.json" --regime $r --lang en -o "$tmp/default.$r"
    grep -q -F -e "[TO COMPLETE: name of the organisation]" -e "[TO COMPLETE: name of the data protection officer]" "$tmp/default.$r" ||
        { echo "FAIL default.$r: organisation placeholder missing"; exit 1; }
done
# An alert whose free-text fields carry markup.
sed 's#"dataset": "public.customers"#"dataset": "<script>alert(1)</script>\&x"#; s#"user": "app"#"user": "a<b>\\"c"#' \
    "$D/exfil-pgsql-bulk.eve.json" >"$tmp/markup.eve"
"$BW_BIN" notice INC-markup -c "$D/breachwatch.yaml" --from-eve "$tmp/markup.eve" \
    --regime gdpr-art33 --format html -o "$tmp/markup.html"
python3 - "$tmp" <<'PY'
import glob, json, os, re, sys
d = sys.argv[1]
# Required elements: (regime, lang) -> list of (what, required text).
REQ = {
 ("gdpr-art33", "en"): [
   ("33(3)(a) nature", "Nature of the breach (Art. 33(3)(a))"),
   ("33(3)(a) subjects", "Approximate number of data subjects concerned"),
   ("33(3)(a) records", "Approximate number of personal data records concerned"),
   ("33(3)(a) categories", "Categories of personal data concerned"),
   ("33(3)(a) categories of subjects", "Categories of data subjects"),
   ("33(3)(b) DPO", "Contact point (Art. 33(3)(b))"), ("DPO e-mail", "dpo@shop.example"),
   ("33(3)(c)", "Likely consequences (Art. 33(3)(c))"),
   ("33(3)(d)", "Measures taken or proposed (Art. 33(3)(d))"),
   ("72 h clock", "72 hours from awareness"), ("authority", "Berliner Beauftragte"),
   ("33(1) delay reasons", "reasons for the delay"), ("33(4) phases", "in phases")],
 ("gdpr-art33", "zh"): [
   ("33(3)(a)", "第33(3)(a)项"), ("33(3)(b)", "第33(3)(b)项"), ("33(3)(c)", "第33(3)(c)项"),
   ("33(3)(d)", "第33(3)(d)项"), ("DPO e-mail", "dpo@shop.example"), ("72 h", "72 小时")],
 ("gdpr-art34", "en"): [
   ("nature in plain language", "What happened"), ("33(3)(b) contact", "Who to contact"),
   ("DPO e-mail", "dpo@shop.example"), ("33(3)(c) consequences", "What this may mean for you"),
   ("33(3)(d) measures", "What we have done"), ("34(3)(a) checked", "(a) Art. 34(3)(a)"),
   ("34(3)(b) checked", "Art. 34(3)(b)"), ("34(3)(c) checked", "Art. 34(3)(c)")],
 ("gdpr-art34", "zh"): [
   ("nature", "发生了什么"), ("contact", "联系方式"), ("DPO e-mail", "dpo@shop.example"),
   ("consequences", "可能对您造成的影响"), ("measures", "我们已采取的措施"), ("34(3)", "第34(3)条")],
 ("ccpa", "en"): [("title", "# Notice of Data Breach")] + [
   (h, "## " + h) for h in ("What Happened", "What Information Was Involved",
                            "What We Are Doing", "What You Can Do", "For More Information")] + [
   ("AG sample", "Attorney General sample copy"), ("date of notice", "Date of this notice"),
   ("law enforcement delay", "law enforcement investigation")],
 ("ccpa", "zh"): [("title", "# Notice of Data Breach")] + [
   (h, "## " + h) for h in ("What Happened", "What Information Was Involved",
                            "What We Are Doing", "What You Can Do", "For More Information")],
 ("pipl", "zh"): [
   ("57 item 1", "发生或者可能发生个人信息泄露、篡改、丢失的信息种类、原因和可能造成的危害"),
   ("57 item 2", "个人信息处理者采取的补救措施和个人可以采取的减轻危害的措施"),
   ("57 item 3", "个人信息处理者的联系方式"), ("immediately", "立即"),
   ("DPO e-mail", "dpo@shop.example")],
 ("pipl", "en"): [
   ("57 item 1", "the cause, and the possible harm"), ("57 item 2", "Remedial measures"),
   ("57 item 3", "Contact details of the processor"), ("immediately", "immediately")],
}
SSN = {"exfil-pgsql-bulk", "exfil-pgdump", "exfil-pgsql-drip", "exfil-api-scrape",
       "exfil-http-upload", "all"}   # scenarios whose alerts count US SSNs
def text_of(path):
    raw = open(path, encoding="utf-8").read()
    if path.endswith(".json"):
        doc = json.loads(raw)
        return doc["draft_md"], doc
    if path.endswith(".html"):
        import html
        return html.unescape(re.sub(r"<[^>]+>", "", raw.replace("<h1>", "# ").replace("<h2>", "## "))), None
    return raw, None
fails = checks = 0
for path in sorted(glob.glob(os.path.join(d, "*.*.*.*"))):
    s, r, l, fm = os.path.basename(path).rsplit(".", 3)
    t, doc = text_of(path)
    want = list(REQ[(r, l)])
    if r == "ccpa" and l == "en" and s in SSN:
        want += [("credit bureaus", "Equifax: toll-free 1-800-685-1111"),
                 ("credit bureaus", "Experian: toll-free 1-888-397-3742"),
                 ("credit bureaus", "TransUnion: toll-free 1-888-909-8872"),
                 ("id theft offer", "identity theft prevention and mitigation services at no cost"),
                 ("12 months", "at least 12 months")]
    if r == "ccpa" and l == "en" and s not in SSN:
        if "Equifax" in t:
            print("FAIL %s: credit bureaus without SSNs" % path); fails += 1
    for what, needle in want:
        checks += 1
        if needle not in t:
            print("FAIL %s: %s (%r) missing" % (os.path.basename(path), what, needle)); fails += 1
    checks += 1
    if "{{" in t or "}}" in t:
        print("FAIL %s: template tag left" % path); fails += 1
    m = re.search(r"\((\d+) left\)|剩余 (\d+) 处", t)
    n = sum(1 for x in re.findall(r"\[TO COMPLETE[^\]]*\]", t) if x != "[TO COMPLETE: ...]")
    checks += 1
    if not m or int(m.group(1) or m.group(2)) != n:
        print("FAIL %s: announced placeholders %s, found %d" % (path, m and m.group(0), n)); fails += 1
    if doc is not None:
        checks += 1
        if doc["placeholders"] != n or doc["regime"] != r or "assessment" not in doc:
            print("FAIL %s: json metadata" % path); fails += 1
h = open(os.path.join(d, "markup.html"), encoding="utf-8").read()
checks += 3
if "<script>" in h or "<b>" in h:
    print("FAIL markup.html: raw markup from alert fields"); fails += 1
if "&lt;script&gt;alert(#)&lt;/script&gt;&amp;x" not in h:
    print("FAIL markup.html: dataset not escaped (and digits scrubbed) as expected"); fails += 1
if "a&lt;b&gt;&quot;c" not in h:
    print("FAIL markup.html: user not escaped"); fails += 1
print("%d checks over %d drafts, %d failures" % (checks, len(glob.glob(os.path.join(d, "*.*.*.*"))), fails))
sys.exit(1 if fails else 0)
PY
