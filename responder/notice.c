/* Notice drafts (responder/notice.h): the template context is the impact
 * assessment plus the organisation; Markdown is the template's output, HTML
 * is the same template rendered with escaped values and turned into HTML
 * inside page.html, JSON is the assessment with the Markdown draft. */
#include "responder/notice.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "responder/template.h"

#define TEMPLATE_MAX_BYTES (1u << 20)

int notice_regime_valid(const char *r)
{
    return r && (strcmp(r, "gdpr-art33") == 0 || strcmp(r, "gdpr-art34") == 0 ||
                 strcmp(r, "ccpa") == 0 || strcmp(r, "pipl") == 0);
}

int notice_lang_valid(const char *l)
{
    return l && (strcmp(l, "en") == 0 || strcmp(l, "zh") == 0);
}

int notice_format_valid(const char *f)
{
    return f && (strcmp(f, "md") == 0 || strcmp(f, "json") == 0 || strcmp(f, "html") == 0);
}

int notice_placeholders(const char *text)
{
    int n = 0;
    /* The drafting note's own "[TO COMPLETE: ...]" is an example, not a gap. */
    for (const char *p = text; (p = strstr(p, "[TO COMPLETE")) != NULL; p++)
        n += strncmp(p, "[TO COMPLETE: ...]", 18) != 0;
    return n;
}

/* Reads a template: organisation.templates_dir first, then the built-in folder. */
static int load_template(const struct impact_inputs *in, const char *file, struct bw_buf *out,
                         char *used, size_t usedlen, struct bw_err *err)
{
    const char *dirs[3] = {in->templates_dir[0] ? in->templates_dir : NULL,
                           getenv("BW_TEMPLATES_DIR"), BW_TEMPLATES_DIR};
    for (int i = 0; i < 3; i++) {
        if (dirs[i] == NULL || dirs[i][0] == '\0')
            continue;
        snprintf(used, usedlen, "%s/%s", dirs[i], file);
        FILE *f = fopen(used, "rb");
        if (f == NULL)
            continue;
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            if (out->len + n > TEMPLATE_MAX_BYTES) {
                fclose(f);
                return bw_err_set(err, "%s: larger than %u bytes", used, TEMPLATE_MAX_BYTES);
            }
            bw_buf_append(out, buf, n);
        }
        int bad = ferror(f);
        fclose(f);
        if (bad || out->oom)
            return bw_err_set(err, "%s: read failed", used);
        return 0;
    }
    return bw_err_set(err,
                      "template %s not found (organisation.templates_dir, "
                      "$BW_TEMPLATES_DIR, " BW_TEMPLATES_DIR ")",
                      file);
}

static json_t *or_ph(const char *v, const char *what)
{
    char ph[256];
    return json_string(v && *v ? v : impact_placeholder(what, ph, sizeof(ph)));
}

/* The template context: the assessment plus organisation and draft facts. */
static json_t *context(const json_t *a, const struct impact_inputs *in, const char *regime,
                       const char *lang)
{
    json_t *c = json_deep_copy(a);
    if (c == NULL)
        return NULL;
    json_t *dpo = json_object();
    json_object_set_new(dpo, "name", or_ph(in->dpo_name, "name of the data protection officer"));
    json_object_set_new(dpo, "email", or_ph(in->dpo_email, "e-mail of the DPO"));
    json_object_set_new(dpo, "phone", or_ph(in->dpo_phone, "telephone of the DPO"));
    json_t *org = json_object();
    json_object_set_new(org, "name", or_ph(in->org_name, "name of the organisation"));
    json_object_set_new(org, "address", or_ph(in->org_address, "address of the organisation"));
    json_object_set_new(org, "contact",
                        or_ph(in->org_contact, "contact point for more information"));
    json_object_set_new(org, "dpo", dpo);
    json_object_set_new(c, "org", org);
    json_object_set_new(c, "regime", json_string(regime));
    json_object_set_new(c, "lang", json_string(lang));
    /* Major US credit reporting agencies (1798.82(d)(2)(D)): the names and
     * toll-free numbers these agencies publish for consumers; the mailing
     * addresses differ by request type, so they are left to complete. */
    static const struct {
        const char *name, *phone;
    } cra[] = {{"Equifax", "1-800-685-1111"},
               {"Experian", "1-888-397-3742"},
               {"TransUnion", "1-888-909-8872"}};
    json_t *cb = json_array();
    for (size_t i = 0; i < 3; i++) {
        char what[128];
        snprintf(what, sizeof(what), "mailing address of %s as it currently publishes it",
                 cra[i].name);
        json_array_append_new(cb, json_pack("{s:s,s:s,s:o}", "name", cra[i].name, "phone",
                                            cra[i].phone, "address", or_ph(NULL, what)));
    }
    json_object_set_new(c, "credit_bureaus", cb);
    return c;
}

