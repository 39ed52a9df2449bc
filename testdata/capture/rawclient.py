#!/usr/bin/env python3
"""Raw-socket HTTP/1.x client for spanlake's capture script.

Runs inside the client network namespace. Sends requests that curl cannot
(pipelined batches, raw non-ASCII bytes, odd header spelling), reads every
response completely (so nginx never logs a 499), and prints one ledger line
per final response: "<status> <METHOD> <target>".

    rawclient.py SCENARIO HOST [PORT]

Scenarios are the keys of SCENARIOS below.
"""
import socket
import sys
import time


class Conn:
    def __init__(self, host, port):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect((host, port))
        self.buf = b""
        self.eof = False

    def _fill(self):
        if self.eof:
            raise EOFError("connection closed mid-response")
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            raise EOFError("connection closed mid-response")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, method):
        """Read one final response (skipping 1xx); return (status, body)."""
        while True:
            status_line = self._line()
            parts = status_line.split(b" ", 2)
            status = int(parts[1])
            headers = {}
            while True:
                h = self._line()
                if h == b"":
                    break
                k, v = h.split(b":", 1)
                headers[k.strip().lower()] = v.strip()
            if 100 <= status < 200:
                continue
            break
        if method == "HEAD" or status in (204, 304):
            return status, b""
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line() != b"":  # trailers
                        pass
                    return status, body
                body += self._take(size)
                self._take(2)
        if b"content-length" in headers:
            return status, self._take(int(headers[b"content-length"]))
        # Read to EOF.
        try:
            while True:
                self._fill()
        except EOFError:
            pass
        body, self.buf = self.buf, b""
        return status, body

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()


def req(method, target, host, headers=(), body=None, version=b"HTTP/1.1", close=False):
    """Build one request as bytes. target/headers may be str or bytes."""
    b = lambda s: s if isinstance(s, bytes) else s.encode()
    lines = [b(method) + b" " + b(target) + b" " + version]
    if host is not None:
        lines.append(b"Host: " + b(host))
    for h in headers:
        lines.append(b(h))
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    if close:
        lines.append(b"Connection: close")
    data = b"\r\n".join(lines) + b"\r\n\r\n"
    if body is not None:
        data += b(body)
    return data


def show(target):
    t = target if isinstance(target, bytes) else target.encode()
    return t.decode("utf-8", "backslashreplace")


UA = "spanlake-rawclient/1.0"


def pipelined(host, port, batch):
    """Send every request of batch in one sendall, then read all responses."""
    c = Conn(host, port)
    c.send(b"".join(r for _, _, r in batch))
    for method, target, _ in batch:
        status, _ = c.response(method)
        print(f"{status} {method} {show(target)}")
    c.close()


def sequential(host, port, batch):
    """One keep-alive connection, one request at a time."""
    c = Conn(host, port)
    for method, target, r in batch:
        c.send(r)
        status, _ = c.response(method)
        print(f"{status} {method} {show(target)}")
    c.close()


def scenario_pipeline_get(host, port, hh):
    ua = ["User-Agent: " + UA + " (pipeline)", "Accept: */*"]
    batch = [
        ("GET", "/files/small.txt", req("GET", "/files/small.txt", hh, ua)),
        ("GET", "/files/medium.txt", req("GET", "/files/medium.txt", hh, ua)),
        ("GET", "/files/empty.txt", req("GET", "/files/empty.txt", hh, ua)),
        ("GET", "/files/data.json", req("GET", "/files/data.json", hh, ua)),
        ("GET", "/index.html", req("GET", "/index.html", hh, ua, close=True)),
    ]
    pipelined(host, port, batch)


