/* Records estimated from statements (sensor/sql-estimate.c) against the
 * shipped inventory: real statements of pcaps/logs/postgresql.log and the
 * shapes ORMs, pg_dump and mysqldump send; the recorded log end to end
 * through the postgresql parser, summed per actor against its truth file;
 * the tokenizer the table extractor and the estimator share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/yaml-tree.h"
#include "sensor/access.h"
#include "sensor/inventory.h"
#include "sensor/logparse.h"
#include "sensor/logsrc.h"
#include "sensor/sql-estimate.h"
#include "sensor/sql-tables.h"

static struct inventory inv;

static int setup(void **state)
{
    (void)state;
    struct bw_err err;
    return inventory_load(&inv, "config/inventory.yaml", NULL, &err);
}

static int teardown(void **state)
{
    (void)state;
    inventory_fini(&inv);
    return 0;
}

/* The estimate of one statement as the postgresql log source makes it:
 * dataset from the table extractor, shape from the text, inventory. Returns
 * the rule name ("none" when unknown) and sets *n. */
static const char *est(const char *sql, uint64_t *n)
{
    struct bw_access ev;
    access_init(&ev);
    ev.channel = ACCESS_CH_LOG;
    logp_sql(&ev, sql, strlen(sql), "public");
    (void)sql_shape_read(sql, strlen(sql), &ev.sql);
    *n = 0;
    if (!sql_estimate_apply(&inv, &ev))
        return "none";
    assert_int_equal(ev.records_src, ACCESS_REC_STATEMENT);
    *n = ev.records;
    return ev.records_rule;
}

#define EST(sql, rule, want)                                                                       \
    do {                                                                                           \
        uint64_t n_;                                                                               \
        const char *r_ = est(sql, &n_);                                                            \
        if (strcmp(r_, rule) != 0 || n_ != (uint64_t)(want))                                       \
            fail_msg("%s: got %s %llu, want %s %llu", sql, r_, (unsigned long long)n_, rule,       \
                     (unsigned long long)(want));                                                  \
    } while (0)

static void test_recorded_statements(void **state)
{
    (void)state;
    /* pcaps/logs/postgresql.log, as logged */
    EST("SELECT * FROM customers", "full-table", 10000);
    EST("SELECT count(*) FROM customers", "aggregate", 0);
    EST("SELECT * FROM customers ORDER BY id LIMIT 25 OFFSET 0", "limit", 25);
    EST("SELECT * FROM customers ORDER BY id LIMIT 25 OFFSET 2975", "limit", 25);
    EST("SELECT * FROM customers WHERE id = 4711", "key", 1);
    EST("COPY public.customers (id, name, email, phone, cn_resident_id, card_number, ssn, "
        "address, birth_date, country) TO stdout;",
        "full-table", 10000);
    EST("LOCK TABLE public.customers IN ACCESS SHARE MODE", "none", 0);
    EST("SELECT pg_catalog.set_config('search_path', '', false);", "none", 0);
    EST("SET statement_timeout = 0", "none", 0);
    EST("BEGIN", "none", 0);
    /* pg_dump's catalog queries: tables outside the inventory, no estimate */
    EST("SELECT c.oid FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid "
        "OPERATOR(pg_catalog.=) c.relnamespace WHERE c.relkind OPERATOR(pg_catalog.=) ANY "
        "(array['r', 'p'])",
        "none", 0);
}

