/* Open-addressing group table (see detect-table.h). */
#include "sensor/detect-table.h"

#include <stdlib.h>

int gtab_init(struct gtab *t, size_t slots)
{
    if (slots < 16)
        slots = 16;
    t->s = calloc(slots, sizeof(*t->s));
    t->mask = slots - 1;
    t->n = 0;
    return t->s != NULL ? 0 : -1;
}

void gtab_fini(struct gtab *t)
{
    free(t->s);
    t->s = NULL;
    t->n = 0;
}

void *gtab_find(const struct gtab *t, uint64_t hash, int (*eq)(const void *p, const void *ctx),
                const void *ctx)
{
    for (size_t i = hash & t->mask; t->s[i].p != NULL; i = (i + 1) & t->mask)
        if (t->s[i].hash == hash && eq(t->s[i].p, ctx))
            return t->s[i].p;
    return NULL;
}

static void place(struct gtab_slot *s, size_t mask, uint64_t hash, void *p)
{
    size_t i = hash & mask;
    while (s[i].p != NULL)
        i = (i + 1) & mask;
    s[i].hash = hash;
    s[i].p = p;
}

static int grow(struct gtab *t)
{
    size_t slots = (t->mask + 1) * 2;
    struct gtab_slot *ns = calloc(slots, sizeof(*ns));
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->s[i].p != NULL)
            place(ns, slots - 1, t->s[i].hash, t->s[i].p);
    free(t->s);
    t->s = ns;
    t->mask = slots - 1;
    return 0;
}

int gtab_put(struct gtab *t, uint64_t hash, void *p)
{
    /* past half full: grow; if that fails, fill up to all but one slot (a
     * probe must always meet an empty slot) */
    if ((t->n + 1) * 2 > t->mask + 1 && grow(t) != 0 && t->n + 1 >= t->mask + 1)
        return -1;
    place(t->s, t->mask, hash, p);
    t->n++;
    return 0;
}

void gtab_del(struct gtab *t, uint64_t hash, const void *p)
{
    size_t i = hash & t->mask;
    while (t->s[i].p != p) {
        if (t->s[i].p == NULL)
            return;
        i = (i + 1) & t->mask;
    }
    /* Shift back each later entry of the run whose home slot is not in
     * (i, j]: its probe from home would otherwise stop at the hole. */
    for (size_t j = (i + 1) & t->mask; t->s[j].p != NULL; j = (j + 1) & t->mask) {
        size_t home = t->s[j].hash & t->mask;
        int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            t->s[i] = t->s[j];
            i = j;
        }
    }
    t->s[i].p = NULL;
    t->s[i].hash = 0;
    t->n--;
}
