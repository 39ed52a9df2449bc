#!/usr/bin/env bash
# Regenerates spanlake's real-traffic captures in testdata/captures/:
#
#   nginx-basic.pcap             classic pcap (microsecond) of a few hundred
#                                HTTP/1.x exchanges against nginx
#   nginx-basic.access.log       nginx's own access log for it ("combined")
#   nginx-basic.full.log         the same requests in log_format spanlake_full
#   nginx-rotated.pcap0..N       a smaller, slower capture, split by tcpdump
#                                (-G 1) into one file per second
#   nginx-rotated.access.log     nginx's "combined" log for it
#   nginx-rotated.full.log       ... and spanlake_full
#
# Run as root (`make testdata`); CI never runs it. It builds two network
# namespaces joined by a veth pair, with every offload off so that the wire
# holds MTU-sized segments with real checksums, runs nginx (config:
# testdata/capture/nginx.conf) in one and curl + rawclient.py in the other,
# and captures the server's veth with tcpdump. All traffic stays inside the
# two namespaces. Everything is torn down on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "$HERE/.." && pwd)/captures
SRV_NS=spanlake-srv
CLI_NS=spanlake-cli
SRV_IF=slsrv0
CLI_IF=slcli0
SRV4=10.99.0.1
CLI4=10.99.0.2
SRV6=fd99::1
CLI6=fd99::2
START=$(date +%s)

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'make-captures: %s\n' "$*" >&2; exit 1; }

# --- prerequisites -----------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, tcpdump)"
missing=()
for cmd in nginx:nginx-light tcpdump:tcpdump ethtool:ethtool curl:curl \
           python3:python3 ip:iproute2 openssl:openssl; do
  command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd#*:}")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools; install with: apt-get install -y ${missing[*]}"
[ -r /etc/nginx/mime.types ] || die "/etc/nginx/mime.types missing; install nginx-common"

# --- setup and teardown ------------------------------------------------------
WORK=$(mktemp -d /tmp/spanlake-captures.XXXXXX)
NGINX_PID=
TCPDUMP_PID=
BG_PIDS=()