static void test_orm_and_dump_shapes(void **state)
{
    (void)state;
    /* Rails / ActiveRecord */
    EST("SELECT \"customers\".* FROM \"customers\" WHERE \"customers\".\"id\" = $1 LIMIT $2", "key",
        1);
    EST("SELECT \"customers\".* FROM \"customers\" ORDER BY \"customers\".\"id\" ASC LIMIT $1",
        "none", 0); /* a parameter limit: unknown */
    EST("SELECT \"customers\".* FROM \"customers\" WHERE \"customers\".\"id\" IN (1, 2, 3)", "key",
        3);
    /* Django */
    EST("SELECT \"customers\".\"id\", \"customers\".\"email\" FROM \"customers\" WHERE "
        "\"customers\".\"id\" = 5 LIMIT 21",
        "key", 1);
    EST("SELECT COUNT(*) AS \"__count\" FROM \"customers\"", "aggregate", 0);
    /* Hibernate / JDBC placeholders, soft delete */
    EST("select c1_0.id,c1_0.email from customers c1_0 where c1_0.id=? and c1_0.deleted_at is "
        "not null",
        "key", 1);
    /* SQLAlchemy paging, FETCH FIRST */
    EST("SELECT customers.id, customers.name FROM customers ORDER BY customers.id OFFSET 9990 "
        "ROWS FETCH FIRST 100 ROWS ONLY",
        "limit", 10); /* capped: 10 rows are left after offset 9990 */
    EST("SELECT * FROM customers FETCH FIRST ROW ONLY", "limit", 1);
    EST("SELECT * FROM customers FETCH FIRST 5 ROWS WITH TIES", "none", 0);
    /* MySQL: LIMIT offset, count; mysqldump's whole-table read */
    EST("SELECT * FROM customers LIMIT 100, 50", "limit", 50);
    EST("SELECT /*!40001 SQL_NO_CACHE */ * FROM `customers`", "full-table", 10000);
    /* pg_dump --inserts reads through a cursor; COPY of a query; TABLE */
    EST("DECLARE _pg_dump_cursor CURSOR FOR SELECT * FROM ONLY public.customers", "full-table",
        10000);
    EST("COPY (SELECT id, email FROM customers) TO STDOUT WITH CSV HEADER", "full-table", 10000);
    EST("COPY (SELECT * FROM customers WHERE country = 'CN') TO STDOUT", "none", 0);
    EST("COPY customers FROM stdin", "none", 0);
    EST("TABLE customers", "full-table", 10000);
    EST("TABLE customers LIMIT 7", "limit", 7);
    /* common table expressions: which table the rows come from is not
     * followed, so only a limit or an aggregate counts */
    EST("WITH recent AS (SELECT id FROM orders) SELECT * FROM customers", "none", 0);
    EST("WITH one AS (SELECT * FROM customers WHERE id = 1) SELECT * FROM one", "none", 0);
    EST("WITH c AS (SELECT * FROM customers) SELECT * FROM c LIMIT 40", "limit", 40);
    EST("WITH c AS (SELECT * FROM customers) SELECT count(*) FROM c", "aggregate", 0);
    /* aggregates and groups: no records of the dataset */
    EST("SELECT country, count(*) FROM customers GROUP BY country", "aggregate", 0);
    EST("SELECT max(id) FROM customers", "aggregate", 0);
    EST("SELECT country, count(*) FROM customers GROUP BY country LIMIT 3", "limit", 3);
    /* a window function returns every row */
    EST("SELECT id, count(*) OVER () FROM customers", "full-table", 10000);
    /* unknown: never invented */
    EST("SELECT * FROM customers WHERE country = 'CN'", "none", 0);
    EST("SELECT * FROM customers WHERE id = 5 OR id = 6", "none", 0);
    EST("SELECT * FROM customers WHERE id > 5", "none", 0);
    EST("SELECT * FROM customers WHERE id = 5 + 1", "none", 0);
    EST("SELECT DISTINCT country FROM customers", "none", 0);
    EST("SELECT * FROM customers c JOIN orders o ON o.cid = c.id", "none", 0);
    EST("SELECT * FROM customers, orders", "none", 0);
    EST("SELECT * FROM (SELECT * FROM customers) t", "none", 0);
    EST("SELECT * FROM customers WHERE id IN (SELECT cid FROM orders)", "none", 0);
    EST("SELECT * FROM customers UNION SELECT * FROM customers", "none", 0);
    EST("SELECT * INTO backup_customers FROM customers", "none", 0);
    EST("SELECT * FROM orders", "none", 0); /* not in the inventory: no rows known */
    EST("INSERT INTO customers (id) VALUES (1)", "none", 0);
    EST("UPDATE customers SET email = 'x' WHERE id = 1", "none", 0);
    EST("DELETE FROM customers WHERE id = 1", "none", 0);
    EST("", "none", 0);
    /* the limit of a table outside the inventory still bounds */
    EST("SELECT * FROM orders LIMIT 10", "limit", 10);
    /* strings and comments hide keywords */
    EST("SELECT * FROM customers -- WHERE id = 1", "full-table", 10000);
    EST("SELECT * FROM customers WHERE note = 'LIMIT 5'", "none", 0);
}

