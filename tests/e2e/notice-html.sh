#!/usr/bin/env bash
# The HTML draft renders in headless Chromium: a screenshot is produced and it
# is not blank (enough distinct pixel values and dark text pixels on the page).
# With KEEP=PATH the screenshot is copied there (docs/notice-example.png).
set -euo pipefail
D=$BW_SRC/tests/data/notices
command -v chromium >/dev/null || { echo "skipped: chromium not installed (apt-get install chromium)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BW_BIN" notice INC-compromised-host -c "$D/breachwatch.yaml" --from-eve "$D/all.eve.json" \
    --actor 10.77.0.66 --regime ccpa --format html -o "$tmp/notice.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
    --screenshot="$tmp/out.png" --window-size=1000,1400 "file://$tmp/notice.html" \
    >"$tmp/chromium.log" 2>&1 || { cat "$tmp/chromium.log"; exit 1; }
[ -s "$tmp/out.png" ] || { echo "FAIL: no screenshot"; cat "$tmp/chromium.log"; exit 1; }
python3 - "$tmp/out.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
        bpp = 3 if ctype == 2 else 4
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, dark = set(), 0
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 4):
        px = bytes(line[x:x + 3])
        colours.add(px)
        if sum(px) < 200:
            dark += 1
    prev = line
print("screenshot %dx%d: %d distinct colours, %d dark samples" % (w, h, len(colours), dark))
if len(colours) < 20 or dark < 500:
    sys.exit("FAIL: screenshot is blank")
PY
if [ -n "${KEEP:-}" ]; then cp "$tmp/out.png" "$KEEP"; fi
echo "ok: html draft rendered"
