package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// Damaged captures end to end (issue #9): a run over good and damaged files
// ingests every good packet, names each damaged file and its offset, records
// the damage in dim_source_file and the ledger, and exits 3.

// badClientNet is the client prefix of the synthetic exchanges in the
// damaged files; the good capture never uses it.
const badClientNet = "192.0.2."

// exchangePackets is one complete HTTP exchange from client 192.0.2.<n>
// (SYN to FIN) requesting path, at t.
func exchangePackets(t *testing.T, n int, path string, at time.Time) ([][]byte, []time.Time) {
	t.Helper()
	req := "GET " + path + " HTTP/1.1\r\nHost: damaged.test\r\nUser-Agent: badfiles-test\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
	return conversationPackets(t, n, at, req, resp)
}

// conversationPackets is one TCP connection from client 192.0.2.<n> to
// 198.51.100.1:80 (SYN to FIN) carrying msgs, sent in turn by the client
// (even indexes) and the server (odd ones), each in one segment and acked,
// a millisecond apart from t.
func conversationPackets(t *testing.T, n int, at time.Time, msgs ...string) ([][]byte, []time.Time) {
	t.Helper()
	cli, srv := net.IPv4(192, 0, 2, byte(n)).To4(), net.IPv4(198, 51, 100, 1).To4()
	cport := layers.TCPPort(40000 + n)
	type seg struct {
		fromClient          bool
		seq, ack            uint32
		syn, ackf, fin, psh bool
		payload             string
	}
	cs, ss := uint32(1000), uint32(5000)
	segs := []seg{
		{true, cs, 0, true, false, false, false, ""},
		{false, ss, cs + 1, true, true, false, false, ""},
		{true, cs + 1, ss + 1, false, true, false, false, ""},
	}
	cs, ss = cs+1, ss+1
	for i, m := range msgs {
		if i%2 == 0 {
			segs = append(segs, seg{true, cs, ss, false, true, false, true, m})
			cs += uint32(len(m))
		} else {
			segs = append(segs, seg{false, ss, cs, false, true, false, true, m})
			ss += uint32(len(m))
		}
	}
	segs = append(segs,
		seg{true, cs, ss, false, true, true, false, ""},
		seg{false, ss, cs + 1, false, true, true, false, ""},
		seg{true, cs + 1, ss + 1, false, true, false, false, ""})
	var frames [][]byte
	var times []time.Time
	for i, s := range segs {
		src, dst, sp, dp := cli, srv, cport, layers.TCPPort(80)
		if !s.fromClient {
			src, dst, sp, dp = srv, cli, 80, cport
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: s.seq, Ack: s.ack, SYN: s.syn, ACK: s.ackf, FIN: s.fin, PSH: s.psh, Window: 65535}
		tcp.SetNetworkLayerForChecksum(ip)
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload(s.payload)); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, buf.Bytes())
		times = append(times, at.Add(time.Duration(i)*time.Millisecond))
	}
	return frames, times
}

func pcapBytes(t *testing.T, snaplen uint32, frames [][]byte, times []time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: times[i], CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[16:], snaplen)
	return out
}

func pcapngBytes(t *testing.T, frames [][]byte, times []time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: times[i], CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ngPacketBlockEnds lists the end offsets of the packet blocks of a pcapng.
func ngPacketBlockEnds(b []byte) []int {
	var ends []int
	for off := 0; off+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if binary.LittleEndian.Uint32(b[off:]) == 6 {
			ends = append(ends, off+n)
		}
		off += n
	}
	return ends
}

func pcapRecordHeader(at time.Time, caplen, origlen uint32) []byte {
	h := make([]byte, 16)
	binary.LittleEndian.PutUint32(h[0:], uint32(at.Unix()))
	binary.LittleEndian.PutUint32(h[8:], caplen)
	binary.LittleEndian.PutUint32(h[12:], origlen)
	return h
}

