#!/usr/bin/env bash
# Records genuine server log lines for the log parser unit tests: runs nginx,
# PostgreSQL 15 (+pgaudit), MariaDB, dnsmasq and BIND on loopback only, in a
# temporary folder, sends them a few requests, and copies their logs here.
# Usage (as root): tests/data/logs/record-logs.sh      Everything is removed on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/bw-logs-rec.XXXXXX)
chmod 755 "$T"
export TZ=UTC LC_ALL=C.UTF-8
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$T/pg/postmaster.pid" ] && su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D $T/pg -m fast stop" >/dev/null 2>&1 || true
  [ -f "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$T"
}
trap cleanup EXIT

# --- nginx: combined and a custom log_format with extra fields -------------
mkdir -p "$T/www/api/customers"
for i in 1 2 3; do echo "{\"id\":$i,\"email\":\"c$i@example.com\"}" > "$T/www/api/customers/$i"; done
echo '[{"id":1},{"id":2}]' > "$T/www/api/customers/index.json"
cat > "$T/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 64; }
http {
  access_log $T/nginx-combined.log combined;
  log_format timed '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" \$request_time \$bytes_sent';
  log_format custom '\$time_iso8601 \$remote_addr:\$remote_port "\$request_method \$request_uri" \$status \$bytes_sent \$request_time "\$http_user_agent"';
  client_body_temp_path $T/cb; proxy_temp_path $T/px; fastcgi_temp_path $T/fc; uwsgi_temp_path $T/uw; scgi_temp_path $T/sc;
  server {
    listen 127.0.0.1:18480;
    root $T/www;
    access_log $T/nginx-combined.log combined;
    access_log $T/nginx-timed.log timed;
    access_log $T/nginx-custom.log custom;
    location /private/ { auth_basic "x"; auth_basic_user_file $T/htpasswd; }
  }
}
EOF
printf 'alice:%s\n' "$(openssl passwd -apr1 secret)" > "$T/htpasswd"
nginx -c "$T/nginx.conf"
sleep 0.3
C="curl -s -o /dev/null --max-time 2"
$C http://127.0.0.1:18480/api/customers/1
$C http://127.0.0.1:18480/api/customers/2?fields=email
$C -A 'Mozilla/5.0 (X11; Linux x86_64) "quoted"' http://127.0.0.1:18480/api/customers/3
$C http://127.0.0.1:18480/api/customers/index.json
$C http://127.0.0.1:18480/api/orders/9f1c2a7e-3b4d-4c5e-8f90-123456789abc
$C -u alice:secret http://127.0.0.1:18480/private/x
$C -u alice:wrong http://127.0.0.1:18480/private/x
$C -X POST -d 'a=1' http://127.0.0.1:18480/api/customers/1
printf 'GARBAGE\r\n\r\n' | timeout 2 bash -c 'cat > /dev/tcp/127.0.0.1/18480' || true
sleep 0.3
kill "$(cat "$T/nginx.pid")"; sleep 0.3
cp "$T/nginx-combined.log" "$HERE/nginx-combined.log"
cp "$T/nginx-timed.log" "$HERE/nginx-timed.log"
cp "$T/nginx-custom.log" "$HERE/nginx-custom.log"

# --- PostgreSQL 15: stderr (Debian prefix), csvlog, jsonlog, pgaudit ---------
PGBIN=/usr/lib/postgresql/15/bin
mkdir -p "$T/pg" && chown postgres "$T/pg" "$T"
su postgres -c "$PGBIN/initdb -D $T/pg -A trust -U postgres" >/dev/null
cat >> "$T/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = 15432
unix_socket_directories = '$T'
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$T/pglog'
log_filename = 'pg'
log_line_prefix = '%m [%p] %q%u@%d '
log_statement = 'all'
log_timezone = 'UTC'
shared_preload_libraries = 'pgaudit'
EOF
su postgres -c "$PGBIN/pg_ctl -D $T/pg -l $T/pg-start.log -w start" >/dev/null
P="psql -X -q -h 127.0.0.1 -p 15432 -U postgres"
$P -c "create database shop" postgres
$P shop <<'SQL'
create extension pgaudit;
create table customers (id int primary key, email text, name text);
insert into customers select g, 'c'||g||'@example.com', 'name '||g from generate_series(1,50) g;
select id, email from customers where id < 20;
select c.id
  from customers c
 where c.email like '%7%';
