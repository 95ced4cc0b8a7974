/* The detectors' group table: open addressing with linear probing over
 * (hash, pointer) slots, so that looking up a new actor reads the table only,
 * not one cold group per chain link. Kept at most half full; deletion
 * shifts the following run back (no tombstones). */
#ifndef BW_DETECT_TABLE_H
#define BW_DETECT_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct gtab_slot {
    uint64_t hash;
    void *p; /* NULL: empty */
};

struct gtab {
    struct gtab_slot *s;
    size_t mask; /* slots - 1 */
    size_t n;    /* entries */
};

/* An empty table of `slots` (a power of two, at least 16). Returns 0 or -1. */
int gtab_init(struct gtab *t, size_t slots);
void gtab_fini(struct gtab *t);
/* The entry with this hash for which eq(p, ctx) is true, or NULL. eq is only
 * called on entries whose full hash matches. */
void *gtab_find(const struct gtab *t, uint64_t hash, int (*eq)(const void *p, const void *ctx),
                const void *ctx);
/* Adds p (not NULL, not in the table) under hash; doubles the table past half
 * full. Returns 0, or -1 when the table is full and cannot grow. */
int gtab_put(struct gtab *t, uint64_t hash, void *p);
/* Removes p, added under hash; no-op when absent. */
void gtab_del(struct gtab *t, uint64_t hash, const void *p);

#endif
