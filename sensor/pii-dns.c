/* PII in DNS names: the name as it is, and the leading labels of a long
 * name joined and decoded as hex, base32 and base64, as DNS tunnels carry
 * their payload. */
#include "sensor/pii-internal.h"

#include <string.h>

static int hexval(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t decode_hex(const uint8_t *s, size_t n, uint8_t *out)
{
    if (n % 2 != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (hexval(s[i]) < 0)
            return 0;
    for (size_t i = 0; i < n; i += 2)
        out[i / 2] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
    return n / 2;
}

static size_t decode_base32(const uint8_t *s, size_t n, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i] | 0x20;
        int v;
        if (c >= 'a' && c <= 'z')
            v = c - 'a';
        else if (s[i] >= '2' && s[i] <= '7')
            v = s[i] - '2' + 26;
        else if (s[i] == '=')
            break;
        else
            return 0;
        acc = acc << 5 | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

static size_t decode_base64(const uint8_t *s, size_t n, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (is_digit(c))
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=')
            break;
        else
            return 0;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

int pii_scan_dns_name(const struct pii_scanner *sc, struct pii_scratch *scratch, const char *name,
                      size_t len, struct pii_counts *out)
{
    uint8_t joined[256], dec[256];
    size_t labels = 1, jn = 0;
    if (len > 255)
        len = 255;
    if (len > 0 && name[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++)
        labels += name[i] == '.';
    int rc = pii_scan_buf(sc, scratch, name, len, out);
    if (labels < 3)
        return rc;
    /* join the leading labels that carry data: not the last two (the
     * registered domain), and up to the first short label ("t" in
     * data.data.t.tunnel.example), as tunnels put the payload first */
    size_t seen = 0, start = 0;
    for (size_t i = 0; i <= len && seen < labels - 2; i++) {
        if (i < len && name[i] != '.')
            continue;
        if (i - start < 4)
            break;
        memcpy(joined + jn, name + start, i - start);
        jn += i - start;
        seen++;
        start = i + 1;
    }
    if (jn < 12)
        return rc;
    size_t n = decode_hex(joined, jn, dec);
    if (n > 0)
        rc |= pii_scan_buf(sc, scratch, dec, n, out);
    n = decode_base32(joined, jn, dec);
    if (n > 0)
        rc |= pii_scan_buf(sc, scratch, dec, n, out);
    n = decode_base64(joined, jn, dec);
    if (n > 0)
        rc |= pii_scan_buf(sc, scratch, dec, n, out);
    return rc;
}