SELECT count(*) FROM public.customers;
set pgaudit.log = 'read,write';
set pgaudit.log_rows = on;
select * from customers where id <= 25;
update customers set name = 'x' where id = 3;
set pgaudit.log_rows = off;
select email from customers limit 5;
select 'multi
line literal', id from customers where id = 1;
SQL
$P -c "select * from nonexistent" shop 2>/dev/null || true
sleep 0.5
su postgres -c "$PGBIN/pg_ctl -D $T/pg -m fast stop" >/dev/null
cp "$T/pglog/pg" "$HERE/postgresql-stderr.log"
cp "$T/pglog/pg.csv" "$HERE/postgresql.csv"
cp "$T/pglog/pg.json" "$HERE/postgresql.json"

# --- MariaDB: slow query log with long_query_time = 0 ----------------------
mkdir -p "$T/my" && chown mysql "$T/my" 2>/dev/null || true
mariadb-install-db --user=mysql --datadir="$T/my/data" --auth-root-authentication-method=normal >/dev/null 2>&1
mariadbd --no-defaults --user=mysql --datadir="$T/my/data" --socket="$T/my/sock" --port=13306 \
  --bind-address=127.0.0.1 --pid-file="$T/my/pid" --slow-query-log=1 --slow-query-log-file="$T/my/slow.log" \
  --long-query-time=0 --log-slow-verbosity=query_plan >"$T/my/err.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/my/sock" ] && break; sleep 0.2; done
M="mariadb -S $T/my/sock -u root"
$M -e "create database shop; create table shop.customers (id int primary key, email varchar(64)); insert into shop.customers values (1,'a@x.com'),(2,'b@x.com'),(3,'c@x.com');"
$M shop -e "select * from customers; select email from customers where id > 1; select count(*) from shop.customers;"
$M shop -e "select c.id,
  c.email
from customers c
where c.id = 2;"
mariadb -h 127.0.0.1 -P 13306 -u root shop -e "select * from customers" || true
$M -e "shutdown" || true
sleep 1
cp "$T/my/slow.log" "$HERE/mariadb-slow.log"

# --- dnsmasq log-queries ----------------------------------------------------
cat > "$T/hosts" <<EOF
127.0.0.2 intranet.example.com
EOF
dnsmasq --no-daemon --port=15353 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --addn-hosts="$T/hosts" --log-queries --log-facility="$T/dnsmasq.log" --pid-file="$T/dnsmasq.pid" \
  --address=/tunnel.example.net/127.0.0.9 &
PIDS+=($!)
sleep 0.5
for n in intranet.example.com aGVsbG8gd29ybGQgdGhpcyBpcw.tunnel.example.net MFRGGZDFMZTWQ2LKNNWG23Q.x1.tunnel.example.net; do
  dig +short +tries=1 +time=1 -p 15353 @127.0.0.1 "$n" A >/dev/null || true
done
dig +short +tries=1 +time=1 -p 15353 @127.0.0.1 -t TXT bG9uZ2VyZGF0YWNodW5r.tunnel.example.net >/dev/null || true
sleep 0.3
kill "${PIDS[-1]}"; sleep 0.3
cp "$T/dnsmasq.log" "$HERE/dnsmasq.log"

# --- BIND 9 query log -----------------------------------------------------
mkdir -p "$T/bind"
cat > "$T/bind/named.conf" <<EOF
options { directory "$T/bind"; listen-on port 15354 { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; pid-file "$T/bind/pid"; dnssec-validation no; };
logging { channel q { file "$T/bind/query.log"; print-time yes; severity info; };
  category queries { q; }; };
zone "example.org" { type master; file "$T/bind/example.org.zone"; };
EOF
cat > "$T/bind/example.org.zone" <<'EOF'
$TTL 60
@ IN SOA ns.example.org. h.example.org. 1 60 60 60 60
@ IN NS ns.example.org.
ns IN A 127.0.0.1
www IN A 127.0.0.3
EOF
chown -R bind "$T/bind" 2>/dev/null || true
named -c "$T/bind/named.conf" -f -u bind >"$T/bind/named.out" 2>&1 &
PIDS+=($!)
sleep 1
for n in www.example.org dGhpcyBpcyBleGZpbHRyYXRlZA.example.org; do
  dig +short +tries=1 +time=1 -p 15354 @127.0.0.1 "$n" A >/dev/null || true
done
dig +short +tries=1 +time=1 -p 15354 @127.0.0.1 -t TXT secretchunk0001.example.org >/dev/null || true
sleep 0.3
kill "${PIDS[-1]}"; sleep 0.5
cp "$T/bind/query.log" "$HERE/bind-query.log"
echo "recorded into $HERE"