func compress(t *testing.T, zst bool, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	var err error
	if zst {
		var w *zstd.Encoder
		if w, err = zstd.NewWriter(&out); err == nil {
			_, err = w.Write(raw)
			err = errorsJoin(err, w.Close())
		}
	} else {
		w := gzip.NewWriter(&out)
		_, err = w.Write(raw)
		err = errorsJoin(err, w.Close())
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// badInput is one synthetic file of the mixed run.
type badInput struct {
	name     string
	data     []byte
	damaged  bool
	offset   int64  // expected error_offset
	exchange string // the request path whose exchange must be ingested, "" for none
}

func badInputs(t *testing.T) []badInput {
	t.Helper()
	base := time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC)
	var ins []badInput
	n := 0
	add := func(name string, damaged bool, exchange bool, build func(frames [][]byte, times []time.Time) ([]byte, int64)) {
		n++
		path := "/bad/" + name
		frames, times := exchangePackets(t, n, path, base.Add(time.Duration(n)*time.Minute))
		data, off := build(frames, times)
		in := badInput{name: name, data: data, damaged: damaged, offset: off}
		if exchange {
			in.exchange = path
		}
		ins = append(ins, in)
	}
	recordsEnd := func(frames [][]byte) int64 {
		end := int64(24)
		for _, f := range frames {
			end += 16 + int64(len(f))
		}
		return end
	}
	// The last packet (the final ACK) of each exchange is expendable: the
	// damage is put there, so the exchange itself must be ingested.
	add("truncated.pcap", true, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		b := pcapBytes(t, 65535, f, ts)
		return b[:len(b)-10], recordsEnd(f[:len(f)-1])
	})
	add("caplen-huge.pcap", true, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		b := pcapBytes(t, 65535, f, ts)
		b = append(b, pcapRecordHeader(ts[len(ts)-1], 300<<10, 300<<10)...)
		return append(b, bytes.Repeat([]byte{0xee}, 4096)...), recordsEnd(f)
	})
	add("caplen-above-length.pcap", true, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		b := pcapBytes(t, 65535, f, ts)
		b = append(b, pcapRecordHeader(ts[len(ts)-1], 100, 60)...)
		return append(b, make([]byte, 100)...), recordsEnd(f)
	})
	add("tiny-snaplen.pcap", false, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		return pcapBytes(t, 16, f, ts), 0
	})
	add("unknown-block.pcapng", false, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		b := pcapngBytes(t, f, ts)
		at := ngPacketBlockEnds(b)[2]
		blk := []byte{0x01, 0x00, 0x42, 0x42, 20, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 20, 0, 0, 0}
		return slices.Concat(b[:at], blk, b[at:]), 0
	})
	add("truncated.pcapng", true, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		b := pcapngBytes(t, f, ts)
		ends := ngPacketBlockEnds(b)
		return b[:ends[len(ends)-1]-6], int64(ends[len(ends)-2])
	})
	add("cut.pcap.gz", true, true, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		gz := compress(t, false, pcapBytes(t, 65535, f, ts))
		return gz[:len(gz)-8], recordsEnd(f) // the deflate data is whole; the trailer is missing
	})
	add("cut.pcap.zst", true, false, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		zs := compress(t, true, pcapBytes(t, 65535, f, ts))
		return zs[:len(zs)/2], 0 // its only block is cut: nothing survives
	})
	add("empty.pcap", true, false, func([][]byte, []time.Time) ([]byte, int64) { return nil, 0 })
	add("notes.txt", true, false, func([][]byte, []time.Time) ([]byte, int64) {
		return []byte("capture notes: the span port was moved on Tuesday\n"), 0
	})
	add("header-only.pcap", false, false, func(f [][]byte, ts []time.Time) ([]byte, int64) {
		return pcapBytes(t, 65535, nil, nil), 0
	})
	return ins
}

func readSourceFiles(t *testing.T, wh string) map[string]schema.DimSourceFile {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(wh, "dim_source_file", "*.parquet"))
	if len(files) == 0 {
		t.Fatal("no dim_source_file files")
	}
	out := map[string]schema.DimSourceFile{}
	for _, f := range files {
		rows, err := parquet.ReadFile[schema.DimSourceFile](f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out[r.Name] = r
		}
	}
	return out
}

func readLedger(t *testing.T, wh string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, line := range readLines(t, filepath.Join(wh, "_spanlake", "state", "ledger.jsonl")) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("ledger line %q: %v", line, err)
		}
		out[filepath.Base(e["path"].(string))] = e
	}
	return out
}