def scenario_pipeline_post(host, port, hh):
    ua = ["User-Agent: " + UA + " (pipeline-post)"]
    form = b"user=bob&comment=pipelined+post%21"
    js = b'{"id":8,"tags":["pipelined"]}'
    batch = [
        ("GET", "/files/small.txt", req("GET", "/files/small.txt", hh, ua)),
        ("POST", "/form", req("POST", "/form", hh, ua + ["Content-Type: application/x-www-form-urlencoded"], form)),
        ("POST", "/api/items", req("POST", "/api/items", hh, ua + ["Content-Type: application/json"], js)),
        ("GET", "/missing.html", req("GET", "/missing.html", hh, ua)),
        ("GET", "/files/style.css", req("GET", "/files/style.css", hh, ua + ["Accept-Encoding: gzip"], close=True)),
    ]
    pipelined(host, port, batch)


def scenario_pipeline_mixed(host, port, hh):
    # HEAD, 304 and 204 (responses without a body) inside one pipeline.
    ua = ["User-Agent: " + UA + " (pipeline-mixed)"]
    batch = [
        ("HEAD", "/files/large.bin", req("HEAD", "/files/large.bin", hh, ua)),
        ("GET", "/files/small.txt", req("GET", "/files/small.txt", hh,
                                        ua + ["If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT"])),
        ("GET", "/empty", req("GET", "/empty", hh, ua)),
        ("GET", "/files/medium.txt", req("GET", "/files/medium.txt", hh, ua + ["Accept-Encoding: gzip"])),
        ("GET", "/files/empty.txt", req("GET", "/files/empty.txt", hh, ua)),
    ]
    pipelined(host, port, batch)


def scenario_pipeline_slow(host, port, hh):
    # Used by the rotated capture: a pipelined batch of slow responses.
    ua = ["User-Agent: " + UA + " (pipeline-slow)"]
    batch = [
        ("GET", "/slow/medium.txt", req("GET", "/slow/medium.txt", hh, ua)),
        ("GET", "/slow/large.bin", req("GET", "/slow/large.bin", hh, ua)),
        ("GET", "/slow/small.txt", req("GET", "/slow/small.txt", hh, ua, close=True)),
    ]
    pipelined(host, port, batch)


def scenario_awkward(host, port, hh):
    # Bytes that must be escaped in the access log, sent one by one on a
    # keep-alive connection.
    batch = [
        ("GET", "/files/small.txt",
         req("GET", "/files/small.txt", hh,
             [b"User-Agent: Mozilla/5.0 (X11; caf\xc3\xa9 \xff) raw\x7fbyte",
              b"Referer: http://ref.example/\xe2\x9c\x93?x=\"q\""])),
        ("GET", b"/search?q=caf\xc3\xa9&raw=a\"b\\c",
         req("GET", b"/search?q=caf\xc3\xa9&raw=a\"b\\c", hh, ["User-Agent: " + UA + " (raw-uri)"])),
        ("GET", "/search?q=%22quoted%22&tab=%09&pct=100%25",
         req("GET", "/search?q=%22quoted%22&tab=%09&pct=100%25", hh,
             ["user-agent:" + UA + " (lower-case header, no space)"])),
        ("GET", "/files/small.txt",
         req("GET", "/files/small.txt", hh, ["User-Agent: tab\there \"and\" back\\slash"])),
        ("GET", "/files/small.txt",
         req("GET", "/files/small.txt", hh, [], close=True)),  # no User-Agent at all
    ]
    sequential(host, port, batch)


def scenario_http10(host, port, hh):
    # HTTP/1.0 without a Host header, then with one; each closes.
    for target, with_host in (("/index.html", False), ("/files/small.txt", True)):
        c = Conn(host, port)
        c.send(req("GET", target, hh if with_host else None,
                   ["User-Agent: " + UA + " (http/1.0)"], version=b"HTTP/1.0"))
        status, _ = c.response("GET")
        print(f"{status} GET {target}")
        c.close()


SCENARIOS = {
    "pipeline-get": scenario_pipeline_get,
    "pipeline-post": scenario_pipeline_post,
    "pipeline-mixed": scenario_pipeline_mixed,
    "pipeline-slow": scenario_pipeline_slow,
    "awkward": scenario_awkward,
    "http10": scenario_http10,
}


def main():
    name, host = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    hh = "www.example.test" if port == 80 else f"www.example.test:{port}"
    SCENARIOS[name](host, port, hh)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