static void inline_md(struct bw_buf *o, const char *s, size_t n)
{
    int bold = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == '*' && s[i + 1] == '*') {
            bw_buf_puts(o, bold ? "</strong>" : "<strong>");
            bold = !bold;
            i++;
            continue;
        }
        bw_buf_putc(o, s[i]);
    }
    if (bold)
        bw_buf_puts(o, "</strong>");
}

/* The Markdown subset the templates use (#, ##, ###, "- " lists, "> " notes,
 * paragraphs, **bold**) to HTML. Values were escaped when rendered. */
static void md_to_html(const char *md, struct bw_buf *o, struct bw_buf *title)
{
    enum { NONE, PARA, LIST, NOTE } st = NONE;
    const char *p = md;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *next = e ? e + 1 : p + n;
        int blank = n == 0;
        int h = 0;
        while ((size_t)h < n && p[h] == '#')
            h++;
        int heading = h > 0 && h <= 3 && (size_t)h < n && p[h] == ' ';
        int item = n >= 2 && p[0] == '-' && p[1] == ' ';
        int note = n >= 1 && p[0] == '>';
        int want = blank || heading ? (int)NONE : item ? (int)LIST : note ? (int)NOTE : (int)PARA;
        if ((int)st != want) {
            if (st == PARA)
                bw_buf_puts(o, "</p>\n");
            else if (st == LIST)
                bw_buf_puts(o, "</ul>\n");
            else if (st == NOTE)
                bw_buf_puts(o, "</div>\n");
            if (want == PARA)
                bw_buf_puts(o, "<p>");
            else if (want == LIST)
                bw_buf_puts(o, "<ul>\n");
            else if (want == NOTE)
                bw_buf_puts(o, "<div class=\"note\">\n");
            st = (__typeof__(st))want;
        } else if (st == PARA) {
            bw_buf_puts(o, "<br>\n");
        }
        if (heading) {
            bw_buf_printf(o, "<h%d>", h);
            inline_md(o, p + h + 1, n - (size_t)h - 1);
            bw_buf_printf(o, "</h%d>\n", h);
            if (h == 1 && title->len == 0)
                bw_buf_append(title, p + h + 1, n - (size_t)h - 1);
        } else if (item) {
            bw_buf_puts(o, "<li>");
            inline_md(o, p + 2, n - 2);
            bw_buf_puts(o, "</li>\n");
        } else if (note) {
            size_t skip = n >= 2 && p[1] == ' ' ? 2 : 1;
            if (n > skip && p[skip] == '-' && p[skip + 1] == ' ') {
                bw_buf_puts(o, "&bull; ");
                skip += 2;
            }
            inline_md(o, p + skip, n - skip);
            bw_buf_puts(o, "<br>\n");
        } else if (!blank) {
            inline_md(o, p, n);
        }
        p = next;
    }
    if (st == PARA)
        bw_buf_puts(o, "</p>\n");
    else if (st == LIST)
        bw_buf_puts(o, "</ul>\n");
    else if (st == NOTE)
        bw_buf_puts(o, "</div>\n");
}

static int render_md(json_t *ctx, const struct impact_inputs *in, const char *regime,
                     const char *lang, int flags, struct bw_buf *out, struct bw_err *err)
{
    char file[64], used[600];
    struct bw_buf tpl;
    bw_buf_init(&tpl);
    snprintf(file, sizeof(file), "%s.%s.md", regime, lang);
    int rc = load_template(in, file, &tpl, used, sizeof(used), err);
    if (rc == 0) {
        /* Twice: the second pass knows how many placeholders the first left. */
        struct bw_buf first;
        bw_buf_init(&first);
        json_object_set_new(ctx, "placeholders", json_integer(0));
        rc = template_render(used, tpl.data, tpl.len, ctx, flags, &first, err);
        if (rc == 0) {
            json_object_set_new(ctx, "placeholders", json_integer(notice_placeholders(first.data)));
            rc = template_render(used, tpl.data, tpl.len, ctx, flags, out, err);
        }
        bw_buf_fini(&first);
    }
    bw_buf_fini(&tpl);
    return rc;
}

