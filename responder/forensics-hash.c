/* Forensics store, hashing: the canonical bytes and SHA-256 of a timeline
 * entry (the chain of docs/responder.md) and the SHA-256 of evidence files. */
#include "responder/forensics.h"

#include <fcntl.h>
#include <string.h>
#include <openssl/evp.h>
#include <unistd.h>

static void field(struct bw_buf *out, const char *name, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    bw_buf_printf(out, "%s:%zu:", name, n);
    bw_buf_append(out, v ? v : "", n);
    bw_buf_putc(out, '\n');
}

void timeline_canonical(struct bw_buf *out, const char *eid, const char *type, const char *version,
                        const char *host, const char *time, const char *actor, const char *data,
                        const char *prev)
{
    bw_buf_puts(out, "bw-timeline-v1\n");
    field(out, "eid", eid);
    field(out, "type", type);
    field(out, "version", version);
    field(out, "host", host);
    field(out, "time", time);
    field(out, "actor", actor);
    field(out, "data", data);
    field(out, "prev", prev);
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void timeline_hash(const char *eid, const char *type, const char *version, const char *host,
                   const char *time, const char *actor, const char *data, const char *prev,
                   char out[FORENSICS_HASH_HEX])
{
    struct bw_buf b;
    bw_buf_init(&b);
    timeline_canonical(&b, eid, type, version, host, time, actor, data, prev);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(b.data ? b.data : "", b.len, md, &mdlen, EVP_sha256(), NULL);
    hex(md, mdlen, out);
    bw_buf_fini(&b);
}

int forensics_file_sha256(const char *path, char out[FORENSICS_HASH_HEX], uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -1;
    uint64_t total = 0;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (n < 0)
        goto out;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    hex(md, mdlen, out);
    if (size != NULL)
        *size = total;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}