/* The shape without inventory: what the log parser stores. */
static void test_shapes(void **state)
{
    (void)state;
    struct sql_shape sh;
    const char *q = "SELECT * FROM customers c WHERE c.id = $1 AND c.tenant = 3 LIMIT 10 OFFSET 20";
    assert_int_equal(sql_shape_read(q, strlen(q), &sh), SQL_SHAPE_READ);
    assert_true(sh.single);
    assert_false(sh.whole);
    assert_true(sh.has_limit);
    assert_int_equal(sh.limit, 10);
    assert_int_equal(sh.offset, 20);
    assert_int_equal(sh.nkeys, 2);
    assert_string_equal(sh.key[0].col, "id");
    assert_string_equal(sh.key[1].col, "tenant");
    /* no dataset known: the limit alone, uncapped */
    uint64_t n = 0;
    assert_int_equal(sql_estimate(&sh, NULL, &n), SQL_EST_LIMIT);
    assert_int_equal(n, 10);
    q = "SELECT * FROM customers";
    assert_int_equal(sql_shape_read(q, strlen(q), &sh), SQL_SHAPE_READ);
    assert_true(sh.whole);
    assert_int_equal(sql_estimate(&sh, NULL, &n), SQL_EST_NONE);
    /* a text cut in the middle is read as far as it goes, never past */
    q = "SELECT * FROM customers WHERE id = 5";
    assert_int_equal(sql_shape_read(q, 9, &sh), SQL_SHAPE_NONE);  /* no FROM within 9 bytes */
    assert_int_equal(sql_shape_read(q, 14, &sh), SQL_SHAPE_READ); /* FROM, but no table */
    assert_false(sh.single);
    assert_int_equal(sql_shape_read(NULL, 5, &sh), SQL_SHAPE_NONE);
    assert_int_equal(sh.kind, SQL_SHAPE_NONE);
    /* an unterminated string or comment */
    q = "SELECT * FROM customers WHERE id = 'x";
    assert_int_equal(sql_shape_read(q, strlen(q), &sh), SQL_SHAPE_READ);
    assert_int_equal(sh.nkeys, 1);
    q = "SELECT * FROM customers /* LIMIT";
    assert_int_equal(sql_shape_read(q, strlen(q), &sh), SQL_SHAPE_READ);
    assert_true(sh.whole);
}

static void test_tokenizer(void **state)
{
    (void)state;
    const char *q = "SELECT a.\"B c\", 'it''s', $1, ?, 1.5e3, $$x$$ FROM t -- c\n;";
    struct sql_lex lx;
    struct sql_tok t;
    enum sql_tok_type want[] = {
        SQL_TOK_WORD,  SQL_TOK_WORD,   SQL_TOK_PUNCT, SQL_TOK_QIDENT, SQL_TOK_PUNCT, SQL_TOK_STRING,
        SQL_TOK_PUNCT, SQL_TOK_PARAM,  SQL_TOK_PUNCT, SQL_TOK_PARAM,  SQL_TOK_PUNCT, SQL_TOK_NUMBER,
        SQL_TOK_PUNCT, SQL_TOK_STRING, SQL_TOK_WORD,  SQL_TOK_WORD,   SQL_TOK_PUNCT, SQL_TOK_END};
    sql_lex_init(&lx, q, strlen(q));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        sql_lex_next(&lx, &t);
        if (t.type != want[i])
            fail_msg("token %zu '%.*s': type %d, want %d", i, (int)t.n, t.s, t.type, want[i]);
    }
    sql_lex_init(&lx, "SeLeCt 42", 9);
    sql_lex_next(&lx, &t);
    assert_true(sql_tok_is(&t, "select"));
    sql_lex_next(&lx, &t);
    uint64_t v;
    assert_int_equal(sql_tok_u64(&t, &v), 0);
    assert_int_equal(v, 42);
}