cleanup() {
  local rc=$?
  set +e
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
  if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; fi
  ip netns del "$SRV_NS" 2>/dev/null
  ip netns del "$CLI_NS" 2>/dev/null
  rm -rf "$WORK"
  if [ $rc -ne 0 ]; then echo "make-captures: FAILED (exit $rc); $OUT left as it was" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

S() { ip netns exec "$SRV_NS" "$@"; }
C() { ip netns exec "$CLI_NS" "$@"; }

# Leftovers of an interrupted run.
ip netns del "$SRV_NS" 2>/dev/null || true
ip netns del "$CLI_NS" 2>/dev/null || true

setup_net() {
  log "network namespaces $SRV_NS / $CLI_NS, veth $SRV_IF <-> $CLI_IF"
  ip netns add "$SRV_NS"
  ip netns add "$CLI_NS"
  ip link add "$SRV_IF" netns "$SRV_NS" mtu 1500 type veth peer name "$CLI_IF" netns "$CLI_NS" mtu 1500
  local ns ifc
  for ns in "$SRV_NS" "$CLI_NS"; do
    ifc=$SRV_IF; [ "$ns" = "$CLI_NS" ] && ifc=$CLI_IF
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.router_solicitations=0"
    ip netns exec "$ns" ip link set lo up
    # Offloads off: MTU-sized segments on the wire, checksums computed in
    # software. Try them all at once, then one by one to see what sticks.
    if ! ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1; then
      local f
      for f in tso gso gro tx rx; do
        ip netns exec "$ns" ethtool -K "$ifc" "$f" off 2>/dev/null || log "WARNING: ethtool -K $ifc $f off unsupported"
      done
    fi
    ip netns exec "$ns" ethtool -K "$ifc" lro off 2>/dev/null || true
  done
  S ip addr add "$SRV4/24" dev "$SRV_IF"
  S ip addr add "$SRV6/64" dev "$SRV_IF" nodad
  C ip addr add "$CLI4/24" dev "$CLI_IF"
  C ip addr add "$CLI6/64" dev "$CLI_IF" nodad
  S ip link set "$SRV_IF" up
  C ip link set "$CLI_IF" up
  # Report the offload state that is actually in force.
  S ethtool -k "$SRV_IF" | grep -E '^(tx-checksumming|rx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' \
    | sed 's/^/   server /' >&2
}

# --- document root -------------------------------------------------------------
setup_docroot() {
  local root=$WORK/prefix
  mkdir -p "$root/html/files" "$root/html/private" "$root/html/forbidden" "$root/logs" \
           "$root/tmp" "$WORK/client"
  python3 - "$root/html" "$WORK/client" <<'EOF'
import json, random, sys
html, client = sys.argv[1], sys.argv[2]
rnd = random.Random(20240101)  # fixed seed: identical files on every run
def w(path, data):
    with open(path, "wb") as f:
        f.write(data)
words = ("span lake packet capture nginx access log parquet warehouse tcp "
         "segment stream request response header body chunk gzip").split()
def text(n):
    out, line = [], []
    while sum(len(x) + 1 for x in out) < n:
        line.append(rnd.choice(words))
        if len(line) == 12:
            out.append(" ".join(line)); line = []
    return ("\n".join(out) + "\n").encode()[:n]
w(f"{html}/index.html", b"<!doctype html>\n<html><head><title>spanlake test</title>"
  b"<link rel=\"stylesheet\" href=\"/files/style.css\"></head>\n<body><h1>spanlake</h1>"
  b"<p>Static test page served by nginx for the real-traffic captures.</p>\n"
  b"<p><a href=\"/files/small.txt\">small</a> <a href=\"/files/medium.txt\">medium</a> "
  b"<a href=\"/files/large.bin\">large</a></p></body></html>\n")
w(f"{html}/files/empty.txt", b"")
w(f"{html}/files/small.txt", text(300))
w(f"{html}/files/medium.txt", text(20 * 1024))
w(f"{html}/files/large.bin", bytes(rnd.getrandbits(8) for _ in range(300 * 1024)))
w(f"{html}/files/style.css", b"body { font-family: sans-serif; margin: 2em; }\n"
  b"h1 { color: #225; }\np { line-height: 1.4; }\na { color: #06c; }\n" * 4)
w(f"{html}/files/data.json", json.dumps(
  {"items": [{"id": i, "name": rnd.choice(words), "tags": rnd.sample(words, 3)} for i in range(40)]},
  indent=1).encode() + b"\n")
w(f"{html}/private/secret.txt", b"the secret is spanlake\n")
w(f"{html}/forbidden/nope.txt", b"never served\n")
w(f"{client}/small.txt", b"hello from the multipart upload\n")
w(f"{client}/body.txt", text(6000))      # chunked upload body
w(f"{client}/big-form.txt", b"data=" + text(4000).replace(b"\n", b"+").replace(b" ", b"+"))
EOF
  cp -r "$root/html/files" "$root/html/slow"
  # Fixed mtimes: deterministic ETag and Last-Modified.
  find "$root/html" -exec touch -h -d '2024-01-01 00:00:00 UTC' {} +
  # htpasswd for /private/: alice / secret, fixed salt so reruns are identical.
  printf 'alice:%s\n' "$(openssl passwd -apr1 -salt spanlake secret)" > "$root/htpasswd"
  cp "$HERE/nginx.conf" "$root/nginx.conf"
}

# --- nginx and tcpdump -------------------------------------------------------
start_nginx() {
  local root=$WORK/prefix
  rm -f "$root/logs/"*.log
  S env TZ=UTC nginx -t -q -p "$root/" -c "$root/nginx.conf"
  # Not through S(): a backgrounded function would be a subshell, and $!
  # must be nginx's own pid (ip netns exec and env both exec).
  ip netns exec "$SRV_NS" env TZ=UTC nginx -p "$root/" -c "$root/nginx.conf" &
  NGINX_PID=$!
  local i
  for i in $(seq 50); do
    C bash -c "exec 3<>/dev/tcp/$SRV4/80" 2>/dev/null && return 0
    sleep 0.1
  done
  die "nginx did not start; see $root/logs/error.log"
}

stop_nginx() {
  kill -QUIT "$NGINX_PID"
  wait "$NGINX_PID" || true
  NGINX_PID=
}

# start_tcpdump FILE [extra tcpdump args...]
start_tcpdump() {
  local file=$1; shift
  TCPDUMP_ERR=$WORK/tcpdump.err
  : > "$TCPDUMP_ERR"
  ip netns exec "$SRV_NS" tcpdump -i "$SRV_IF" -s 0 -B 8192 -U -Z root --time-stamp-precision=micro \
    -w "$file" "$@" 2>"$TCPDUMP_ERR" &
  TCPDUMP_PID=$!
  local i
  for i in $(seq 100); do
    grep -q 'listening on' "$TCPDUMP_ERR" && { sleep 0.3; return 0; }
    sleep 0.05
  done
  cat "$TCPDUMP_ERR" >&2
  die "tcpdump did not start"
}

# stop_tcpdump NAME: SIGINT, wait, and insist on 0 drops.
stop_tcpdump() {
  local name=$1
  sleep 1   # let the last FIN/ACKs reach the wire
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  sed 's/^/   tcpdump: /' "$TCPDUMP_ERR" >&2
  local dropped
  dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$TCPDUMP_ERR")
  [ -n "$dropped" ] || die "$name: no 'dropped by kernel' line from tcpdump"
  [ "$dropped" = 0 ] || die "$name: tcpdump dropped $dropped packets"
  echo "$name: $(grep 'captured' "$TCPDUMP_ERR"), 0 dropped by kernel" >> "$WORK/summary"
}

# --- client helpers -----------------------------------------------------------
LEDGER=$WORK/ledger
W4=http://$SRV4
W6="http://[$SRV6]"

# cl CURL-ARGS... : curl in the client namespace; every URL's body goes to
# /dev/null and one ledger line per transfer goes to $LEDGER.
cl() {
  local a=() x prev=
  for x in "$@"; do
    case $prev in
      -[AeHdFurzXD]|--data-binary) a+=("$x"); prev=; continue ;;  # an option's argument
    esac
    case $x in
      http://*) a+=(-o /dev/null "$x") ;;
      *) a+=("$x") ;;
    esac
    prev=$x
  done
  C curl -sS --max-time 30 -w '%{http_code} %{method} %{url_effective}\n' "${a[@]}" >> "$LEDGER"
}

