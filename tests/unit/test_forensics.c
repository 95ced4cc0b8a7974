/* responder/forensics.c, journal.c and redact.c: the timeline hash against an
 * independent computation, the journal's torn-line handling, redaction, and
 * the store against a real redis-server on a private Unix socket (entries
 * chained, written through from the journal after the server was away,
 * without duplicates; tampering named by verification). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "common/redis.h"
#include "responder/forensics.h"
#include "responder/journal.h"
#include "responder/redact.h"
#include "responder/responder.h"

static char dir_path[64], sock_path[256];
static pid_t server_pid;

static void server_start(void)
{
    server_pid = fork();
    assert_true(server_pid >= 0);
    if (server_pid == 0) {
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock_path, "--save",
               "", "--appendonly", "yes", "--appendfsync", "always", "--loglevel", "warning",
               "--dir", dir_path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) {
        struct stat st;
        if (stat(sock_path, &st) == 0) {
            usleep(20000);
            return;
        }
        usleep(10000);
    }
    fail_msg("redis-server did not start");
}

static void server_stop(void)
{
    kill(server_pid, SIGKILL);
    waitpid(server_pid, NULL, 0);
    unlink(sock_path);
}

static void test_timeline_hash(void **state)
{
    (void)state;
    char h[FORENSICS_HASH_HEX];
    /* Computed independently (Python hashlib over the bytes of
     * docs/responder.md). */
    timeline_hash("alert:a1:0", "alert", "0.1.0", "h1", "2023-11-14T22:13:20.000000+0000",
                  "responder:r1", "{\"x\":1}",
                  "0000000000000000000000000000000000000000000000000000000000000000", h);
    assert_string_equal(h, "477ae14be085a542dae29caa1199a02066fd9e42330858cfc3c882fbd84fe36a");
    /* Lengths make the encoding unambiguous: moving a byte between fields
     * changes the hash. */
    char h2[FORENSICS_HASH_HEX];
    timeline_hash("alert:a1:", "0alert", "0.1.0", "h1", "2023-11-14T22:13:20.000000+0000",
                  "responder:r1", "{\"x\":1}",
                  "0000000000000000000000000000000000000000000000000000000000000000", h2);
    assert_string_not_equal(h, h2);
}

static void test_redact(void **state)
{
    (void)state;
    char out[256];
    redact_text("SELECT * FROM c WHERE email='jane.doe@example.com' AND id=12345", 64, out,
                sizeof(out));
    assert_string_equal(out, "SELECT * FROM c WHERE email='<email>' AND id=#####");
    const char *s = "/api/customers/110101199003077777?x=a@b";
    redact_text(s, strlen(s), out, sizeof(out));
    assert_string_equal(out, "/api/customers/##################?x=a@b");
    /* cut at the buffer size, still terminated */
    redact_text("0123456789", 10, out, 5);
    assert_string_equal(out, "####");
}

static int count_line(void *ctx, const char *line, size_t n)
{
    (void)line;
    (void)n;
    (*(int *)ctx)++;
    return 0;
}

