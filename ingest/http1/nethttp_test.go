package http1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

// Differential test: on well-formed messages the parser must agree with
// net/http on method, target, version, status, headers, trailers and body.

// genMessage writes a random well-formed request (resp false) or response
// with a random framing.
func genMessage(r *rand.Rand, resp bool) string {
	var b strings.Builder
	framing := r.IntN(3)
	if resp {
		codes := []int{200, 201, 301, 400, 404, 500, 503}
		c := codes[r.IntN(len(codes))]
		minor := r.IntN(2)
		if framing == 1 {
			minor = 1 // chunked in HTTP/1.0 is faulty framing (RFC 9112 6.1)
		}
		fmt.Fprintf(&b, "HTTP/1.%d %d %s\r\n", minor, c, http.StatusText(c))
	} else {
		methods := []string{"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}
		fmt.Fprintf(&b, "%s /%s?q=%d&x=%s HTTP/1.1\r\nHost: h%d.example\r\n",
			methods[r.IntN(len(methods))], randToken(r, 1+r.IntN(20)), r.IntN(1000), randToken(r, r.IntN(5)), r.IntN(9))
	}
	names := []string{"Accept", "User-Agent", "X-Forwarded-For", "Cookie", "Cache-Control", "X-Custom-" + randToken(r, 3)}
	for range r.IntN(12) {
		fmt.Fprintf(&b, "%s:%s%s\r\n", names[r.IntN(len(names))], strings.Repeat(" ", r.IntN(3)), randValue(r, r.IntN(40)))
	}
	body := randValue(r, r.IntN(3000))
	switch framing {
	case 0:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	case 1:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := body; rest != ""; {
			n := min(len(rest), 1+r.IntN(700))
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		b.WriteString("0\r\n")
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "X-Trailer: %s\r\n", randToken(r, 6))
		}
		b.WriteString("\r\n")
	default:
		b.WriteString("Content-Length: 0\r\n\r\n")
	}
	return b.String()
}

func randToken(r *rand.Rand, n int) string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}

func randValue(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x21 + r.IntN(0x7e-0x21)) // visible ASCII
	}
	return string(b)
}

// stdHeaders is ours in net/http's shape (canonical keys, framing headers
// that net/http moves elsewhere left out).
func stdHeaders(hs []Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		k := textproto.CanonicalMIMEHeaderKey(h.Name)
		if k == "Transfer-Encoding" || k == "Host" {
			continue
		}
		out[k] = append(out[k], h.Value)
	}
	return out
}

func withoutFraming(h http.Header) http.Header {
	out := h.Clone()
	out.Del("Transfer-Encoding")
	return out
}

func TestDifferentialNetHTTP(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cfg := &Config{RequestBodyLimit: 1 << 20, ResponseBodyLimit: 1 << 20}
	for i := range 300 {
		reqRaw, rspRaw := genMessage(r, false), genMessage(r, true)
		exs, _ := run(scenario{cfg: cfg, events: []event{cl(reqRaw), sv(rspRaw)}}, whole)
		if len(exs) != 1 || exs[0].Request == nil || exs[0].Response == nil {
			t.Fatalf("%d: got %d exchanges for\n%q\n%q", i, len(exs), reqRaw, rspRaw)
		}
		q, p := exs[0].Request, exs[0].Response

		sreq, err := http.ReadRequest(bufio.NewReader(strings.NewReader(reqRaw)))
		if err != nil {
			t.Fatalf("%d: net/http rejects request %q: %v", i, reqRaw, err)
		}
		sbody, err := io.ReadAll(sreq.Body)
		if err != nil {
			t.Fatalf("%d: net/http request body: %v", i, err)
		}
		if q.Method != sreq.Method || q.Target != sreq.RequestURI || q.Version != sreq.Proto {
			t.Errorf("%d: request line %q %q %q, net/http %q %q %q", i, q.Method, q.Target, q.Version, sreq.Method, sreq.RequestURI, sreq.Proto)
		}
		if host, _ := q.Get("Host"); host != sreq.Host {
			t.Errorf("%d: host %q, net/http %q", i, host, sreq.Host)
		}
		main := q.Headers[:len(q.Headers)-q.Trailers]
		if got, want := stdHeaders(main), withoutFraming(sreq.Header); !reflect.DeepEqual(got, want) {
			t.Errorf("%d: request headers\n%v\nnet/http\n%v", i, got, want)
		}
		if !bytes.Equal(q.Body, sbody) && !(len(q.Body) == 0 && len(sbody) == 0) {
			t.Errorf("%d: request body differs (%d vs %d bytes)", i, len(q.Body), len(sbody))
		}
		if got, want := stdHeaders(q.Headers[len(q.Headers)-q.Trailers:]), sreq.Trailer; len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("%d: request trailers %v, net/http %v", i, got, want)
		}

		srsp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(rspRaw)), sreq)
		if err != nil {
			t.Fatalf("%d: net/http rejects response %q: %v", i, rspRaw, err)
		}
		rbody, err := io.ReadAll(srsp.Body)
		if err != nil {
			t.Fatalf("%d: net/http response body: %v", i, err)
		}
		if p.Status != srsp.StatusCode || p.Version != srsp.Proto {
			t.Errorf("%d: status %d %q, net/http %d %q", i, p.Status, p.Version, srsp.StatusCode, srsp.Proto)
		}
		main = p.Headers[:len(p.Headers)-p.Trailers]
		if got, want := stdHeaders(main), withoutFraming(srsp.Header); !reflect.DeepEqual(got, want) {
			t.Errorf("%d: response headers\n%v\nnet/http\n%v", i, got, want)
		}
		if !bytes.Equal(p.Body, rbody) && !(len(p.Body) == 0 && len(rbody) == 0) {
			t.Errorf("%d: response body differs (%d vs %d bytes)", i, len(p.Body), len(rbody))
		}
		if got, want := stdHeaders(p.Headers[len(p.Headers)-p.Trailers:]), srsp.Trailer; len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("%d: response trailers %v, net/http %v", i, got, want)
		}
		if !q.Complete || !p.Complete || len(exs[0].Anomalies) > 0 {
			t.Errorf("%d: well-formed exchange flagged: %s", i, summary(exs[0]))
		}
	}
}
