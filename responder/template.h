/* The notice template engine: a small logic-less language over a JSON data
 * tree (jansson). {{name}} and {{a.b}} insert a value, {{#name}}..{{/name}}
 * renders its body once per list item, once for a true/non-empty value, never
 * for a false/empty/absent one; {{^name}}..{{/name}} is the inverse; {{! ..}}
 * is a comment; {{.}} is the current item; {{&name}} inserts without HTML
 * escaping (for a body rendered already). A tag alone on its line removes the
 * line. docs/notices.md describes it for template authors. */
#ifndef BW_TEMPLATE_H
#define BW_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define TEMPLATE_HTML 1 /* escape & < > " ' in every inserted value */

/* Renders tpl[0..len) with data (borrowed; an object) appended to out. name is
 * used in messages ("name:line: unknown variable x"). A variable that resolves
 * to nothing, or to a list or object, is an error, so a template cannot drop a
 * fact silently. Returns 0, or -1 with err (out then holds a partial result). */
int template_render(const char *name, const char *tpl, size_t len, const json_t *data, int flags,
                    struct bw_buf *out, struct bw_err *err) BW_WUR;

/* Appends s[0..n) HTML-escaped to out. */
void template_html_escape(struct bw_buf *out, const char *s, size_t n);

#endif
