/* Sensitivity classes (high/medium/low) and data categories from
 * config/data-classes.yaml, with the PII scanner types each category holds:
 * enrichment and impact assessment ask "which category, how sensitive". */
#ifndef BW_DATACLASS_H
#define BW_DATACLASS_H

#include "common/err.h"
#include "sensor/pii.h"

enum dataclass_sens { DATACLASS_LOW = 1, DATACLASS_MEDIUM = 2, DATACLASS_HIGH = 3 };

#define DATACLASS_MAX 32

struct dataclass_category {
    char name[32];
    char description[160];
    enum dataclass_sens sens;
    uint32_t pii_types; /* bit (1 << enum pii_type) per scanner type in this category */
};

struct dataclass_set {
    struct dataclass_category cat[DATACLASS_MAX];
    size_t n;
    int type_cat[PII_TYPE_MAX]; /* index into cat for each scanner type */
};

/* Loads a data-classes file into caller storage. Every scanner type must be
 * in exactly one category. Returns 0, or -1 with file:line:col in err. */
int dataclass_load(struct dataclass_set *set, const char *path, struct bw_err *err) BW_WUR;
/* The same from memory; name is used in messages. */
int dataclass_load_mem(struct dataclass_set *set, const char *name, const void *data, size_t len,
                       struct bw_err *err) BW_WUR;

/* Category by name, NULL if there is none. */
const struct dataclass_category *dataclass_find(const struct dataclass_set *set, const char *name);
/* Category of a scanner type (never NULL after a successful load). */
const struct dataclass_category *dataclass_of_type(const struct dataclass_set *set,
                                                   enum pii_type t);
/* "high", "medium" or "low". */
const char *dataclass_sens_name(enum dataclass_sens s);

#endif
