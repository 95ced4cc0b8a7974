/* Inputs of the impact assessment: the `organisation:` section of the main
 * config, and the data classes and inventory files, loaded (and validated in
 * full) by the sensor's own loaders, sensor/dataclass.c and
 * sensor/inventory.c. */
#include "responder/impact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sensor/dataclass.h"
#include "sensor/geo.h"
#include "sensor/inventory.h"
#include "sensor/pii.h"

static int get_str(const struct bw_ydoc *doc, const struct bw_ynode *map, const char *key,
                   char *out, size_t outlen, struct bw_err *err)
{
    const struct bw_ynode *n = bw_ymap_get(map, key);
    return n == NULL ? 0 : bw_yget_strbuf(doc, n, out, outlen, err);
}

static int country_code(const struct bw_ydoc *doc, const struct bw_ynode *k, char out[3],
                        struct bw_err *err)
{
    if (k->type != BW_Y_SCALAR || k->len != 2 || k->str[0] < 'A' || k->str[0] > 'Z' ||
        k->str[1] < 'A' || k->str[1] > 'Z')
        return bw_ynode_err(doc, k, err, "expected a two-letter upper-case code");
    memcpy(out, k->str, 3);
    return 0;
}

static int load_org(struct impact_inputs *in, const struct bw_config *conf, char *classes_path,
                    char *inventory_path, size_t plen, struct bw_err *err)
{
    static const char *const keys[] = {"name",
                                       "address",
                                       "contact",
                                       "dpo",
                                       "supervisory_authority",
                                       "eu_establishment",
                                       "us_states",
                                       "cn_reporting",
                                       "templates_dir",
                                       "data_classes",
                                       "inventory",
                                       "auto_notice",
                                       NULL};
    static const char *const dpo_keys[] = {"name", "email", "phone", NULL};
    static const char *const cn_keys[] = {"applies", "deadline", "authority", NULL};
    static const char *const auto_keys[] = {"max_severity", "dir", NULL};
    const struct bw_ydoc *doc = &conf->doc;
    const struct bw_ynode *sec = config_section(conf, "organisation"), *n;
    char tmp[256];
    in->cn_deadline_s = 3600;
    snprintf(in->notice_dir, sizeof(in->notice_dir), "%s/notices", conf->state_dir);
    config_path(conf, "data-classes.yaml", classes_path, plen);
    config_path(conf, "inventory.yaml", inventory_path, plen);
    if (sec == NULL)
        return 0;
    if (bw_yexpect(doc, sec, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, sec, keys, err) != 0)
        return -1;
    if (get_str(doc, sec, "name", in->org_name, sizeof(in->org_name), err) ||
        get_str(doc, sec, "address", in->org_address, sizeof(in->org_address), err) ||
        get_str(doc, sec, "contact", in->org_contact, sizeof(in->org_contact), err) ||
        get_str(doc, sec, "supervisory_authority", in->supervisory_authority,
                sizeof(in->supervisory_authority), err))
        return -1;
    if ((n = bw_ymap_get(sec, "eu_establishment")) &&
        bw_yget_bool(doc, n, &in->eu_establishment, err) != 0)
        return -1;
    if ((n = bw_ymap_get(sec, "dpo")) != NULL) {
        if (bw_yexpect(doc, n, BW_Y_MAP, err) || bw_ymap_check_keys(doc, n, dpo_keys, err) ||
            get_str(doc, n, "name", in->dpo_name, sizeof(in->dpo_name), err) ||
            get_str(doc, n, "email", in->dpo_email, sizeof(in->dpo_email), err) ||
            get_str(doc, n, "phone", in->dpo_phone, sizeof(in->dpo_phone), err))
            return -1;
    }
    if ((n = bw_ymap_get(sec, "us_states")) != NULL) {
        if (bw_yexpect(doc, n, BW_Y_MAP, err) != 0)
            return -1;
        for (size_t i = 0; i < n->n && in->nstates < 64; i++) {
            if (country_code(doc, bw_ymap_key(n, i), in->us_states[in->nstates].code, err) ||
                bw_yget_double(doc, bw_ymap_val(n, i), 0, 1, &in->us_states[in->nstates].share,
                               err))
                return -1;
            in->nstates++;
        }
    }
    if ((n = bw_ymap_get(sec, "cn_reporting")) != NULL) {
        const struct bw_ynode *m;
        if (bw_yexpect(doc, n, BW_Y_MAP, err) || bw_ymap_check_keys(doc, n, cn_keys, err))
            return -1;
        if ((m = bw_ymap_get(n, "applies")) && bw_yget_bool(doc, m, &in->cn_applies, err))
            return -1;
        uint64_t us;
        if ((m = bw_ymap_get(n, "deadline")) != NULL) {
            if (bw_yget_duration_us(doc, m, &us, err) != 0)
                return -1;
            if (us < 1000000)
                return bw_ynode_err(doc, m, err, "deadline: at least 1s");
            in->cn_deadline_s = us / 1000000;
        }
        if (get_str(doc, n, "authority", in->cn_authority, sizeof(in->cn_authority), err))
            return -1;
    }
    if ((n = bw_ymap_get(sec, "auto_notice")) != NULL) {
        const struct bw_ynode *m;
        uint64_t sev;
        if (bw_yexpect(doc, n, BW_Y_MAP, err) || bw_ymap_check_keys(doc, n, auto_keys, err))
            return -1;
        if ((m = bw_ymap_get(n, "max_severity")) != NULL) {
            if (bw_yget_u64(doc, m, 0, 4, &sev, err) != 0)
                return -1;
            in->notice_max_severity = (int)sev;
        }
        tmp[0] = '\0';
        if (get_str(doc, n, "dir", tmp, sizeof(tmp), err) != 0)
            return -1;
        if (tmp[0])
            config_path(conf, tmp, in->notice_dir, sizeof(in->notice_dir));
    }
    tmp[0] = '\0';
    if (get_str(doc, sec, "templates_dir", tmp, sizeof(tmp), err) != 0)
        return -1;
    if (tmp[0])
        config_path(conf, tmp, in->templates_dir, sizeof(in->templates_dir));
    tmp[0] = '\0';
    if (get_str(doc, sec, "data_classes", tmp, sizeof(tmp), err) != 0)
        return -1;
    if (tmp[0])
        config_path(conf, tmp, classes_path, plen);
    tmp[0] = '\0';
    if (get_str(doc, sec, "inventory", tmp, sizeof(tmp), err) != 0)
        return -1;
    if (tmp[0])
        config_path(conf, tmp, inventory_path, plen);
    return 0;
}