# raw SCENARIO HOST [PORT]
raw() { C python3 "$HERE/rawclient.py" "$@" >> "$LEDGER"; }

phase() { log "phase: $*"; sleep 0.5; }

traffic_basic() {
  local up=$WORK/client
  phase "static GETs, several sizes"
  cl "$W4/"
  cl "$W4/index.html"
  cl "$W4/files/empty.txt"
  cl "$W4/files/small.txt"
  cl "$W4/files/medium.txt"
  cl "$W4/files/large.bin"
  cl "$W4/files/data.json"
  cl "$W4/files/style.css"
  cl -A 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0' \
     -e "$W4/index.html" "$W4/files/style.css"

  phase "HEAD"
  cl -I "$W4/files/large.bin"
  cl -I "$W4/files/small.txt"
  cl -I "$W4/nothing-here"

  phase "keep-alive: several URLs on one connection"
  cl "$W4/index.html" "$W4/files/small.txt" "$W4/files/medium.txt" "$W4/files/empty.txt" \
     "$W4/files/data.json" "$W4/files/style.css" "$W4/files/large.bin" "$W4/files/small.txt"
  cl -A 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' \
     -e "$W4/" "$W4/files/style.css" "$W4/files/data.json" "$W4/missing.png" "$W4/files/small.txt"

  phase "gzip (chunked) responses"
  cl --compressed "$W4/files/medium.txt"
  cl --compressed "$W4/files/data.json" "$W4/files/style.css" "$W4/files/small.txt" "$W4/index.html"
  cl --compressed "$W4/files/large.bin"     # octet-stream: not gzipped
  cl --compressed -I "$W4/files/medium.txt"

  phase "POST bodies"
  cl -d 'user=alice&comment=hello+world' "$W4/form"
  cl -d 'user=carol&comment=caf%C3%A9+%26+cr%C3%A8me&n=3' "$W4/form"
  cl -F name=value -F "file=@$up/small.txt" "$W4/upload"
  cl -F 'title=two files' -F "a=@$up/small.txt;type=text/plain" -F "b=@$up/body.txt" "$W4/upload"
  cl -H 'Content-Type: application/json' --data-binary '{"id":7,"tags":["a","b"]}' "$W4/api/items"
  cl -H 'Content-Type: application/json' --data-binary '{"id":9,"nested":{"k":[1,2,3]}}' \
     "$W4/api/items" "$W4/api/items/9"                           # POST twice on one connection
  cl -H 'Transfer-Encoding: chunked' --data-binary "@$up/body.txt" "$W4/upload"
  cl -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
     --data-binary '{"chunked":true}' "$W4/api/chunked"
  cl --data-binary "@$up/big-form.txt" "$W4/form"               # 4 KB body in one request
  cl -H 'Expect: 100-continue' --data-binary "@$up/big-form.txt" "$W4/form"
  cl -H 'Expect: 100-continue' -F name=expect -F "file=@$up/body.txt" "$W4/upload"
  cl -X PUT -H 'Content-Type: application/json' --data-binary '{"id":7}' "$W4/api/items/7"
  cl -X DELETE "$W4/api/items/7"
  cl -d 'x=1' "$W4/files/small.txt"                             # POST to a static file: 405
  cl -X OPTIONS "$W4/api/items"
  cl -d 'discard=me&n=1' "$W4/discard"   # body discarded: $request_length = head only

  phase "pipelining (raw sockets)"
  raw pipeline-get "$SRV4"
  raw pipeline-post "$SRV4"
  raw pipeline-mixed "$SRV4"

  phase "errors, conditional and range requests"
  cl "$W4/does/not/exist.html" "$W4/files/nope.txt"
  cl "$W4/forbidden/nope.txt"
  local etag
  cl -D "$WORK/headers" "$W4/files/medium.txt"
  etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$WORK/headers")
  [ -n "$etag" ] || die "no ETag from nginx"
  cl -H "If-None-Match: $etag" "$W4/files/medium.txt"
  cl -H 'If-None-Match: "0-0"' "$W4/files/medium.txt"          # no match: 200
  cl -H 'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT' "$W4/files/large.bin"
  cl -z 'Sun, 31 Dec 2023 00:00:00 GMT' "$W4/files/small.txt"   # modified since: 200
  cl -r 0-99 "$W4/files/large.bin"
  cl -r 1000-2999 "$W4/files/medium.txt"
  cl -r -50 "$W4/files/small.txt"
  cl -r 0-9,20-29 "$W4/files/small.txt"                         # multipart/byteranges
  cl -r 999999- "$W4/files/small.txt"                           # 416
  cl "$W4/old" "$W4/temp"
  cl "$W4/files"                                                # directory: 301 to /files/
  cl "$W4/empty"

  phase "HTTP/1.0"
  cl -0 "$W4/files/small.txt"
  cl -0 "$W4/index.html" "$W4/files/empty.txt"                  # no keep-alive: two connections
  cl -0 -H 'Connection: keep-alive' "$W4/files/small.txt" "$W4/files/medium.txt" "$W4/files/data.json"
  cl -0 -I "$W4/files/large.bin"
  cl -0 -d 'user=dave' "$W4/form"
  raw http10 "$SRV4"

  phase "Basic auth"
  cl -u alice:secret "$W4/private/secret.txt"
  cl "$W4/private/secret.txt"                                   # no credentials: 401
  cl -u alice:wrong "$W4/private/secret.txt"                    # bad password: 401
  cl -u mallory:secret "$W4/private/secret.txt"                 # unknown user: 401
  cl -u alice:secret "$W4/private/" "$W4/private/secret.txt"    # 403 (no index), 200

  phase "Referer, User-Agent escaping, query strings"
  cl -A 'Mozilla/5.0 "quoted" agent' "$W4/files/small.txt"
  cl -A 'back\slash\agent\\' -e 'http://ref.example/a\b' "$W4/files/small.txt"
  cl -A '' -H 'User-Agent:' "$W4/files/small.txt"               # no User-Agent header
  cl -A 'Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54' \
     -e 'https://www.search.example/?q=spanlake+%22quoted%22&lang=en' "$W4/index.html"
  cl -A 'Googlebot/2.1 (+http://www.google.com/bot.html)' "$W4/" "$W4/files/data.json"
  cl -e 'http://ref.example/page?a=1&b="x"' "$W4/files/small.txt"
  cl "$W4/search?q=hello%20world&lang=en"
  cl "$W4/search?q=caf%C3%A9+au+lait&sort=%22desc%22&empty=&flag"
  cl "$W4/search?q=%E2%9C%93%20check&x=%2F%3F%26%3D%23"
  cl "$W4/files/small.txt?v=1.2.3&cache=%7Bbust%7D"
  cl "$W4/files/sm%61ll.txt"                                    # percent-encoded path
  cl --path-as-is "$W4/files/../files/./small.txt"              # unnormalised path
  cl "$W4/files//small.txt"
  raw awkward "$SRV4"

  phase "IPv6"
  cl -g "$W6/"
  cl -g "$W6/files/small.txt" "$W6/files/medium.txt" "$W6/files/empty.txt"
  cl -g --compressed "$W6/files/data.json"
  cl -g -I "$W6/files/large.bin"
  cl -g -d 'user=ipv6&comment=hello' "$W6/form"
  cl -g -r 0-99 "$W6/files/large.bin"
  cl -g "$W6/missing"
  cl -g -A 'v6 "agent"' "http://[$SRV6]:8080/files/small.txt"
  raw pipeline-get "$SRV6"

  phase "Host headers with ports, port 8080"
  cl "$W4:8080/files/small.txt" "$W4:8080/index.html"
  cl -H 'Host: www.example.test:8080' "$W4/files/small.txt"
  cl -H 'Host: WWW.Example.TEST.' "$W4/files/small.txt"
  cl -H 'Host: www.example.test:80' "$W4/files/small.txt"
  cl -H 'Host: other.example' "$W4:8080/old"
  raw pipeline-post "$SRV4" 8080

  phase "concurrent, interleaved connections"
  local i
  BG_PIDS=()
  for i in 1 2 3 4; do
    cl -A "parallel-$i" "$W4/slow/medium.txt" "$W4/files/small.txt" "$W4/slow/small.txt" &
    BG_PIDS+=($!)
  done
  cl -A parallel-big --compressed "$W4/slow/medium.txt" "$W4/files/large.bin" &
  BG_PIDS+=($!)
  cl -g -A parallel-v6 "$W6/slow/medium.txt" "$W6/files/data.json" &
  BG_PIDS+=($!)
  C python3 "$HERE/rawclient.py" pipeline-mixed "$SRV4" >> "$LEDGER" &
  BG_PIDS+=($!)
  for i in "${BG_PIDS[@]}"; do wait "$i"; done
  BG_PIDS=()

  phase "a burst of keep-alive traffic"
  local urls=()
  for i in $(seq 1 40); do
    case $((i % 5)) in
      0) urls+=("$W4/files/small.txt?i=$i") ;;
      1) urls+=("$W4/index.html?i=$i") ;;
      2) urls+=("$W4/files/style.css?i=$i") ;;
      3) urls+=("$W4/files/data.json?i=$i") ;;
      4) urls+=("$W4/search?page=$i") ;;
    esac
  done
  cl -A 'burst/1.0' -e "$W4/" "${urls[@]}"
  cl -A 'burst/1.0 (gzip)' --compressed "${urls[@]:0:20}"
  for i in $(seq 1 30); do
    cl -A "sequential/$i" "$W4/files/small.txt?n=$i"
  done
  sleep 0.5
}