int notice_render(const json_t *a, const struct impact_inputs *in, const char *regime,
                  const char *lang, const char *format, struct bw_buf *out, struct bw_err *err)
{
    if (!notice_regime_valid(regime) || !notice_lang_valid(lang) || !notice_format_valid(format))
        return bw_err_set(err, "unknown regime, language or format");
    json_t *ctx = context(a, in, regime, lang);
    if (ctx == NULL)
        return bw_err_set(err, "out of memory");
    int rc = -1;
    struct bw_buf md, body, title, page;
    bw_buf_init(&md);
    bw_buf_init(&body);
    bw_buf_init(&title);
    bw_buf_init(&page);
    if (strcmp(format, "md") == 0) {
        rc = render_md(ctx, in, regime, lang, 0, out, err);
    } else if (strcmp(format, "json") == 0) {
        if (render_md(ctx, in, regime, lang, 0, &md, err) != 0)
            goto out;
        json_t *doc = json_pack("{s:s,s:s,s:i,s:O,s:O,s:s}", "regime", regime, "lang", lang,
                                "placeholders", notice_placeholders(md.data), "organisation",
                                json_object_get(ctx, "org"), "assessment", a, "draft_md", md.data);
        char *s = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
        json_decref(doc);
        if (s == NULL) {
            bw_err_set(err, "out of memory");
            goto out;
        }
        bw_buf_puts(out, s);
        bw_buf_putc(out, '\n');
        free(s);
        rc = 0;
    } else {
        if (render_md(ctx, in, regime, lang, TEMPLATE_HTML, &md, err) != 0)
            goto out;
        md_to_html(md.data, &body, &title);
        char used[600];
        if (load_template(in, "page.html", &page, used, sizeof(used), err) != 0)
            goto out;
        json_t *pc = json_pack("{s:s,s:s,s:s}", "title", title.len ? title.data : regime, "body",
                               body.data ? body.data : "", "lang", lang);
        if (pc == NULL) {
            bw_err_set(err, "out of memory");
            goto out;
        }
        /* Title and body are escaped already: page.html inserts them raw. */
        rc = template_render(used, page.data, page.len, pc, 0, out, err);
        json_decref(pc);
    }
out:
    bw_buf_fini(&md);
    bw_buf_fini(&body);
    bw_buf_fini(&title);
    bw_buf_fini(&page);
    json_decref(ctx);
    return rc;
}

static int mkdirs(const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_file(const char *path, const struct bw_buf *b, char sha[65])
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(b->data, b->len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    for (unsigned i = 0; i < 32; i++)
        snprintf(sha + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int notice_draft_all(const struct incident_view *v, const struct impact_inputs *in, const char *dir,
                     struct notice_draft *out, int max, int *n, struct bw_err *err)
{
    *n = 0;
    json_t *a = impact_assess(v, in);
    if (a == NULL)
        return bw_err_set(err, "out of memory");
    const json_t *r = json_object_get(a, "regimes");
    struct {
        const char *regime, *key, *lang;
    } jobs[] = {{"gdpr-art33", "gdpr", "en"},
                {"gdpr-art34", "gdpr", "en"},
                {"ccpa", "ccpa", "en"},
                {"pipl", "pipl", "zh"},
                {"pipl", "pipl", "en"}};
    static const char *const formats[] = {"md", "html", "json"};
    char base[400];
    int rc = -1;
    /* Incident ids are ours, but keep the path inside dir whatever they hold. */
    char safe[96];
    size_t k = 0;
    for (const char *p = v->id; *p && k + 1 < sizeof(safe); p++)
        safe[k++] = (*p == '/' || *p == '.') ? '_' : *p;
    safe[k] = '\0';
    snprintf(base, sizeof(base), "%s/%s", dir ? dir : in->notice_dir, safe);
    if (mkdirs(base) != 0) {
        bw_err_set(err, "%s: %s", base, strerror(errno));
        goto out;
    }
    for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
        const char *ap =
            json_string_value(json_object_get(json_object_get(r, jobs[j].key), "applies"));
        if (ap == NULL || strcmp(ap, "no") == 0)
            continue;
        if (strcmp(jobs[j].regime, "gdpr-art34") == 0 &&
            !json_is_true(
                json_object_get(json_object_get(json_object_get(r, "gdpr"), "art34"), "needed")))
            continue;
        for (size_t f = 0; f < 3; f++) {
            if (*n >= max) {
                bw_err_set(err, "more than %d drafts", max);
                goto out;
            }
            struct notice_draft *d = &out[*n];
            struct bw_buf b;
            bw_buf_init(&b);
            int bad = notice_render(a, in, jobs[j].regime, jobs[j].lang, formats[f], &b, err);
            snprintf(d->regime, sizeof(d->regime), "%s", jobs[j].regime);
            snprintf(d->lang, sizeof(d->lang), "%s", jobs[j].lang);
            snprintf(d->format, sizeof(d->format), "%s", formats[f]);
            snprintf(d->path, sizeof(d->path), "%s/%s.%s.%s", base, jobs[j].regime, jobs[j].lang,
                     formats[f]);
            if (!bad && write_file(d->path, &b, d->sha256) != 0) {
                bw_err_set(err, "%s: %s", d->path, strerror(errno));
                bad = 1;
            }
            bw_buf_fini(&b);
            if (bad)
                goto out;
            (*n)++;
        }
    }
    rc = 0;
out:
    json_decref(a);
    return rc;
}

void notice_draft_json(const struct notice_draft *d, struct bw_buf *out)
{
    struct bw_json j;
    bw_json_init(&j, out);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "regime", d->regime);
    bw_json_str(&j, "lang", d->lang);
    bw_json_str(&j, "format", d->format);
    bw_json_str(&j, "path", d->path);
    bw_json_str(&j, "sha256", d->sha256);
    bw_json_obj_end(&j);
}
