/* URI folding: turns a request path into an endpoint name by replacing the
 * identifier segments (/api/customers/123 -> /api/customers/{n}), so requests
 * for different records count against one dataset. Shared by the HTTP parser
 * and the web-server log parsers. */
#ifndef BW_URI_FOLD_H
#define BW_URI_FOLD_H

#include <stddef.h>

/* Folds `path` (a request target, possibly with a query string or an absolute
 * URI) into out (NUL-terminated, cut at outlen-1). Segments that are all
 * digits become {n}, UUIDs {uuid}, hex strings of 16+ characters holding a
 * digit {hex}, other
 * letter-and-digit tokens of 20+ characters {id}; the query string and fragment are dropped;
 * "http://host" is removed from an absolute URI. Returns the length written. */
size_t uri_fold(const char *path, size_t len, char *out, size_t outlen);

#endif
