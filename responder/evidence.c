/* An alert's evidence capture in the incident (see evidence.h). */
#include "responder/evidence.h"

#include <string.h>

#include "common/json.h"
#include "responder/forensics.h"
#include "responder/pipeline.h"

int evidence_record(struct responder *R, struct cache_entry *c, const struct alert_in *a)
{
    const char *path = jget_str(a->evidence, "pcap"), *claimed = jget_str(a->evidence, "sha256");
    if (path == NULL || claimed == NULL)
        return 0;
    const char *item = strrchr(path, '/');
    item = item ? item + 1 : path;
    char eid[300];
    snprintf(eid, sizeof(eid), "evidence:%s", item);
    /* Unknown: recorded again (the same item and entry id: idempotent). */
    if (incident_entry_seen(R, c, eid) == 1)
        return 0;
    char got[FORENSICS_HASH_HEX];
    uint64_t size = 0;
    int readable = forensics_file_sha256(path, got, &size) == 0;
    const char *sha = readable ? got : claimed;
    struct bw_buf b;
    bw_buf_init(&b);
    struct bw_json j;
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "sha256", sha);
    bw_json_uint(&j, "size", size);
    bw_json_str(&j, "path", path);
    bw_json_obj_end(&j);
    int rc = forensics_evidence(R->fx, c->inc.id, item, b.data);
    bw_buf_reset(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "item", item);
    bw_json_str(&j, "path", path);
    bw_json_str(&j, "sha256", sha);
    bw_json_uint(&j, "size", size);
    bw_json_uint(&j, "packets", jget_u64(a->evidence, "packets"));
    bw_json_str(&j, "alert_id", a->alert_id);
    bw_json_bool(&j, "readable", readable);
    if (readable && strcmp(got, claimed) != 0)
        bw_json_str(&j, "sensor_sha256_mismatch", claimed);
    bw_json_obj_end(&j);
    if (rc == 0)
        rc = incident_add_entry(R, c, eid, "evidence", a->ts_us, b.data);
    bw_buf_fini(&b);
    return rc;
}
