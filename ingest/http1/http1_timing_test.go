package http1

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

const benchRequest = "GET /api/v1/items?id=42&page=3 HTTP/1.1\r\n" +
	"Host: shop.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\n" +
	"Accept: application/json, text/plain, */*\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Referer: https://shop.example.com/items\r\n" +
	"Cookie: session=3f9a1c2e7b; theme=dark\r\n" +
	"X-Forwarded-For: 203.0.113.7\r\n" +
	"Connection: keep-alive\r\n" +
	"Cache-Control: no-cache\r\n\r\n"

const benchResponse = "HTTP/1.1 200 OK\r\n" +
	"Date: Tue, 25 Nov 2026 09:00:00 GMT\r\n" +
	"Server: nginx/1.27.0\r\n" +
	"Content-Type: application/json; charset=utf-8\r\n" +
	"Content-Length: 120\r\n" +
	"Connection: keep-alive\r\n" +
	"Cache-Control: private, max-age=0\r\n" +
	"ETag: \"5f3e-1a2b3c\"\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"X-Request-Id: 6c1f0e2a-1b7d-4c7e-9e53-2d8f1d3c4b5a\r\n" +
	"Strict-Transport-Security: max-age=31536000\r\n\r\n"

// BenchmarkKeepAliveExchange: one op is one small exchange (10 headers
// each way, 120-byte JSON body) on a long keep-alive connection.
func BenchmarkKeepAliveExchange(b *testing.B) {
	body := []byte(strings.Repeat("x", 120))
	req, rsp := []byte(benchRequest), append([]byte(benchResponse), body...)
	info := &reassembly.ConnInfo{ID: 1, Client: testClient, Server: testServer, HandshakeSeen: true}
	n := 0
	p := NewConnParser(info, nil, func(*Exchange) { n++ })
	ts := time.Unix(1, 0)
	b.SetBytes(int64(len(req) + len(rsp)))
	b.ReportAllocs()
	for b.Loop() {
		p.Data(reassembly.ClientToServer, req, ts)
		p.Data(reassembly.ServerToClient, rsp, ts)
	}
	if n != b.N && n != b.N-1 {
		b.Fatalf("%d exchanges for %d ops", n, b.N)
	}
}

// BenchmarkChunkedMegabyte: one op is an exchange whose response is 1 MB
// in 8 KiB chunks, delivered in 1448-byte segments (the body is counted,
// not kept, as with the default Config).
func BenchmarkChunkedMegabyte(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	chunk := strings.Repeat("z", 8192)
	for range (1 << 20) / len(chunk) {
		fmt.Fprintf(&sb, "%x\r\n%s\r\n", len(chunk), chunk)
	}
	sb.WriteString("0\r\n\r\n")
	rsp := []byte(sb.String())
	req := []byte(benchRequest)
	info := &reassembly.ConnInfo{ID: 1, Client: testClient, Server: testServer, HandshakeSeen: true}
	n := 0
	var last *Exchange
	p := NewConnParser(info, nil, func(ex *Exchange) { n++; last = ex })
	ts := time.Unix(1, 0)
	b.SetBytes(int64(len(rsp)))
	b.ReportAllocs()
	for b.Loop() {
		p.Data(reassembly.ClientToServer, req, ts)
		for s := rsp; len(s) > 0; {
			k := min(len(s), 1448)
			p.Data(reassembly.ServerToClient, s[:k], ts)
			s = s[k:]
		}
	}
	if n != b.N || last.Response.BodyBytes != 1<<20 {
		b.Fatalf("%d exchanges for %d ops, last body %d", n, b.N, last.Response.BodyBytes)
	}
}
