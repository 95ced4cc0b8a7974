/* libFuzzer target: statement shapes and records estimates (sensor/sql-estimate.c)
 * over arbitrary SQL text, against a small inventory with rows and a key. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sensor/access.h"
#include "sensor/inventory.h"
#include "sensor/sql-estimate.h"
#include "sensor/sql-tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct inventory inv;
    static int loaded;
    if (!loaded) {
        static const char y[] = "datasets:\n  - id: customers\n    tables: [public.customers]\n"
                                "    rows: 10000\n    key: id\n";
        struct bw_err err;
        if (inventory_load_mem(&inv, "fuzz", y, sizeof(y) - 1, NULL, &err) != 0)
            __builtin_trap();
        loaded = 1;
    }
    const char *sql = (const char *)data;
    struct bw_access ev;
    access_init(&ev);
    ev.channel = ACCESS_CH_LOG;
    struct sql_tables t;
    sql_tables_extract(sql, size, "public", 1, &t);
    if (t.n > 0)
        memcpy(ev.dataset, t.name[0], strlen(t.name[0]) + 1);
    enum sql_shape_kind k = sql_shape_read(sql, size, &ev.sql);
    if (k != ev.sql.kind || ev.sql.nkeys > SQL_SHAPE_KEYS)
        __builtin_trap();
    if (sql_estimate_apply(&inv, &ev)) {
        /* a whole-table read or a key never claims more than the table holds */
        if (ev.records_rule == NULL ||
            (strcmp(ev.records_rule, "limit") != 0 && ev.records > 10000 &&
             strcmp(ev.dataset, "public.customers") == 0))
            __builtin_trap();
    }
    /* the tokenizer alone: never past the end, always progressing */
    struct sql_lex lx;
    struct sql_tok tk;
    sql_lex_init(&lx, sql, size);
    size_t last = 0, n = 0;
    while (sql_lex_next(&lx, &tk) != SQL_TOK_END) {
        if (tk.s < sql || tk.s + tk.n > sql + size || (n++ > 0 && lx.i <= last))
            __builtin_trap();
        last = lx.i;
    }
    return 0;
}
