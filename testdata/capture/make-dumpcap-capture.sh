#!/usr/bin/env bash
# Regenerates the pcapng capture written by dumpcap in testdata/captures/:
#
#   nginx-dumpcap.pcapng         dumpcap's pcapng of two interfaces with
#                                different link types: the server's veth
#                                (Ethernet) and "any" filtered to loopback
#                                (Linux cooked, SLL), ending with dumpcap's
#                                interface statistics blocks
#   nginx-dumpcap.access.log     nginx's own access log for it ("combined")
#
# Run as root (`make testdata`); CI never runs it. Same set-up as
# make-captures.sh, with names of its own: two network namespaces joined by
# a veth pair with every offload off, nginx in one, curl in the other and
# curl on the server's own loopback, and dumpcap (wireshark-common)
# capturing both interfaces at once. All traffic stays inside the two
# namespaces. Everything is torn down on exit.
#
# It is what tcpdump cannot write (pcapng, several interfaces, statistics
# blocks) and what dumpcap and Wireshark write by default; spanlake once
# called every such file truncated and dropped the second interface's
# packets (ingest/reader.go).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "$HERE/.." && pwd)/captures
SRV_NS=spanlake-dsrv
CLI_NS=spanlake-dcli
SRV_IF=sldsrv0
CLI_IF=sldcli0
SRV4=10.97.0.1
CLI4=10.97.0.2

die() { printf 'make-dumpcap-capture: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, dumpcap)"
for cmd in nginx:nginx-light dumpcap:wireshark-common capinfos:wireshark-common curl:curl ethtool:ethtool ip:iproute2; do
  command -v "${cmd%%:*}" >/dev/null || die "missing ${cmd%%:*} (apt-get install -y ${cmd#*:})"
done

WORK=$(mktemp -d /tmp/spanlake-dumpcap.XXXXXX)
NGINX_PID=
DUMPCAP_PID=
cleanup() {
  set +e
  [ -n "$DUMPCAP_PID" ] && kill -INT "$DUMPCAP_PID" 2>/dev/null && wait "$DUMPCAP_PID" 2>/dev/null
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  ip netns del "$SRV_NS" 2>/dev/null
  ip netns del "$CLI_NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
S() { ip netns exec "$SRV_NS" "$@"; }
C() { ip netns exec "$CLI_NS" "$@"; }

ip netns del "$SRV_NS" 2>/dev/null || true
ip netns del "$CLI_NS" 2>/dev/null || true
ip netns add "$SRV_NS"
ip netns add "$CLI_NS"
ip link add "$SRV_IF" netns "$SRV_NS" mtu 1500 type veth peer name "$CLI_IF" netns "$CLI_NS" mtu 1500
for ns in "$SRV_NS" "$CLI_NS"; do
  ifc=$SRV_IF; [ "$ns" = "$CLI_NS" ] && ifc=$CLI_IF
  ip netns exec "$ns" ip link set lo up
  for f in tso gso gro tx rx lro; do
    ip netns exec "$ns" ethtool -K "$ifc" "$f" off 2>/dev/null || true
    ip netns exec "$ns" ethtool -K lo "$f" off 2>/dev/null || true
  done
done
S ip addr add "$SRV4/24" dev "$SRV_IF"
C ip addr add "$CLI4/24" dev "$CLI_IF"
S ip link set "$SRV_IF" up
C ip link set "$CLI_IF" up

# A small document root with fixed contents (a page, a 40 KB file, text
# that nginx sends gzip'd and chunked).
mkdir -p "$WORK/html" "$WORK/logs" "$WORK/tmp"
printf '<html><body>spanlake dumpcap capture</body></html>\n' > "$WORK/html/index.html"
head -c 40000 /dev/zero | tr '\0' 'x' > "$WORK/html/blob.bin"
for i in $(seq 400); do echo "line $i of a text that nginx compresses"; done > "$WORK/html/notes.txt"
touch -d '2026-01-02 03:04:05 UTC' "$WORK/html"/*
chmod 755 "$WORK"; chmod -R a+rX "$WORK/html"   # nginx's workers are not root
cat > "$WORK/nginx.conf" <<EOF
worker_processes 1;
error_log $WORK/logs/error.log;
pid $WORK/nginx.pid;
events { worker_connections 64; }
http {
  access_log $WORK/logs/access.log combined;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  default_type application/octet-stream;
  types { text/html html; text/plain txt; }
  gzip on; gzip_types text/plain; gzip_min_length 0;
  server {
    listen $SRV4:80;
    listen 127.0.0.1:80;
    root $WORK/html;
    location = /submit { return 201 "stored\n"; }
  }
}
EOF
ip netns exec "$SRV_NS" env TZ=UTC nginx -p "$WORK/" -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for i in $(seq 50); do C bash -c "exec 3<>/dev/tcp/$SRV4/80" 2>/dev/null && break; sleep 0.1; done
sleep 0.2
: > "$WORK/logs/access.log"   # the readiness probe above is not part of the capture

# dumpcap: the veth (Ethernet), and "any" (Linux cooked) with a filter that
# keeps only the loopback traffic, so no packet is captured twice.
# (ip netns exec itself, not the S function: $! must be dumpcap's pid.)
ip netns exec "$SRV_NS" dumpcap -q -i "$SRV_IF" -i any -f 'host 127.0.0.1' -w "$WORK/out.pcapng" 2>"$WORK/dumpcap.err" &
DUMPCAP_PID=$!
for i in $(seq 100); do grep -q '^File:' "$WORK/dumpcap.err" && break; sleep 0.05; done
sleep 0.5

# Over the veth: keep-alive GETs, a gzip'd text, a 404, a POST with a body.
C curl -s -o /dev/null -o /dev/null -o /dev/null -H 'User-Agent: spanlake-dumpcap/1' \
  "http://$SRV4/" "http://$SRV4/blob.bin" "http://$SRV4/missing"
C curl -s -o /dev/null --compressed -A 'spanlake-dumpcap/2' "http://$SRV4/notes.txt"
C curl -s -o /dev/null -A 'spanlake-dumpcap/3' -d 'name=bob&item=42' "http://$SRV4/submit"
# On the server's loopback (the "any" interface).
S curl -s -o /dev/null -o /dev/null -A 'spanlake-dumpcap/4' "http://127.0.0.1/" "http://127.0.0.1/notes.txt"
S curl -s -o /dev/null -A 'spanlake-dumpcap/5' -d '{"a":1}' -H 'Content-Type: application/json' "http://127.0.0.1/submit"
sleep 1
kill -INT "$DUMPCAP_PID"; wait "$DUMPCAP_PID" || true; DUMPCAP_PID=
kill -QUIT "$NGINX_PID"; wait "$NGINX_PID" || true; NGINX_PID=

capinfos -I "$WORK/out.pcapng" >&2
[ "$(capinfos -I "$WORK/out.pcapng" | grep -c 'Encapsulation')" -ge 2 ] || die "expected two interfaces in the capture"
cp "$WORK/out.pcapng" "$OUT/nginx-dumpcap.pcapng"
cp "$WORK/logs/access.log" "$OUT/nginx-dumpcap.access.log"
echo "$(wc -l < "$OUT/nginx-dumpcap.access.log") requests, $(stat -c %s "$OUT/nginx-dumpcap.pcapng") bytes in $OUT/nginx-dumpcap.pcapng" >&2