static void test_journal_torn(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/j/t.jnl", dir_path);
    struct bw_err err;
    struct journal *j = journal_open(path, NULL, &err);
    assert_non_null(j);
    assert_int_equal(journal_append(j, "{\"a\":1}", 7), 0);
    assert_int_equal(journal_sync(j), 0);
    /* a second opener is refused while the first holds it */
    int busy = 0;
    assert_null(journal_open(path, &busy, &err));
    assert_int_equal(busy, 1);
    journal_close(j);
    /* simulate a crash mid-write: a line without its newline */
    FILE *f = fopen(path, "a");
    fputs("{\"torn", f);
    fclose(f);
    j = journal_open(path, NULL, &err);
    assert_non_null(j);
    assert_int_equal(journal_size(j), 8); /* torn tail cut off */
    assert_int_equal(journal_append(j, "{\"b\":2}", 7), 0);
    int n = 0;
    assert_int_equal(journal_replay(j, count_line, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(journal_truncate(j), 0);
    n = 0;
    assert_int_equal(journal_replay(j, count_line, &n), 0);
    assert_int_equal(n, 0);
    journal_close_unlink(j);
}

static long long xlen(struct bw_redis *r, const char *key)
{
    redisReply *rep = bw_redis_cmdv(r, 2, (const char *[]){"XLEN", key});
    assert_non_null(rep);
    long long n = rep->integer;
    bw_redis_reply_free(rep);
    return n;
}

static void test_store_outage(void **state)
{
    (void)state;
    server_start();
    struct responder_config cfg;
    struct bw_err err;
    assert_int_equal(responder_config_load(&cfg, NULL, NULL, &err), 0);
    snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state", dir_path);
    snprintf(cfg.consumer, sizeof(cfg.consumer), "unit");
    struct bw_redis_url url;
    char u[300];
    snprintf(u, sizeof(u), "unix://%s", sock_path);
    assert_int_equal(bw_redis_url_parse(u, &url, &err), 0);
    struct bw_redis *r = bw_redis_new(&url, 500);
    struct forensics *f = forensics_new(&cfg, r, NULL, &err);
    assert_non_null(f);
    const char *kv[] = {"id", "INC-1", "status", "open", "actor", "10.0.0.9"};
    int written = 0;
    assert_int_equal(forensics_state(f, "INC-1", 1700000000000000LL, "10.0.0.9", 3, kv), 0);
    assert_int_equal(forensics_entry(f, "INC-1", "e1", "alert", 1700000000000000LL, "unit", "{}"),
                     0);
    assert_int_equal(forensics_commit(f, &written), 0);
    assert_int_equal(written, 1);
    assert_true(forensics_synced(f));

    /* Redis goes away: entries are durable in the journal only. */
    server_stop();
    assert_int_equal(forensics_entry(f, "INC-1", "e2", "note", 1700000001000000LL, "unit",
                                     "{\"reason\":\"two\"}"),
                     0);
    assert_int_equal(forensics_entry(f, "INC-1", "e3", "note", 1700000002000000LL, "unit",
                                     "{\"reason\":\"three\"}"),
                     0);
    /* the same entry id again (a retried step) */
    assert_int_equal(forensics_entry(f, "INC-1", "e2", "note", 1700000001000000LL, "unit",
                                     "{\"reason\":\"two\"}"),
                     0);
    assert_int_equal(forensics_commit(f, &written), 0);
    assert_int_equal(written, 0);
    assert_false(forensics_synced(f));

    /* It comes back (AOF kept e1): write-through in order, once. */
    server_start();
    usleep(200000); /* past the reconnect backoff */
    for (int i = 0; i < 50 && forensics_flush(f) != 0; i++)
        usleep(100000);
    assert_true(forensics_synced(f));
    assert_int_equal(xlen(r, "bw:incident:{INC-1}:timeline"), 3);
    assert_int_equal(forensics_flush(f), 0); /* nothing left, nothing added */
    assert_int_equal(xlen(r, "bw:incident:{INC-1}:timeline"), 3);
    struct verify_report *rep = calloc(1, sizeof(*rep));
    assert_int_equal(forensics_verify(f, "INC-1", rep), 0);
    assert_int_equal(rep->nproblems, 0);
    assert_int_equal(rep->entries, 3);

    /* order: e1, e2, e3 */
    redisReply *x =
        bw_redis_cmdv(r, 4, (const char *[]){"XRANGE", "bw:incident:{INC-1}:timeline", "-", "+"});
    assert_non_null(x);
    assert_int_equal(x->elements, 3);
    for (size_t i = 0; i < 3; i++) {
        char want[4];
        snprintf(want, sizeof(want), "e%zu", i + 1);
        assert_string_equal(x->element[i]->element[1]->element[1]->str, want);
    }
    /* tamper: remove the middle entry */
    char sid[64];
    snprintf(sid, sizeof(sid), "%s", x->element[1]->element[0]->str);
    bw_redis_reply_free(x);
    bw_redis_reply_free(
        bw_redis_cmdv(r, 3, (const char *[]){"XDEL", "bw:incident:{INC-1}:timeline", sid}));
    assert_int_equal(forensics_verify(f, "INC-1", rep), 0);
    assert_true(rep->nproblems >= 1);
    assert_non_null(strstr(rep->problems[0], "entry 2"));
    assert_non_null(strstr(rep->problems[0], "prev does not match"));
    free(rep);
    forensics_free(f);
    bw_redis_free(r);
    responder_config_fini(&cfg);
    server_stop();
}

static void test_config_errors(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/bad.yaml", dir_path);
    FILE *f = fopen(path, "w");
    fputs("playbooks:\n  - name: a\n    rules: [x]\n    mode: enforcing\n", f);
    fclose(f);
    struct responder_config cfg;
    struct bw_err err;
    assert_int_equal(responder_config_load(&cfg, NULL, path, &err), -1);
    assert_non_null(strstr(err.msg, ":4:11"));
    assert_non_null(strstr(err.msg, "expected enforce, dry-run or approve"));
    assert_int_equal(responder_config_load(&cfg, NULL, "config/responder.yaml", &err), 0);
    assert_true(cfg.nplaybooks >= 2);
    responder_config_fini(&cfg);
}

int main(void)
{
    snprintf(dir_path, sizeof(dir_path), "/tmp/bw-test-forensics-XXXXXX");
    if (mkdtemp(dir_path) == NULL)
        return 1;
    snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir_path);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeline_hash), cmocka_unit_test(test_redact),
        cmocka_unit_test(test_journal_torn),  cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_store_outage),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir_path);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