/* The recorded log through the postgresql parser: per actor (user@ip) the
 * estimated records of public.customers equal the captures' truth. */
struct actor_sum {
    char who[96];
    uint64_t records;
};

struct sums {
    struct actor_sum a[16];
    int n;
};

static void sum_event(void *ctx, struct bw_access *ev)
{
    struct sums *s = ctx;
    char ip[BW_ADDR_STRLEN], who[96];
    (void)sql_estimate_apply(&inv, ev);
    if (strcmp(ev->dataset, "public.customers") != 0)
        return;
    snprintf(who, sizeof(who), "%s@%s", ev->actor_user, bw_addr_fmt(&ev->actor_ip, ip));
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->a[i].who, who) == 0) {
            s->a[i].records += ev->records;
            return;
        }
    assert_true(s->n < 16);
    snprintf(s->a[s->n].who, sizeof(s->a[0].who), "%s", who);
    s->a[s->n++].records = ev->records;
}

static uint64_t sum_of(const struct sums *s, const char *who)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->a[i].who, who) == 0)
            return s->a[i].records;
    fail_msg("no events of %s", who);
    return 0;
}

static void test_recorded_log(void **state)
{
    (void)state;
    FILE *fp = fopen("pcaps/logs/postgresql.log", "rb");
    if (fp == NULL) {
        skip(); /* visible: the recorded logs are not in this tree */
        return;
    }
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    assert_true(len > 0 && len < sizeof(buf));
    const char *yaml = "log_line_prefix: '%m [%p] %q%u@%d %h '\n";
    struct bw_ydoc doc = {0};
    struct bw_err err = {0};
    assert_int_equal(bw_ydoc_load_mem(&doc, "test", yaml, strlen(yaml), &err), 0);
    struct log_fmt_cfg cfg = {.doc = &doc, .src = doc.root};
    struct log_parser p;
    static struct sums s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(log_parser_init(&p, "postgresql", &cfg, sum_event, &s, &err), 0);
    log_parser_feed(&p, buf, len, 1);
    assert_int_equal(p.st.bad, 0);
    log_parser_fini(&p);
    bw_ydoc_fini(&doc);
    /* pcaps/logs/postgresql.truth.json */
    assert_int_equal(sum_of(&s, "app@10.77.0.66"), 10000);
    assert_int_equal(sum_of(&s, "backup@10.77.0.66"), 10000);
    assert_int_equal(sum_of(&s, "analyst@10.77.0.40"), 3000);
    assert_int_equal(sum_of(&s, "app@10.77.0.30"), 200);
    assert_int_equal(sum_of(&s, "backup@10.77.0.50"), 10000);
}

static void test_inventory_fields(void **state)
{
    (void)state;
    const struct inventory_dataset *d = inventory_find(&inv, "customers");
    assert_non_null(d);
    assert_int_equal(d->rows, 10000);
    assert_string_equal(d->key, "id");
    assert_int_equal(d->export_record_bytes, 145);
    struct inventory bad;
    struct bw_err err;
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {"datasets:\n  - id: a\n    tables: [t]\n    rows: -1\n", "t.yaml:4:11"},
        {"datasets:\n  - id: a\n    tables: [t]\n    key: \"a b\"\n", "t.yaml:4:10"},
        {"datasets:\n  - id: a\n    endpoints: [/x]\n    rows: 5\n", "t.yaml:4:11"},
        {"datasets:\n  - id: a\n    tables: [t]\n    export_record_bytes: 0\n", "t.yaml:4:26"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc =
            inventory_load_mem(&bad, "t.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL, &err);
        if (rc == 0 || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: rc %d, '%s' (want %s)", i, rc, err.msg, cases[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_statements),
        cmocka_unit_test(test_orm_and_dump_shapes),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_tokenizer),
        cmocka_unit_test(test_recorded_log),
        cmocka_unit_test(test_inventory_fields),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
