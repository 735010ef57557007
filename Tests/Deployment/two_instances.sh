#!/usr/bin/env bash
# Two `rampart serve` instances on one PostgreSQL and one RAMPART_KEYS, behind Debian's nginx
# with docs/deployment/nginx-rampart.conf (certificate paths and ports substituted), checked by
# Tests/Deployment/check_two_instances.py. Run by .ci/run after the unit tests.
#
# Needs: .build/debug/rampart, nginx, RAMPART_TEST_POSTGRES_URL (a database it may add a schema to).
set -euo pipefail
cd "$(dirname "$0")/../.."

work="$(mktemp -d)"
rampart=.build/debug/rampart
schema="rampart_deploy_$(date +%s)_$$"
su postgres -c "psql -q -d rampart_test -c 'CREATE SCHEMA $schema AUTHORIZATION rampart'"
export RAMPART_DATABASE="${RAMPART_TEST_POSTGRES_URL}&search_path=$schema"
RAMPART_KEYS="$("$rampart" keys generate)"
export RAMPART_KEYS

"$rampart" dev-cert --out "$work/tls" >/dev/null
mkdir -p "$work/nginx/logs"
sed -e "s#/etc/rampart/tls/fullchain.pem#$work/tls/localhost-cert.pem#" \
    -e "s#/etc/rampart/tls/privkey.pem#$work/tls/localhost-key.pem#" \
    -e "s#listen 443 ssl#listen 127.0.0.1:8443 ssl#" \
    -e "s#listen 80;#listen 127.0.0.1:8080;#" \
    -e "s#server_name board.example.com;#server_name localhost;#" \
    docs/deployment/nginx-rampart.conf > "$work/nginx/rampart.conf"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $work/nginx/logs/access.log;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    include $work/nginx/rampart.conf;
}
NGINX

pids=()
start_instance() {  # name port
    "$rampart" serve --host 127.0.0.1 --port "$2" --data-dir "$work/data-$1" --trusted-proxy 127.0.0.1/32 \
        >>"$work/serve-$1.log" 2>&1 &
    echo $! > "$work/pid-$1"
    for _ in $(seq 1 60); do
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$2/healthz', timeout=1)" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "instance $1 did not start"; cat "$work/serve-$1.log"; return 1
}
stop_instance() {  # name
    local pid; pid="$(cat "$work/pid-$1")"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}
cleanup() {
    for name in a b; do [ -f "$work/pid-$name" ] && kill "$(cat "$work/pid-$name")" 2>/dev/null || true; done
    [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
echo "work directory: $work"

cat > "$work/control" <<CONTROL
#!/usr/bin/env bash
set -euo pipefail
$(declare -f start_instance stop_instance)
work="$work"; rampart="$rampart"
export RAMPART_DATABASE="$RAMPART_DATABASE" RAMPART_KEYS="$RAMPART_KEYS"
case "\$1" in
    stop-a) stop_instance a ;; start-a) start_instance a 5001 ;;
    stop-b) stop_instance b ;; start-b) start_instance b 5002 ;;
esac
CONTROL
chmod +x "$work/control"

start_instance a 5001
start_instance b 5002
nginx -t -p "$work/nginx" -c "$work/nginx/nginx.conf" -q
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
grep -q "PostgreSQL postgres://rampart:\*\*\*@127.0.0.1:5432/rampart_test" "$work/serve-a.log" \
    || { echo "the banner does not name PostgreSQL with the password hidden"; cat "$work/serve-a.log"; exit 1; }
python3 Tests/Deployment/check_two_instances.py --base-url https://localhost:8443 --ca "$work/tls/localhost-cert.pem" \
    --control "$work/control" || { tail -n 30 "$work"/serve-*.log "$work/nginx/logs/error.log"; exit 1; }