func withoutClients(log, prefix string) string {
	var keep []string
	for _, l := range strings.SplitAfter(log, "\n") {
		if l != "" && !strings.HasPrefix(l, prefix) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestMixedGoodAndDamagedFiles(t *testing.T) {
	good := filepath.Join(captureDir, "nginx-basic.pcap")
	goodData, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nginx-basic.pcap"), goodData, 0o644); err != nil {
		t.Fatal(err)
	}
	ins := badInputs(t)
	for _, in := range ins {
		if err := os.WriteFile(filepath.Join(dir, in.name), in.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	alone := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", alone, good)
	wantLog := spanlake(t, exitOK, "logs", "-w", alone)

	wh := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"spanlake", "ingest", "-w", wh, dir}, &stdout, &stderr)
	if code != exitBadInput {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitBadInput, stderr.String())
	}
	// Each damaged file is named on stderr with its offset; the others not.
	lines := strings.Split(stderr.String(), "\n")
	for _, in := range ins {
		named := slices.ContainsFunc(lines, func(l string) bool {
			return strings.Contains(l, in.name) && strings.Contains(l, "offset") && strings.Contains(l, "level=ERROR")
		})
		if named != in.damaged {
			t.Errorf("%s: named as damaged on stderr: %v, want %v", in.name, named, in.damaged)
		}
	}

	// Every good packet was ingested: the good capture renders as it does
	// alone, and each exchange before some damage is there.
	gotLog := spanlake(t, exitOK, "logs", "-w", wh)
	if withoutClients(gotLog, badClientNet) != wantLog {
		t.Errorf("the good capture's log differs from a run of it alone")
	}
	for _, in := range ins {
		has := strings.Contains(gotLog, "\"GET /bad/"+in.name+" HTTP/1.1\" 200 2 ")
		if has != (in.exchange != "") {
			t.Errorf("%s: exchange in the log: %v, want %v", in.name, has, in.exchange != "")
		}
	}

	srcs := readSourceFiles(t, wh)
	if s, ok := srcs["nginx-basic.pcap"]; !ok || s.Error != "" {
		t.Errorf("good capture in dim_source_file: %+v", s)
	}
	led := readLedger(t, wh)
	if e := led["nginx-basic.pcap"]; e == nil || e["result"] != "ok" {
		t.Errorf("good capture in the ledger: %v", e)
	}
	for _, in := range ins {
		s, ok := srcs[in.name]
		if !ok {
			t.Errorf("%s: not in dim_source_file", in.name)
			continue
		}
		if (s.Error != "") != in.damaged {
			t.Errorf("%s: dim_source_file.error %q", in.name, s.Error)
		}
		if in.damaged {
			if !strings.Contains(s.Error, in.name) || !strings.Contains(s.Error, fmt.Sprintf("offset %d", in.offset)) {
				t.Errorf("%s: dim_source_file.error %q does not name the file and offset %d", in.name, s.Error, in.offset)
			}
			if s.ErrorOffset != in.offset {
				t.Errorf("%s: error_offset %d, want %d", in.name, s.ErrorOffset, in.offset)
			}
		}
		e := led[in.name]
		wantResult := map[bool]string{true: "damaged", false: "ok"}[in.damaged]
		if e == nil || e["result"] != wantResult {
			t.Errorf("%s: ledger entry %v, want result %q", in.name, e, wantResult)
		} else if in.damaged && !strings.Contains(fmt.Sprint(e["error"]), "offset") {
			t.Errorf("%s: ledger error %q", in.name, e["error"])
		}
	}
}

// TestStrict: --strict stops at the first damaged file with exit code 3
// and commits nothing: the warehouse and the ledger keep their previous
// state, including the rows of good files read before the damage.
func TestStrict(t *testing.T) {
	good := filepath.Join(captureDir, "nginx-basic.pcap")
	rotated, _ := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	var bad badInput
	for _, in := range badInputs(t) {
		if in.name == "truncated.pcap" {
			bad = in
		}
	}
	badPath := filepath.Join(t.TempDir(), bad.name)
	if err := os.WriteFile(badPath, bad.data, 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	state := t.TempDir() // one key for the hashed secrets of every warehouse
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, "--state", state, good)
	before := tableFiles(t, wh)
	ledgerBefore, err := os.ReadFile(filepath.Join(state, "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, inputs := range [][]string{
		{badPath},                              // damaged after good packets of its own
		append([]string{badPath}, rotated...),  // good files after the damage
		append(slices.Clone(rotated), badPath), // good files before it in the list
		append(slices.Clone(rotated), text),    // unreadable file
		append(slices.Clone(rotated), text, badPath),
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"spanlake", "--log-level", "warn", "ingest", "--strict", "-w", wh, "--state", state}, inputs...), &stdout, &stderr)
		if code != exitBadInput {
			t.Fatalf("--strict %v: exit code %d, want %d\n%s", inputs, code, exitBadInput, stderr.String())
		}
		// --strict stops at the first damaged file it records (unreadable
		// ones come first), and whether a later damaged file was read
		// before that depends on timing: any damaged input may be named.
		named := false
		for _, in := range inputs {
			if (in == badPath || in == text) && strings.Contains(stderr.String(), filepath.Base(in)) {
				named = true
			}
		}
		if !named {
			t.Errorf("--strict: stderr does not name a damaged file:\n%s", stderr.String())
		}
		after := tableFiles(t, wh)
		if len(after) != len(before) {
			t.Errorf("--strict %v: %d table files, %d before", inputs, len(after), len(before))
		}
		for rel, b := range before {
			if !bytes.Equal(after[rel], b) {
				t.Errorf("--strict %v: %s changed", inputs, rel)
			}
		}
		if l, _ := os.ReadFile(filepath.Join(state, "ledger.jsonl")); !bytes.Equal(l, ledgerBefore) {
			t.Errorf("--strict %v: the ledger changed", inputs)
		}
	}
	// Without damage --strict changes nothing: the same warehouse as a run
	// without it.
	plain, strict := t.TempDir(), t.TempDir()
	spanlake(t, exitOK, append([]string{"ingest", "-w", plain, "--state", state, good}, rotated...)...)
	spanlake(t, exitOK, append([]string{"ingest", "--strict", "-w", strict, "--state", state, good}, rotated...)...)
	p, s := tableFiles(t, plain), tableFiles(t, strict)
	if len(p) != len(s) {
		t.Errorf("--strict without damage: %d files, %d without --strict", len(s), len(p))
	}
	for rel, b := range p {
		if !bytes.Equal(s[rel], b) {
			t.Errorf("--strict without damage: %s differs", rel)
		}
	}
}