traffic_rotated() {
  # Slow (limit_rate 150k) keep-alive connections whose responses span
  # several one-second capture files.
  local i
  BG_PIDS=()
  cl -A rotated-a "$W4/slow/large.bin" "$W4/slow/small.txt" "$W4/slow/medium.txt" "$W4/files/empty.txt" &
  BG_PIDS+=($!)
  sleep 0.3
  cl -A rotated-b --compressed "$W4/slow/medium.txt" "$W4/slow/data.json" "$W4/slow/medium.txt" \
     "$W4/slow/medium.txt" "$W4/slow/style.css" &
  BG_PIDS+=($!)
  sleep 0.7
  C python3 "$HERE/rawclient.py" pipeline-slow "$SRV4" >> "$LEDGER" &
  BG_PIDS+=($!)
  for i in 1 2 3 4 5 6; do
    cl -A "rotated-poll/$i" "$W4/files/small.txt?poll=$i"
    sleep 0.5
  done
  cl -g -A rotated-v6 "$W6/slow/medium.txt" "$W6/slow/data.json" "$W6/files/small.txt"
  for i in "${BG_PIDS[@]}"; do wait "$i"; done
  BG_PIDS=()
}

# --- checks ------------------------------------------------------------------
# check NAME: the access log has one line per request sent, with the same
# status codes; copies the logs into $WORK/out.
check_logs() {
  local name=$1 root=$WORK/prefix
  local sent logged
  sent=$(wc -l < "$LEDGER")
  logged=$(wc -l < "$root/logs/access.log")
  [ "$(wc -l < "$root/logs/full.log")" = "$logged" ] || die "$name: full.log and access.log differ in length"
  if grep -qv '^[1-5][0-9][0-9] ' "$LEDGER"; then
    grep -v '^[1-5][0-9][0-9] ' "$LEDGER" >&2
    die "$name: some requests failed on the client side"
  fi
  [ "$sent" = "$logged" ] || die "$name: sent $sent requests but nginx logged $logged"
  diff <(awk '{print $1}' "$LEDGER" | sort) \
       <(awk -F'"' '{split($3, a, " "); print a[1]}' "$root/logs/access.log" | sort) >/dev/null \
    || die "$name: status codes in the client ledger and the access log differ"
  if awk -F'"' '{split($3, a, " "); if (a[1] == 499 || a[1] == 408 || a[1] == 400) bad=1} END {exit !bad}' \
       "$root/logs/access.log"; then
    die "$name: access log has 400/408/499 lines"
  fi
  cp "$root/logs/access.log" "$WORK/out/$name.access.log"
  cp "$root/logs/full.log" "$WORK/out/$name.full.log"
  echo "$name: $sent requests sent, $logged logged; statuses: $(awk '{print $1}' "$LEDGER" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')" >> "$WORK/summary"
}

