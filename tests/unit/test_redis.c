/* common/redis.c against a real redis-server on a private Unix socket:
 * URL parsing, commands, a server that goes away and comes back. */
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

static char sock_path[256], dir_path[64];
static pid_t server_pid;

static void server_start(void)
{
    server_pid = fork();
    assert_true(server_pid >= 0);
    if (server_pid == 0) {
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock_path, "--save",
               "", "--appendonly", "no", "--dir", dir_path, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        struct stat st;
        if (stat(sock_path, &st) == 0)
            return;
        usleep(10000);
    }
    fail_msg("redis-server did not start");
}

static void server_stop(void)
{
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    unlink(sock_path);
}

static void test_url_parse(void **state)
{
    (void)state;
    struct bw_redis_url u;
    struct bw_err err;
    assert_int_equal(bw_redis_url_parse("redis://alice:s3cret@10.0.0.5:6380/2", &u, &err), 0);
    assert_string_equal(u.user, "alice");
    assert_string_equal(u.password, "s3cret");
    assert_string_equal(u.host, "10.0.0.5");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 2);
    assert_int_equal(bw_redis_url_parse("redis://[::1]:7000", &u, &err), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    assert_int_equal(bw_redis_url_parse("redis://pw@host", &u, &err), 0);
    assert_string_equal(u.password, "pw");
    assert_int_equal(u.port, 6379);
    assert_int_equal(bw_redis_url_parse("unix:///run/redis.sock?db=3", &u, &err), 0);
    assert_true(u.is_unix);
    assert_string_equal(u.host, "/run/redis.sock");
    assert_int_equal(u.db, 3);
    assert_int_equal(bw_redis_url_parse("redis://host:99999", &u, &err), -1);
    assert_int_equal(bw_redis_url_parse("http://host", &u, &err), -1);
    assert_int_equal(bw_redis_url_parse("redis://host/16", &u, &err), -1);
    char buf[300];
    assert_int_equal(bw_redis_url_parse("redis://alice:s3cret@h:1/0", &u, &err), 0);
    bw_redis_url_fmt(&u, buf, sizeof(buf));
    assert_null(strstr(buf, "s3cret"));
}

static void test_reconnect(void **state)
{
    (void)state;
    snprintf(dir_path, sizeof(dir_path), "/tmp/bw-test-redis-XXXXXX");
    assert_non_null(mkdtemp(dir_path));
    snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir_path);
    struct bw_redis_url u;
    char url[300];
    snprintf(url, sizeof(url), "unix://%s", sock_path);
    assert_int_equal(bw_redis_url_parse(url, &u, NULL), 0);
    struct bw_redis *r = bw_redis_new(&u, 500);
    /* No server yet: a clean failure, no crash. */
    assert_null(bw_redis_cmdv(r, 1, (const char *[]){"PING"}));
    assert_false(bw_redis_connected(r));
    server_start();
    usleep(150000); /* past the first backoff */
    redisReply *rep = bw_redis_cmdv(r, 3, (const char *[]){"SET", "k", "v"});
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_STATUS);
    bw_redis_reply_free(rep);
    /* Binary-safe arguments. */
    const char *av[] = {"SET", "bin", "a\0b"};
    size_t lens[] = {3, 3, 3};
    rep = bw_redis_cmd(r, 3, av, lens);
    bw_redis_reply_free(rep);
    rep = bw_redis_cmdv(r, 2, (const char *[]){"STRLEN", "bin"});
    assert_int_equal(rep->integer, 3);
    bw_redis_reply_free(rep);
    /* An error reply is a reply, not a broken connection. */
    rep = bw_redis_cmdv(r, 1, (const char *[]){"NOSUCHCOMMAND"});
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ERROR);
    bw_redis_reply_free(rep);
    assert_true(bw_redis_connected(r));
    server_stop();
    assert_null(bw_redis_cmdv(r, 1, (const char *[]){"PING"}));
    assert_false(bw_redis_connected(r));
    server_start();
    rep = NULL;
    for (int i = 0; i < 100 && rep == NULL; i++) {
        rep = bw_redis_cmdv(r, 1, (const char *[]){"PING"});
        if (rep == NULL)
            usleep(50000);
    }
    assert_non_null(rep);
    assert_string_equal(rep->str, "PONG");
    bw_redis_reply_free(rep);
    bw_redis_free(r);
    server_stop();
    rmdir(dir_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_reconnect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
