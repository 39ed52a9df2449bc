package ingest

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

// publicCorpus is the shared corpus of public captures with expected
// outputs; tests that use it skip cleanly when it is absent.
const publicCorpus = "../../shared/testdata/public"

func corpusFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(publicCorpus, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("public corpus not present (%s)", p)
	}
	return p
}

// streamRecorder keeps each direction's reassembled bytes, gaps as zeros
// (as tcpflow writes them).
type streamRecorder struct {
	info *reassembly.ConnInfo
	out  map[string][]byte
	buf  [2][]byte
}

func (r *streamRecorder) Data(d reassembly.Direction, b []byte, _ time.Time) {
	r.buf[d] = append(r.buf[d], b...)
}
func (r *streamRecorder) Gap(d reassembly.Direction, n int, _ time.Time) {
	r.buf[d] = append(r.buf[d], make([]byte, n)...)
}
func (r *streamRecorder) Close(*reassembly.ConnRecord) {
	for d, b := range r.buf {
		if len(b) == 0 {
			continue
		}
		src, dst := r.info.Client, r.info.Server
		if d == int(reassembly.ServerToClient) {
			src, dst = dst, src
		}
		r.out[tcpflowName(src)+"-"+tcpflowName(dst)] = b
	}
}

// tcpflowName is tcpflow's file name for an endpoint: zero-padded IPv4
// octets and a five-digit port.
func tcpflowName(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%03d.%03d.%03d.%03d.%05d", b[0], b[1], b[2], b[3], ap.Port())
	}
	return fmt.Sprintf("%s.%05d", a, ap.Port())
}

// reassembleFile returns every direction's byte stream of a capture, or of
// several files read in order as one stream (a rotated set).
func reassembleFile(t *testing.T, paths ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	asm := reassembly.New(reassembly.Config{}, func(info *reassembly.ConnInfo) reassembly.Handler {
		return &streamRecorder{info: info, out: out}
	})
	dec := NewDecoder()
	var p reassembly.Packet
	for _, path := range paths {
		r, err := OpenPacketReader(path)
		if err != nil {
			t.Fatal(err)
		}
		for {
			data, ci, link, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if dec.Decode(data, ci, link, &p) {
				asm.Add(&p)
			}
		}
		r.Close()
	}
	asm.Flush()
	return out
}

// TestTcpflowDifferential compares our reassembled streams with the MD5s
// tcpflow's own test suite expects for the same captures.
func TestTcpflowDifferential(t *testing.T) {
	const test1 = "tcpflow/tests/test1.pcap.tcpflow-expected-md5.tsv"
	for _, c := range []struct {
		name   string
		pcaps  []string
		expect string
		only   string // check only this stream ("" = all)
	}{
		{"test1", []string{"tcpflow/tests/test1.pcap"}, test1, ""},
		// test1 split in two files, a connection continuing from one into
		// the next: read as one stream, the same bytes.
		{"test1-part1+part2", []string{"tcpflow/tests/test1-part1.pcap", "tcpflow/tests/test1-part2.pcap"}, test1, ""},
		// One direction of one connection of test1, alone in its file.
		{"test1-80-50955", []string{"tcpflow/tests/test1-80-50955.pcap"}, test1, "074.125.019.104.00080-192.168.001.102.50955"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var paths []string
			for _, p := range c.pcaps {
				paths = append(paths, corpusFile(t, p))
			}
			streams := reassembleFile(t, paths...)
			f, err := os.Open(corpusFile(t, c.expect))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				fields := strings.Split(sc.Text(), "\t")
				if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || fields[0] == "flow_file" || (c.only != "" && fields[0] != c.only) {
					continue
				}
				n++
				got, ok := streams[fields[0]]
				if !ok {
					t.Errorf("no stream %s (have %d streams)", fields[0], len(streams))
					continue
				}
				sum := md5.Sum(got)
				if hex.EncodeToString(sum[:]) != fields[1] {
					t.Errorf("%s: md5 %x (%d bytes), tcpflow expects %s (%s bytes)", fields[0], sum, len(got), fields[1], fields[2])
				}
			}
			if n == 0 {
				t.Fatal("no expectations read")
			}
		})
	}
}

// TestOutOfOrderConsistent: tcpflow's test1-out-of-order.pcap holds part of
// one direction of test1 with its packets out of order. Every byte we
// deliver must be the byte at that offset of the ordered stream; bytes we
// report as lost are zeros.
func TestOutOfOrderConsistent(t *testing.T) {
	const name = "074.125.019.104.00080-192.168.001.102.50955"
	full := reassembleFile(t, corpusFile(t, "tcpflow/tests/test1.pcap"))[name]
	got, ok := reassembleFile(t, corpusFile(t, "tcpflow/tests/test1-out-of-order.pcap"))[name]
	if !ok || len(got) == 0 {
		t.Fatalf("no stream %s", name)
	}
	// Without the handshake in this file, offsets start at the lowest
	// sequence number seen: align on the first 32 delivered bytes.
	at := bytes.Index(full, got[:32])
	if at < 0 || at+len(got) > len(full) {
		t.Fatalf("the stream's first bytes are not in the ordered stream (at %d, %d bytes of %d)", at, len(got), len(full))
	}
	mismatch := 0
	for i := range got {
		if got[i] != 0 && got[i] != full[at+i] {
			mismatch++
		}
	}
	if mismatch > 0 {
		t.Errorf("%d of %d delivered bytes differ from the ordered stream", mismatch, len(got))
	}
}

// TestShuffledCapturesSameStreams: tcpflow's randomized variants carry the
// same exchange as the ordered capture in shuffled packet order.
func TestShuffledCapturesSameStreams(t *testing.T) {
	want := reassembleFile(t, corpusFile(t, "tcpflow/tests/test5-lines.pcap"))
	if len(want) == 0 {
		t.Fatal("no streams in the ordered capture")
	}
	for _, v := range []string{"test5-lines-randomized.pcap", "test5-lines-randomized2.pcap"} {
		got := reassembleFile(t, corpusFile(t, "tcpflow/tests/"+v))
		for name, b := range want {
			if string(got[name]) != string(b) {
				t.Errorf("%s: stream %s differs (%d bytes, want %d)", v, name, len(got[name]), len(b))
			}
		}
	}
}

// TestSuricataLuaStreamExact: suricata-verify's lua-output-streaming test
// expects, byte for byte, the server-to-client stream of a 177 KB PDF
// download (suricata-update-pdf.pcap): our reassembly must give exactly
// those bytes.
func TestSuricataLuaStreamExact(t *testing.T) {
	pcap := corpusFile(t, "suricata-verify/tests/filestore-v2.1-forced/suricata-update-pdf.pcap")
	want, err := os.ReadFile(corpusFile(t, "suricata-verify/tests/lua-output-streaming/expected/6-172.16.1.68-162.209.114.75-58384-80"))
	if err != nil {
		t.Fatal(err)
	}
	got := reassembleFile(t, pcap)["162.209.114.075.00080-172.016.001.068.58384"]
	if !bytes.Equal(got, want) {
		t.Fatalf("server-to-client stream: %d bytes (md5 %x), Suricata expects %d bytes (md5 %x)", len(got), md5.Sum(got), len(want), md5.Sum(want))
	}
}