/* The data classes through the sensor's loader (sensor/dataclass.h). */
static int load_classes(struct impact_inputs *in, const char *path, struct dataclass_set *set,
                        struct bw_err *err)
{
    if (dataclass_load(set, path, err) != 0)
        return -1;
    for (size_t i = 0; i < set->n && in->nclasses < IMPACT_MAX_CLASSES; i++) {
        const struct dataclass_category *dc = &set->cat[i];
        struct impact_category *c = &in->classes[in->nclasses++];
        memset(c, 0, sizeof(*c));
        snprintf(c->name, sizeof(c->name), "%s", dc->name);
        snprintf(c->description, sizeof(c->description), "%s", dc->description);
        snprintf(c->sensitivity, sizeof(c->sensitivity), "%s", dataclass_sens_name(dc->sens));
        for (int t = 0; t < PII_TYPE_MAX && c->ntypes < 16; t++)
            if (dc->pii_types & (1u << t))
                snprintf(c->types[c->ntypes++], sizeof(c->types[0]), "%s",
                         pii_type_name((enum pii_type)t));
    }
    in->have_classes = true;
    return 0;
}

/* The inventory through the sensor's loader (sensor/inventory.h). */
static int load_inventory(struct impact_inputs *in, const char *path,
                          const struct dataclass_set *classes, struct bw_err *err)
{
    struct inventory inv = {0};
    if (inventory_load(&inv, path, classes, err) != 0)
        return -1;
    for (size_t i = 0; i < inv.n && in->ndatasets < IMPACT_MAX_DATASETS; i++) {
        const struct inventory_dataset *s = &inv.ds[i];
        struct impact_dataset *d = &in->datasets[in->ndatasets++];
        memset(d, 0, sizeof(*d));
        snprintf(d->id, sizeof(d->id), "%s", s->id);
        snprintf(d->description, sizeof(d->description), "%s", s->description);
        for (size_t k = 0; k < s->ntables && d->ntables < IMPACT_MAX_LOC; k++)
            snprintf(d->tables[d->ntables++], sizeof(d->tables[0]), "%s", s->tables[k]);
        for (size_t k = 0; k < s->nendpoints && d->nendpoints < IMPACT_MAX_LOC; k++)
            snprintf(d->endpoints[d->nendpoints++], sizeof(d->endpoints[0]), "%s", s->endpoints[k]);
        for (size_t k = 0; k < s->ncategories && d->ncategories < IMPACT_MAX_LOC; k++)
            snprintf(d->categories[d->ncategories++], sizeof(d->categories[0]), "%s",
                     s->categories[k]);
        d->subjects = s->subjects;
        for (size_t k = 0; k < s->njur && d->njur < IMPACT_MAX_JUR; k++) {
            memcpy(d->jur[d->njur].country, s->jur[k].country, 3);
            d->jur[d->njur++].share = s->jur[k].share;
        }
        d->encrypted_at_rest = s->encrypted_at_rest ? 1 : 0;
    }
    inventory_fini(&inv);
    in->have_inventory = true;
    return 0;
}

int impact_inputs_load(struct impact_inputs *in, const struct bw_config *conf, struct bw_err *err)
{
    char classes[256], inventory[256];
    memset(in, 0, sizeof(*in));
    in->conf = conf;
    if (load_org(in, conf, classes, inventory, sizeof(classes), err) != 0)
        return -1;
    struct dataclass_set *set = calloc(1, sizeof(*set));
    if (set == NULL)
        return bw_err_set(err, "out of memory");
    int rc = 0;
    if (access(classes, R_OK) == 0 && load_classes(in, classes, set, err) != 0)
        rc = -1;
    if (rc == 0 && access(inventory, R_OK) == 0 &&
        load_inventory(in, inventory, in->have_classes ? set : NULL, err) != 0)
        rc = -1;
    free(set);
    if (rc != 0)
        return -1;
    /* GeoIP is optional here: a destination it cannot place stays a placeholder. */
    struct bw_err gerr;
    if (geo_from_config(conf, &in->geo, &gerr) != 0)
        in->geo = NULL;
    return 0;
}

void impact_inputs_fini(struct impact_inputs *in)
{
    if (in == NULL)
        return;
    geo_free(in->geo);
    in->geo = NULL;
}
