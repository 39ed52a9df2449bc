#!/usr/bin/env bash
# Regenerates spanlake's Apache real-traffic capture in testdata/captures/:
#
#   apache-basic.pcap            classic pcap (microsecond) of about 80
#                                HTTP/1.x exchanges against Apache httpd 2.4
#   apache-basic.combined.log    Apache's own access log ("combined", %b)
#   apache-basic.full.log        the same requests in LogFormat spanlake_full
#                                (every wire-knowable directive, TAB-separated)
#
# Run as root (`make testdata`); CI never runs it. Same set-up as
# make-captures.sh (its own namespace names, so the two never collide): two
# network namespaces joined by a veth pair with every offload off, Apache
# (config: testdata/capture/apache2.conf, mpm_event, in the foreground) in
# one, curl + rawclient.py in the other, tcpdump on the server's veth. All
# traffic stays inside the two namespaces. Everything is torn down on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "$HERE/.." && pwd)/captures
SRV_NS=spanlake-apache-srv
CLI_NS=spanlake-apache-cli
SRV_IF=slsrv0
CLI_IF=slcli0
SRV4=10.99.0.1
CLI4=10.99.0.2
SRV6=fd99::1
CLI6=fd99::2
START=$(date +%s)

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'make-apache-capture: %s\n' "$*" >&2; exit 1; }

# --- prerequisites -----------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, tcpdump)"
missing=()
for cmd in apache2:apache2 tcpdump:tcpdump ethtool:ethtool curl:curl \
           python3:python3 ip:iproute2 openssl:openssl; do
  command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd#*:}")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools; install with: apt-get install -y ${missing[*]}"
[ -r /etc/mime.types ] || die "/etc/mime.types missing; install media-types"
[ -r /usr/lib/apache2/modules/mod_mpm_event.so ] || die "Apache modules not in /usr/lib/apache2/modules (Debian apache2)"
id www-data >/dev/null 2>&1 || die "no www-data user (Apache's workers run as www-data)"

# --- setup and teardown ------------------------------------------------------
WORK=$(mktemp -d /tmp/spanlake-apache.XXXXXX)
chmod 755 "$WORK"   # Apache's workers (www-data) read the document root
ROOT=$WORK/root
APACHE_PID=
TCPDUMP_PID=
BG_PIDS=()

cleanup() {
  local rc=$?
  set +e
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
  if [ -n "$APACHE_PID" ]; then kill -TERM "$APACHE_PID" 2>/dev/null; wait "$APACHE_PID" 2>/dev/null; fi
  ip netns del "$SRV_NS" 2>/dev/null
  ip netns del "$CLI_NS" 2>/dev/null
  rm -rf "$WORK"
  if [ $rc -ne 0 ]; then echo "make-apache-capture: FAILED (exit $rc); $OUT left as it was" >&2; fi
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
  mkdir -p "$ROOT/htdocs/files" "$ROOT/htdocs/private" "$ROOT/htdocs/forbidden" \
           "$ROOT/logs" "$ROOT/run" "$WORK/client"
  python3 - "$ROOT/htdocs" "$WORK/client" <<'EOF'
import json, random, sys
html, client = sys.argv[1], sys.argv[2]
rnd = random.Random(20240102)  # fixed seed: identical files on every run
def w(path, data):
    with open(path, "wb") as f:
        f.write(data)
words = ("span lake packet capture apache access log parquet warehouse tcp "
         "segment stream request response header body chunk deflate").split()
def text(n):
    out, line = [], []
    while sum(len(x) + 1 for x in out) < n:
        line.append(rnd.choice(words))
        if len(line) == 12:
            out.append(" ".join(line)); line = []
    return ("\n".join(out) + "\n").encode()[:n]
w(f"{html}/index.html", b"<!doctype html>\n<html><head><title>spanlake test</title>"
  b"<link rel=\"stylesheet\" href=\"/files/style.css\"></head>\n<body><h1>spanlake</h1>"
  b"<p>Static test page served by Apache httpd for the real-traffic captures.</p>\n"
  b"<p><a href=\"/files/small.txt\">small</a> <a href=\"/files/medium.txt\">medium</a> "
  b"<a href=\"/files/large.bin\">large</a></p></body></html>\n")
w(f"{html}/files/empty.txt", b"")
w(f"{html}/files/small.txt", text(300))
w(f"{html}/files/medium.txt", text(20 * 1024))
w(f"{html}/files/large.bin", bytes(rnd.getrandbits(8) for _ in range(200 * 1024)))
w(f"{html}/files/style.css", b"body { font-family: sans-serif; margin: 2em; }\n"
  b"h1 { color: #225; }\np { line-height: 1.4; }\na { color: #06c; }\n" * 4)
w(f"{html}/files/data.json", json.dumps(
  {"items": [{"id": i, "name": rnd.choice(words), "tags": rnd.sample(words, 3)} for i in range(40)]},
  indent=1).encode() + b"\n")
w(f"{html}/private/secret.txt", b"the secret is spanlake\n")
w(f"{html}/forbidden/nope.txt", b"never served\n")
w(f"{client}/small.txt", b"hello from the multipart upload\n")
EOF
  # Fixed mtimes: deterministic ETag and Last-Modified.
  find "$ROOT/htdocs" -exec touch -h -d '2024-01-01 00:00:00 UTC' {} +
  # htpasswd for /private/: alice / secret, fixed salt so reruns are identical.
  printf 'alice:%s\n' "$(openssl passwd -apr1 -salt spanlake secret)" > "$ROOT/htpasswd"
  chmod -R a+rX "$ROOT"
  cp "$HERE/apache2.conf" "$ROOT/apache2.conf"
}

