/* Breach-notice drafts: renders an impact assessment (responder/impact.h)
 * through the templates of one regime and language (responder/templates/,
 * overridable by organisation.templates_dir) as Markdown, HTML or JSON, and
 * writes every applicable draft of an incident for the responder. */
#ifndef BW_NOTICE_H
#define BW_NOTICE_H

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "responder/impact.h"

/* Regimes, languages and formats by name. */
#define NOTICE_REGIMES "gdpr-art33|gdpr-art34|ccpa|pipl"
int notice_regime_valid(const char *regime);
int notice_lang_valid(const char *lang);     /* en|zh */
int notice_format_valid(const char *format); /* md|json|html */

/* Renders the draft of regime/lang/format for assessment a (borrowed) with
 * the organisation of in, appended to out. Returns 0, or -1 with err (a
 * template that does not load or render). */
int notice_render(const json_t *a, const struct impact_inputs *in, const char *regime,
                  const char *lang, const char *format, struct bw_buf *out,
                  struct bw_err *err) BW_WUR;

/* Number of "[TO COMPLETE" placeholders in a rendered draft (the literal
 * example "[TO COMPLETE: ...]" of the drafting note excluded). */
int notice_placeholders(const char *text);

struct notice_draft {
    char regime[16], lang[4], format[8];
    char path[512];
    char sha256[65];
};

#define NOTICE_MAX_DRAFTS 24

/* Writes every draft for the regimes that apply (or may apply) to the
 * incident, in English (and Chinese for PIPL), as md, html and json, into
 * dir/<incident id>/<regime>.<lang>.<format> (dir NULL = in->notice_dir).
 * Each file is written to a temporary name, fsynced and renamed. Fills
 * out[0..*n) with path and SHA-256 for the timeline. Returns 0, or -1 with
 * err (drafts written before the failure stay listed in out). */
int notice_draft_all(const struct incident_view *v, const struct impact_inputs *in, const char *dir,
                     struct notice_draft *out, int max, int *n, struct bw_err *err) BW_WUR;

/* The data of the timeline entry that records a draft (type "notice"):
 * {"regime","lang","format","path","sha256"} appended to out. */
void notice_draft_json(const struct notice_draft *d, struct bw_buf *out);

#endif
