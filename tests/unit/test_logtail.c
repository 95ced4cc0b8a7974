/* The log follower: bounded line assembly (a 10 MB line costs max_line),
 * one-shot reading, saved positions and their validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/logtail.h"

struct got {
    char lines[16][64];
    size_t lens[16];
    int n;
};

static void on_line(void *ctx, const char *line, size_t len, int64_t off, int64_t end)
{
    struct got *g = ctx;
    (void)off;
    (void)end;
    if (g->n < 16) {
        snprintf(g->lines[g->n], sizeof(g->lines[0]), "%.*s", (int)(len < 63 ? len : 63), line);
        g->lens[g->n] = len;
        g->n++;
    }
}

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bw-logs-ut.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *mode, const char *s, size_t n)
{
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    assert_int_equal(fwrite(s, 1, n, fp), n);
    fclose(fp);
}

static void run_all(struct logtail *t, struct got *g)
{
    for (int i = 0; i < 1000 && !t->eof; i++)
        assert_true(logtail_poll(t, on_line, g) >= 0);
}

static void oversized_line(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/big.log", dir);
    size_t big = 10u << 20;
    char *b = malloc(big + 16);
    assert_non_null(b);
    memcpy(b, "a\n", 2);
    memset(b + 2, 'x', big);
    memcpy(b + 2 + big, "\nb\nc", 4);
    write_file(path, "w", b, big + 6);
    free(b);
    struct logtail t;
    struct bw_err err;
    struct logtail_opts o = {.follow = 0, .max_line = 4096};
    struct got g = {0};
    assert_int_equal(logtail_open(&t, path, &o, &err), 0);
    run_all(&t, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.lines[0], "a");
    assert_string_equal(g.lines[1], "b");
    assert_string_equal(g.lines[2], "c"); /* last line without newline */
    assert_int_equal(t.oversized, 1);
    assert_int_equal(t.bytes, big + 6);
    logtail_close(&t);
}

static void line_at_the_limit(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/limit.log", dir);
    char b[600];
    memset(b, 'y', 256);
    b[256] = '\n';
    memset(b + 257, 'z', 257);
    b[514] = '\n';
    write_file(path, "w", b, 515);
    struct logtail t;
    struct bw_err err;
    struct logtail_opts o = {.follow = 0, .max_line = 256};
    struct got g = {0};
    assert_int_equal(logtail_open(&t, path, &o, &err), 0);
    run_all(&t, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.lens[0], 256);
    assert_int_equal(t.oversized, 1);
    logtail_close(&t);
}

static void positions(void **state)
{
    (void)state;
    char path[128], st[128];
    snprintf(path, sizeof(path), "%s/pos.log", dir);
    snprintf(st, sizeof(st), "%s/state", dir);
    write_file(path, "w", "one\ntwo\nthr", 11);
    struct logtail t;
    struct bw_err err;
    struct logtail_opts o = {.follow = 1, .state_dir = st, .from_start = 1};
    struct got g = {0};
    assert_int_equal(logtail_open(&t, path, &o, &err), 0);
    assert_int_equal(logtail_poll(&t, on_line, &g), 2);
    assert_int_equal(t.commit, 8); /* the partial "thr" is not committed */
    logtail_close(&t);
    /* restart: resumes after "two", completes "three" */
    write_file(path, "a", "ee\nfour\n", 8);
    memset(&g, 0, sizeof(g));
    assert_int_equal(logtail_open(&t, path, &o, &err), 0);
    assert_int_equal(logtail_poll(&t, on_line, &g), 2);
    assert_string_equal(g.lines[0], "three");
    assert_string_equal(g.lines[1], "four");
    logtail_close(&t);
    /* replaced by another file of the same size: read from the start */
    write_file(path, "w", "ONE\nTWO\nTHREE\nFOUR\n", 19);
    memset(&g, 0, sizeof(g));
    assert_int_equal(logtail_open(&t, path, &o, &err), 0);
    assert_int_equal(logtail_poll(&t, on_line, &g), 4);
    assert_string_equal(g.lines[0], "ONE");
    logtail_close(&t);
    /* a missing file in follow mode is not an error; it is read when it appears */
    snprintf(path, sizeof(path), "%s/late.log", dir);
    memset(&g, 0, sizeof(g));
    assert_int_equal(logtail_open(&t, path, &o, &err), 0);
    assert_int_equal(logtail_poll(&t, on_line, &g), 0);
    assert_int_equal(t.missing, 1);
    write_file(path, "w", "late\n", 5);
    assert_int_equal(logtail_poll(&t, on_line, &g), 1);
    assert_string_equal(g.lines[0], "late");
    logtail_close(&t);
    /* one-shot on a missing file is an error */
    o.follow = 0;
    snprintf(path, sizeof(path), "%s/none.log", dir);
    assert_int_equal(logtail_open(&t, path, &o, &err), -1);
    assert_non_null(strstr(err.msg, "none.log"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oversized_line),
        cmocka_unit_test(line_at_the_limit),
        cmocka_unit_test(positions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