# --- Apache and tcpdump ------------------------------------------------------

start_apache() {
  rm -f "$ROOT/logs/"*.log
  S env TZ=UTC apache2 -d "$ROOT" -f "$ROOT/apache2.conf" -C "Define ROOT $ROOT" -t 2>&1 | sed 's/^/   apache2 -t: /' >&2
  # Not through S(): $! must be apache2's own pid (ip netns exec and env
  # both exec); -DFOREGROUND keeps the parent in the foreground.
  ip netns exec "$SRV_NS" env TZ=UTC apache2 -d "$ROOT" -f "$ROOT/apache2.conf" \
    -C "Define ROOT $ROOT" -DFOREGROUND &
  APACHE_PID=$!
  local i
  for i in $(seq 50); do
    # Readiness probe without a request: connect and close (Apache logs
    # nothing for a connection without a request).
    C bash -c "exec 3<>/dev/tcp/$SRV4/80" 2>/dev/null && return 0
    sleep 0.1
  done
  die "apache2 did not start; see $ROOT/logs/error.log"
}

stop_apache() {
  kill -TERM "$APACHE_PID"
  wait "$APACHE_PID" || true
  APACHE_PID=
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

phase() { log "phase: $*"; sleep 0.3; }

traffic() {
  local up=$WORK/client
  phase "static GETs, several sizes"
  cl "$W4/"
  cl "$W4/files/empty.txt"
  cl "$W4/files/small.txt"
  cl "$W4/files/medium.txt"
  cl "$W4/files/large.bin"
  cl -A 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0' \
     -e "$W4/index.html" "$W4/files/style.css"

  phase "HEAD"
  cl -I "$W4/files/large.bin"
  cl -I "$W4/nothing-here"
  cl --compressed -I "$W4/files/medium.txt"

  phase "keep-alive, deflate"
  cl "$W4/index.html" "$W4/files/small.txt" "$W4/files/data.json" "$W4/files/empty.txt" \
     "$W4/files/large.bin" "$W4/missing.png"
  cl --compressed "$W4/files/medium.txt" "$W4/files/data.json" "$W4/files/style.css" "$W4/index.html"

  phase "POST bodies (Apache answers them without an application)"
  cl -d 'user=alice&comment=hello+world' "$W4/form"                  # 303 (Redirect)
  cl -H 'Content-Type: application/json' --data-binary '{"id":7,"tags":["a","b"]}' "$W4/api/items"  # 404
  cl -F name=value -F "file=@$up/small.txt" "$W4/api/upload"         # multipart, 404
  cl -d 'x=1' "$W4/files/small.txt"                                  # POST to a static file: 200 (Apache serves it)
  cl -X DELETE "$W4/files/small.txt"                                 # 405

  phase "pipelining (raw sockets)"
  raw pipeline-get "$SRV4"
  raw pipeline-post "$SRV4"
  raw pipeline-mixed "$SRV4"

  phase "errors, conditional and range requests"
  cl "$W4/does/not/exist.html" "$W4/forbidden/nope.txt" "$W4/gone"
  local etag
  cl -D "$WORK/headers" "$W4/files/medium.txt"
  etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$WORK/headers")
  [ -n "$etag" ] || die "no ETag from Apache"
  cl -H "If-None-Match: $etag" "$W4/files/medium.txt"                # 304
  cl -H 'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT' "$W4/files/large.bin"   # 304
  cl -r 0-99 "$W4/files/large.bin"
  cl -r 1000-2999 "$W4/files/medium.txt"
  cl -r 0-9,20-29 "$W4/files/small.txt"                              # multipart/byteranges
  cl -r 999999- "$W4/files/small.txt"                                # 416
  cl "$W4/old" "$W4/temp" "$W4/files"                                # 301, 302, 301 (dir)

  phase "HTTP/1.0"
  cl -0 "$W4/files/small.txt"
  cl -0 -H 'Connection: keep-alive' "$W4/files/small.txt" "$W4/files/data.json"
  raw http10 "$SRV4"

  phase "Basic auth"
  cl -u alice:secret "$W4/private/secret.txt"
  cl "$W4/private/secret.txt"                                        # no credentials: 401
  cl -u alice:wrong "$W4/private/secret.txt"                         # bad password: 401
  cl -u mallory:secret "$W4/private/secret.txt"                      # unknown user: 401

  phase "Referer, User-Agent escaping, query strings"
  cl -A 'Mozilla/5.0 "quoted" agent' "$W4/files/small.txt"
  cl -A 'back\slash\agent\\' -e 'http://ref.example/a\b' "$W4/files/small.txt"
  cl -A '' -H 'User-Agent:' "$W4/files/small.txt"                    # no User-Agent header
  cl -A 'caf€ agent' -e 'http://ref.example/page?a=1&b="x"' "$W4/files/small.txt"
  cl "$W4/search?q=hello%20world&lang=en"
  cl "$W4/search?q=caf%C3%A9+au+lait&sort=%22desc%22&empty=&flag"
  cl "$W4/files/sm%61ll.txt"                                         # percent-encoded path
  cl --path-as-is "$W4/files/../files/./small.txt"                   # unnormalised path
  raw awkward "$SRV4"

  phase "IPv6, port 8080, Host headers"
  cl -g "$W6/" "$W6/files/small.txt"
  cl -g --compressed "$W6/files/data.json"
  cl -g -A 'v6 "agent"' "http://[$SRV6]:8080/files/small.txt"
  raw pipeline-get "$SRV6"
  cl "$W4:8080/files/small.txt"
  cl -H 'Host: WWW.Example.TEST.' "$W4/files/small.txt"
  cl -H 'Host: other.example' "$W4:8080/old"
  raw pipeline-post "$SRV4" 8080

  phase "concurrent, interleaved connections"
  local i
  BG_PIDS=()
  for i in 1 2 3; do
    cl -A "parallel-$i" "$W4/files/medium.txt" "$W4/files/small.txt" &
    BG_PIDS+=($!)
  done
  C python3 "$HERE/rawclient.py" pipeline-mixed "$SRV4" >> "$LEDGER" &
  BG_PIDS+=($!)
  for i in "${BG_PIDS[@]}"; do wait "$i"; done
  BG_PIDS=()
  sleep 0.5
}

# --- checks ------------------------------------------------------------------
# The full log is TAB-separated; field 17 is %>s.
check_logs() {
  local sent logged
  sent=$(wc -l < "$LEDGER")
  logged=$(wc -l < "$ROOT/logs/combined.log")
  [ "$(wc -l < "$ROOT/logs/full.log")" = "$logged" ] || die "full.log and combined.log differ in length"
  if grep -qv '^[1-5][0-9][0-9] ' "$LEDGER"; then
    grep -v '^[1-5][0-9][0-9] ' "$LEDGER" >&2
    die "some requests failed on the client side"
  fi
  [ "$sent" = "$logged" ] || die "sent $sent requests but Apache logged $logged"
  diff <(awk '{print $1}' "$LEDGER" | sort) <(cut -f17 "$ROOT/logs/full.log" | sort) >&2 \
    || die "status codes in the client ledger and the access log differ"
  if cut -f17 "$ROOT/logs/full.log" | grep -qx '400\|408'; then
    die "access log has 400/408 lines"
  fi
  cp "$ROOT/logs/combined.log" "$WORK/out/apache-basic.combined.log"
  cp "$ROOT/logs/full.log" "$WORK/out/apache-basic.full.log"
  echo "apache-basic: $sent requests sent, $logged logged; statuses: $(awk '{print $1}' "$LEDGER" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')" >> "$WORK/summary"
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

log "capture: apache-basic"
: > "$LEDGER"
start_apache
start_tcpdump "$WORK/out/apache-basic.pcap"
traffic
stop_tcpdump apache-basic
stop_apache
check_logs
check_pcap "$WORK/out/apache-basic.pcap"
size=$(stat -c %s "$WORK/out/apache-basic.pcap")
[ "$size" -le 2500000 ] || die "apache-basic.pcap is $size bytes; keep it under about 2 MB"

# Replace the outputs only now that everything passed.
mkdir -p "$OUT"
rm -f "$OUT"/apache-basic.pcap "$OUT"/apache-basic.*.log
cp "$WORK"/out/* "$OUT"/
log "summary"
sed 's/^/   /' "$WORK/summary" >&2
ls -l "$OUT"/apache-basic.* | sed 's/^/   /' >&2
log "done in $(( $(date +%s) - START )) s"
