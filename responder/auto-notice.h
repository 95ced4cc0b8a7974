/* The responder's own breach-notice drafts (organisation.auto_notice): drafted
 * from the incident in Redis once it reaches the severity, recorded in the
 * timeline (docs/responder.md "Notice drafts"). */
#ifndef BW_AUTO_NOTICE_H
#define BW_AUTO_NOTICE_H

#include "responder/incident-cache.h"

/* Drafts the notices of c's incident when due (see auto-notice.c), after
 * writing through what the alert just handled queued, so the drafts include
 * it and its action. Returns 0, UNKNOWN when Redis could not answer or the
 * journal could not be written through (the alert stays pending and is
 * drafted when handled again), -1 on a journal failure. */
int notice_auto_draft(struct responder *R, struct cache_entry *c);

#endif