check_pcap() {
  local f=$1
  local big bad
  big=$(tcpdump -r "$f" -nn 'tcp' 2>/dev/null | awk '{for (i=1;i<=NF;i++) if ($i=="length") {l=$(i+1)+0; if (l>m) m=l}} END {print m+0}')
  [ "$big" -le 1448 ] || die "$f: TCP payload of $big bytes (offloads not off?)"
  bad=$(tcpdump -r "$f" -nn -vv 2>/dev/null | grep -ci 'incorrect\|bad cksum' || true)
  [ "$bad" = 0 ] || die "$f: $bad packets with bad checksums"
  echo "$(basename "$f"): largest TCP payload $big bytes, 0 bad checksums" >> "$WORK/summary"
}

# --- main ----------------------------------------------------------------------
mkdir -p "$WORK/out"
: > "$WORK/summary"
setup_net
setup_docroot

log "capture 1: nginx-basic"
: > "$LEDGER"
start_nginx
start_tcpdump "$WORK/out/nginx-basic.pcap"
traffic_basic
stop_tcpdump nginx-basic
stop_nginx
check_logs nginx-basic
check_pcap "$WORK/out/nginx-basic.pcap"
cp "$LEDGER" "$WORK/ledger-basic"

log "capture 2: nginx-rotated (tcpdump -G 1)"
: > "$LEDGER"
mkdir -p "$WORK/rot"
start_nginx
start_tcpdump "$WORK/rot/nginx-rotated-%s.pcap" -G 1
traffic_rotated
stop_tcpdump nginx-rotated
stop_nginx
check_logs nginx-rotated
n=0
for f in $(ls "$WORK/rot/" | sort -t- -k3 -n); do
  # -G opens its first file at start; one that got no packet is just the
  # 24-byte pcap header: leave it out.
  if [ "$(stat -c %s "$WORK/rot/$f")" -le 24 ]; then rm "$WORK/rot/$f"; continue; fi
  mv "$WORK/rot/$f" "$WORK/out/nginx-rotated.pcap$n"
  check_pcap "$WORK/out/nginx-rotated.pcap$n"
  n=$((n + 1))
