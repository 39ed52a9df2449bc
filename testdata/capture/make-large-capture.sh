#!/usr/bin/env bash
# Writes a large capture of real traffic for benchmarks (not committed,
# not used by the tests):
#
#   make-large-capture.sh OUT.pcap [MB]     (default 300 MB of capture)
#
# Like make-captures.sh: two network namespaces joined by a veth pair,
# every offload off (MTU-sized segments, real checksums), nginx in one,
# curl in the other, tcpdump on the server's veth. The mix follows the
# large capture of issue #8: responses from 0 B to 4 MiB (mean ~100 KB),
# keep-alive connections, a third of the responses text that nginx sends
# gzip'd and chunked. nginx's own access log is written beside OUT
# (OUT.access.log), as ground truth for the number of exchanges.
#
# Needs root, nginx (nginx-light), curl, tcpdump, ethtool, python3.
set -euo pipefail

OUT=$(realpath -m "${1:?usage: make-large-capture.sh OUT.pcap [MB]}")
MB=${2:-300}
SRV_NS=spanlake-bsrv
CLI_NS=spanlake-bcli
SRV_IF=slbsrv0
CLI_IF=slbcli0
SRV4=10.98.0.1
CLI4=10.98.0.2

die() { printf 'make-large-capture: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
for cmd in nginx curl tcpdump ethtool python3; do
  command -v "$cmd" >/dev/null || die "missing $cmd (apt-get install -y nginx-light curl tcpdump ethtool python3)"
done

WORK=$(mktemp -d /tmp/spanlake-large.XXXXXX)
NGINX_PID=
TCPDUMP_PID=
cleanup() {
  set +e
  [ -n "$TCPDUMP_PID" ] && kill -INT "$TCPDUMP_PID" 2>/dev/null && wait "$TCPDUMP_PID" 2>/dev/null
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
  for f in tso gso gro tx rx lro; do ip netns exec "$ns" ethtool -K "$ifc" "$f" off 2>/dev/null || true; done
done
S ip addr add "$SRV4/24" dev "$SRV_IF"
C ip addr add "$CLI4/24" dev "$CLI_IF"
S ip link set "$SRV_IF" up
C ip link set "$CLI_IF" up

# Document root and the client's URL lists: a fixed seed, so reruns fetch
# the same files in the same order.
mkdir -p "$WORK/html" "$WORK/logs" "$WORK/tmp"
python3 - "$WORK/html" "$WORK" "$MB" <<'EOF'
import random, sys
html, work, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(8)
words = ("span lake packet capture nginx access log parquet warehouse tcp segment "
         "stream request response header body chunk gzip json api user item").split()
def size():
    u = rnd.random()
    if u < 0.45: return rnd.randrange(0, 2048)
    if u < 0.80: return rnd.randrange(2048, 65536)
    if u < 0.98: return rnd.randrange(65536, 512 << 10)
    return rnd.randrange(1 << 20, 4 << 20)
files = []
for i in range(400):
    n = size()
    if i % 3 == 0:   # text: gzip'd and chunked by nginx
        name = f"t{i}.txt"
        line = " ".join(rnd.choice(words) for _ in range(12)) + "\n"
        data = (line * (n // len(line) + 1)).encode()[:n]
    else:
        name = f"b{i}.bin"
        data = rnd.randbytes(n)
    with open(f"{html}/{name}", "wb") as f:
        f.write(data)
    files.append((name, n))
# Requests until the wire bytes reach the target (headers and ACKs on top).
target, total, urls = mb * 1_000_000 * 0.93, 0, []
while total < target:
    name, n = rnd.choice(files)
    urls.append(name)
    total += n if name.endswith(".bin") else n // 4
clients = 8
for c in range(clients):
    with open(f"{work}/urls{c}", "w") as f:
        for u in urls[c::clients]:
            f.write(f'url = "http://10.98.0.1/{u}"\noutput = "/dev/null"\n')
print(len(urls), file=sys.stderr)
EOF
chmod 755 "$WORK"; chmod -R a+rX "$WORK/html"   # nginx's workers are not root
cat > "$WORK/nginx.conf" <<EOF
worker_processes 1;
error_log $WORK/logs/error.log;
pid $WORK/nginx.pid;
events { worker_connections 256; }
http {
  access_log $WORK/logs/access.log combined;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  default_type application/octet-stream;
  types { text/plain txt; }
  sendfile on;
  keepalive_requests 100000;
  gzip on; gzip_types text/plain; gzip_min_length 0;
  server { listen $SRV4:80; root $WORK/html; }
}
EOF
ip netns exec "$SRV_NS" nginx -p "$WORK/" -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for i in $(seq 50); do C bash -c "exec 3<>/dev/tcp/$SRV4/80" 2>/dev/null && break; sleep 0.1; done

ip netns exec "$SRV_NS" tcpdump -i "$SRV_IF" -s 0 -B 65536 -Z root -w "$OUT" 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.err" && break; sleep 0.05; done
sleep 0.3

pids=()
for c in $(seq 0 7); do
  C curl -s --compressed --limit-rate 40M -K "$WORK/urls$c" & pids+=($!)
done
wait "${pids[@]}"
sleep 1
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=
grep -E 'captured|dropped' "$WORK/tcpdump.err" >&2
grep -qE '^0 packets dropped by kernel' "$WORK/tcpdump.err" || echo "WARNING: tcpdump dropped packets" >&2
kill -QUIT "$NGINX_PID"; wait "$NGINX_PID" || true; NGINX_PID=
cp "$WORK/logs/access.log" "$OUT.access.log"
echo "$(wc -l < "$OUT.access.log") requests ($(awk '$9 != 200' "$OUT.access.log" | wc -l) not 200), $(stat -c %s "$OUT") bytes in $OUT" >&2
