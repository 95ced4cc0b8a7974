#!/usr/bin/env bash
# Records the SQL sessions behind tests/pcaps-stream/: a throwaway PostgreSQL 15
# and MariaDB on the loopback of a private network namespace (bw-stream-rec-PID),
# clients running a fixed script, tcpdump on lo. Root only; leaves nothing
# behind. Usage: tests/tools/record-sql.sh OUTDIR
set -euo pipefail
out=$(readlink -f "${1:?usage: record-sql.sh OUTDIR}")
mkdir -p "$out"
ns=bw-stream-rec-$$
work=$(mktemp -d /tmp/bw-stream-rec.XXXXXX)
chmod 755 "$work"
cleanup() {
    ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.5
    ip netns del $ns 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add $ns
ip netns exec $ns ip link set lo up
nsx() { ip netns exec $ns "$@"; }

# PostgreSQL on 127.0.0.1:6432 (a non-default port: detection is by content)
PG=/usr/lib/postgresql/15/bin
mkdir "$work/pg" && chown postgres "$work/pg"
runuser -u postgres -- $PG/initdb -D "$work/pg/data" -A trust -U postgres >/dev/null
nsx runuser -u postgres -- $PG/pg_ctl -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=6432 -c unix_socket_directories=$work/pg -c ssl=off" start >/dev/null
nsx tcpdump -i lo -w "$out/pgsql-shop.pcap" -U -s 0 tcp port 6432 2>/dev/null &
sleep 1
psqlx() { nsx runuser -u postgres -- psql -X -q -h 127.0.0.1 -p 6432 -U postgres "$@"; }
psqlx -d postgres -c "CREATE DATABASE shop" >/dev/null
PGAPPNAME=bw-test psqlx -d shop >/dev/null <<'SQL'
CREATE TABLE customers (id int primary key, name text, email text, phone text);
INSERT INTO customers SELECT g, 'Customer ' || g, 'user' || g || '@example.com', '+4670' || lpad(g::text, 7, '0') FROM generate_series(1, 2000) g;
CREATE SCHEMA crm;
CREATE TABLE crm.notes (id int, customer_id int, body text);
INSERT INTO crm.notes SELECT g, g, repeat('n', 100) FROM generate_series(1, 50) g;
SELECT * FROM customers;
SELECT c.name, n.body FROM crm.notes n JOIN customers c ON c.id = n.customer_id WHERE n.id <= 10;
SELECT count(*) FROM customers;
SELECT * FROM nonexistent_table;
COPY customers TO STDOUT;
\copy (SELECT id, email FROM customers WHERE id <= 100) TO '/dev/null'
PREPARE byid (int) AS SELECT * FROM customers WHERE id = $1;
EXECUTE byid(7);
UPDATE customers SET phone = NULL WHERE id = 1;
DELETE FROM crm.notes WHERE id > 40;
SQL
# extended query protocol: psql 15 has no \bind; use pgbench's prepared mode
echo 'SELECT id, email FROM customers WHERE id = 42;' >"$work/bench.sql"
chmod 644 "$work/bench.sql"
nsx runuser -u postgres -- pgbench -h 127.0.0.1 -p 6432 -U postgres -n -M extended -t 3 \
    -f "$work/bench.sql" shop >/dev/null
sleep 1
kill %1
wait %1 2>/dev/null || true
nsx runuser -u postgres -- $PG/pg_ctl -D "$work/pg/data" -m fast stop >/dev/null

# MariaDB on 127.0.0.1:3307
mkdir "$work/my" && chown mysql "$work/my"
mariadb-install-db --user=mysql --datadir="$work/my/data" --auth-root-authentication-method=normal >/dev/null 2>&1
nsx runuser -u mysql -- mariadbd --no-defaults --datadir="$work/my/data" --socket="$work/my/sock" \
    --port=3307 --bind-address=127.0.0.1 --skip-grant-tables=0 --pid-file="$work/my/pid" \
    --log-error="$work/my/err" &
for _ in $(seq 50); do [ -S "$work/my/sock" ] && break; sleep 0.2; done
nsx mariadb --no-defaults -S "$work/my/sock" -u root <<'SQL'
CREATE DATABASE shop;
CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'secret';
GRANT ALL ON shop.* TO 'app'@'127.0.0.1';
SQL
nsx tcpdump -i lo -w "$out/mysql-shop.pcap" -U -s 0 tcp port 3307 2>/dev/null &
sleep 1
myx() { nsx mariadb --no-defaults --force -h 127.0.0.1 -P 3307 --ssl=0 "$@"; }
myx -u app -psecret shop >/dev/null <<'SQL'
CREATE TABLE customers (id int primary key, name varchar(64), email varchar(64));
INSERT INTO customers WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 1000) SELECT g, CONCAT('Customer ', g), CONCAT('user', g, '@example.com') FROM s;
SELECT * FROM customers;
SELECT count(*) FROM customers WHERE email LIKE '%7@%';
USE mysql;
SELECT id, email FROM shop.customers WHERE id < 5;
SELECT * FROM nonexistent;
USE shop;
UPDATE customers SET name = 'x' WHERE id <= 3;
DELETE FROM customers WHERE id > 900;
SQL
myx -u app -pwrong shop -e 'SELECT 1' >/dev/null 2>&1 || true
sleep 1
kill %2 2>/dev/null || true
sleep 0.5
echo "recorded: $(ls "$out")"
