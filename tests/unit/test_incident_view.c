/* responder/incident-view.c and the assessment's times: the detection time
 * (earliest alert) and the breach dates (earliest breach.first_seen .. latest
 * breach.last_seen) do not depend on the order the alerts arrive in, and
 * awareness and the GDPR deadline count from detection. Input: the compromised
 * host's alerts of the notice fixtures (tests/data/notices/all.eve.json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/timeutil.h"
#include "responder/impact.h"

#define MAXL 32

static int nlines;
static char *lines[MAXL];

/* The alerts of 10.77.0.66, in file (time) order. */
static int load(void **state)
{
    (void)state;
    FILE *f = fopen("tests/data/notices/all.eve.json", "r");
    assert_non_null(f);
    char *l = NULL;
    size_t cap = 0;
    nlines = 0;
    while (getline(&l, &cap, f) > 0 && nlines < MAXL)
        if (strstr(l, "\"src_ip\": \"10.77.0.66\"") != NULL)
            lines[nlines++] = strdup(l);
    free(l);
    fclose(f);
    assert_true(nlines >= 4);
    return 0;
}

static int unload(void **state)
{
    (void)state;
    for (int i = 0; i < nlines; i++)
        free(lines[i]);
    return 0;
}

static struct incident_view *view_of(const int *order)
{
    struct incident_view *v = calloc(1, sizeof(*v));
    assert_non_null(v);
    for (int i = 0; i < nlines; i++)
        assert_int_equal(incident_view_add_eve(v, lines[order[i]], strlen(lines[order[i]])), 0);
    return v;
}

static int64_t field_us(const char *line, const char *key)
{
    json_t *j = json_loads(line, 0, NULL);
    const char *s = json_string_value(json_object_get(json_object_get(j, "breach"), key));
    if (s == NULL)
        s = json_string_value(json_object_get(j, key));
    int64_t us = 0;
    assert_int_equal(bw_time_parse(s, &us), 0);
    json_decref(j);
    return us;
}

static void test_order_independent(void **state)
{
    (void)state;
    int fwd[MAXL], rev[MAXL];
    int64_t det = INT64_MAX, af = INT64_MAX, al = 0;
    for (int i = 0; i < nlines; i++) {
        fwd[i] = i;
        rev[i] = nlines - 1 - i;
        int64_t t = field_us(lines[i], "timestamp"), f = field_us(lines[i], "first_seen"),
                l = field_us(lines[i], "last_seen");
        det = t < det ? t : det;
        af = f < af ? f : af;
        al = l > al ? l : al;
    }
    struct incident_view *a = view_of(fwd), *b = view_of(rev);
    assert_true(a->detected_us == det && b->detected_us == det);
    assert_true(a->activity_first_us == af && b->activity_first_us == af);
    assert_true(a->activity_last_us == al && b->activity_last_us == al);
    /* The breach started before detection, in these recorded scenarios by 1 s. */
    assert_true(af < det);
    assert_true(det - af == 1000000);
    assert_true(incident_view_detected(b) == det);
    free(a);
    free(b);
}

static void test_assessment_times(void **state)
{
    (void)state;
    int rev[MAXL];
    for (int i = 0; i < nlines; i++)
        rev[i] = nlines - 1 - i;
    struct incident_view *v = view_of(rev);
    /* As the responder's hash would give it: opened by the last alert. */
    v->opened_us = v->last_us;
    /* No organisation, classes or inventory: the defaults (home_net). */
    struct impact_inputs *in = calloc(1, sizeof(*in));
    struct bw_config conf;
    struct bw_err err;
    assert_non_null(in);
    assert_int_equal(config_load(&conf, NULL, &err), 0);
    in->conf = &conf;
    json_t *a = impact_assess(v, in);
    assert_non_null(a);
    json_t *inc = json_object_get(a, "incident"), *rg = json_object_get(a, "regimes");
#define US(o, k) json_integer_value(json_object_get(json_object_get(o, k), "us"))
    assert_true(US(inc, "detected") == v->detected_us);
    assert_true(US(inc, "activity_first") == v->activity_first_us);
    assert_true(US(inc, "activity_last") == v->activity_last_us);
    assert_true(US(inc, "opened") == v->last_us);
    assert_true(US(rg, "awareness") == v->detected_us);
    assert_true(US(json_object_get(rg, "gdpr"), "deadline") ==
                v->detected_us + 72LL * 3600 * BW_USEC);
#undef US
    json_decref(a);
    config_fini(&conf);
    free(in);
    free(v);
}

/* An alert without first_seen/last_seen covers its own instant; a reversed
 * span is read in order. */
static void test_span_fallbacks(void **state)
{
    (void)state;
    json_t *j = json_loads(lines[0], 0, NULL);
    json_t *br = json_object_get(j, "breach");
    int64_t ts = field_us(lines[0], "timestamp");
    json_object_del(br, "first_seen");
    json_object_del(br, "last_seen");
    char *s = json_dumps(j, 0);
    struct incident_view *v = calloc(1, sizeof(*v));
    assert_non_null(v);
    assert_int_equal(incident_view_add_eve(v, s, strlen(s)), 0);
    assert_true(v->activity_first_us == ts && v->activity_last_us == ts && v->detected_us == ts);
    free(s);
    memset(v, 0, sizeof(*v));
    json_object_set_new(br, "first_seen", json_string("2026-12-01T09:00:00.000000+0000"));
    json_object_set_new(br, "last_seen", json_string("2026-12-01T08:00:00.000000+0000"));
    s = json_dumps(j, 0);
    assert_int_equal(incident_view_add_eve(v, s, strlen(s)), 0);
    int64_t h8 = 0, h9 = 0;
    assert_int_equal(bw_time_parse("2026-12-01T08:00:00.000000+0000", &h8), 0);
    assert_int_equal(bw_time_parse("2026-12-01T09:00:00.000000+0000", &h9), 0);
    assert_true(v->activity_first_us == h8 && v->activity_last_us == h9);
    free(s);
    free(v);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_assessment_times),
        cmocka_unit_test(test_span_fallbacks),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
