package etl

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
)

// benchExchange parses one keep-alive API exchange like the small
// shape's: a JSON POST with ~10 request headers (Authorization and a
// Cookie, which the privacy policy hashes), a JSON answer with ~10
// response headers.
func benchExchange(b *testing.B) *http1.Exchange {
	body := `{"user":"bob","items":[1,2,3],"note":"hello","password":"hunter2"}`
	req := "POST /api/v1/orders/4711?expand=items&page=2 HTTP/1.1\r\n" +
		"Host: api1.example.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\n" +
		"Accept: application/json\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\n" +
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl\r\n" +
		"Cookie: session=3f9a1c2e7b; theme=dark\r\n" +
		"Referer: https://shop.example.com/items\r\n" +
		"X-Request-Id: 6c1f0e2a-1b7d-4c7e-9e53-2d8f1d3c4b5a\r\n" +
		"Content-Type: application/json\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
	respBody := `{"id":4711,"status":"accepted"}`
	rsp := "HTTP/1.1 201 Created\r\n" +
		"Date: Fri, 02 Jan 2026 03:04:05 GMT\r\n" +
		"Server: nginx/1.27.0\r\n" +
		"Content-Type: application/json; charset=utf-8\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n", len(respBody)) +
		"Connection: keep-alive\r\n" +
		"Cache-Control: private, max-age=0\r\n" +
		"ETag: \"5f3e-1a2b3c\"\r\n" +
		"Vary: Accept-Encoding\r\n" +
		"X-Request-Id: 6c1f0e2a-1b7d-4c7e-9e53-2d8f1d3c4b5a\r\n" +
		"Strict-Transport-Security: max-age=31536000\r\n\r\n" + respBody
	info := &reassembly.ConnInfo{ID: 77, Client: netip.MustParseAddrPort("10.0.0.1:40000"),
		Server: netip.MustParseAddrPort("10.0.0.2:80"), HandshakeSeen: true}
	var ex *http1.Exchange
	p := http1.NewConnParser(info, nil, func(e *http1.Exchange) { ex = e })
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.Data(reassembly.ClientToServer, []byte(req), ts)
	p.Data(reassembly.ServerToClient, []byte(rsp), ts.Add(time.Millisecond))
	if ex == nil || ex.Request == nil || ex.Response == nil || len(ex.Request.Body) == 0 {
		b.Fatalf("benchmark exchange not parsed: %+v", ex)
	}
	return ex
}

// BenchmarkExchangeRows builds the rows of one exchange, in the two steps
// a run makes: its detail rows (header block, the request body row with
// its hashes (response bodies are not kept by default),
// parameters, redaction; on the shard that parsed it) and its fact row
// with the dimension keys (on the sink).
func BenchmarkExchangeRows(b *testing.B) {
	ex := benchExchange(b)
	w, err := OpenWarehouse(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	w.SetPrivacy(Privacy{Key: []byte("0123456789abcdef0123456789abcdef"), SecretNames: DefaultSecretNames()})
	b.Run("detail", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d := w.prepare(ex); len(d.headers) != 1 || len(d.bodies) != 1 || len(d.params) == 0 {
				b.Fatalf("detail rows: %d header blocks, %d bodies, %d params", len(d.headers), len(d.bodies), len(d.params))
			}
		}
	})
	b.Run("fact", func(b *testing.B) {
		dims := w.dimsOf(1)
		b.ReportAllocs()
		for b.Loop() {
			row := exchangeRow(ex, 1, dims)
			w.privacy.redactFact(&row)
		}
		if dims.err != nil {
			b.Fatal(dims.err)
		}
	})
}