done
[ "$n" -ge 3 ] || die "nginx-rotated: only $n files; want 3 or more"
[ "$n" -le 10 ] || die "nginx-rotated: $n files; want at most 10 (names sort as text)"
# Some connections must carry on from one file into the next.
crossing=$(for f in "$WORK"/out/nginx-rotated.pcap*; do
             tcpdump -r "$f" -nn tcp 2>/dev/null | awk '{print $3}' | grep -v '\.80$\|\.8080$' | sort -u
           done | sort | uniq -d | wc -l)
[ "$crossing" -ge 1 ] || die "nginx-rotated: no connection crosses a file boundary"
echo "nginx-rotated: $n files, $crossing connections cross a file boundary" >> "$WORK/summary"

# pcapng: tcpdump 4.99 cannot write it; use editcap when it is there.
if command -v editcap >/dev/null; then
  editcap -F pcapng "$WORK/out/nginx-basic.pcap" "$WORK/out/nginx-basic.pcapng"
else
  log "no editcap (wireshark-common): nginx-basic.pcapng not made (tcpdump cannot write pcapng)"
fi

# Replace the outputs only now that everything passed.
mkdir -p "$OUT"
rm -f "$OUT"/nginx-basic.pcap "$OUT"/nginx-basic.pcapng "$OUT"/nginx-basic.*.log \
      "$OUT"/nginx-rotated.pcap* "$OUT"/nginx-rotated.*.log
cp "$WORK"/out/* "$OUT"/
log "summary"
sed 's/^/   /' "$WORK/summary" >&2
ls -l "$OUT" | sed 's/^/   /' >&2
log "done in $(( $(date +%s) - START )) s"
