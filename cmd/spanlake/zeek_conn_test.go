package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spanlake/spanlake/schema"
)

// zeekConnFields are the conn.log columns compared with fact_tcp_connection.
var zeekConnFields = []string{"conn_state", "history", "orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "resp_pkts"}

// TestZeekConnConformance compares fact_tcp_connection with Zeek's conn.log
// baselines of the public corpus (TCP rows), connection by connection, on
// conn_state, history, orig_bytes/resp_bytes (Zeek counts by sequence
// numbers: spanlake's delivered bytes plus the bytes lost to gaps),
// missed_bytes and packet counts. Zeek's originator may be spanlake's
// server (it flips roles by its own rules), so both orientations are tried.
func TestZeekConnConformance(t *testing.T) {
	root := publicCorpusRoot(t)
	byBaseline := map[string][]string{}
	for exp, capture := range manifestCaptures(t, root) {
		if base := filepath.Base(exp); base == "conn.log" || base == "conn.log.cut" {
			byBaseline[exp] = capture
		}
	}
	var baselines []string
	for b := range byBaseline {
		baselines = append(baselines, b)
	}
	sort.Strings(baselines)
	var rows, rowsOK, fields, fieldsOK int
	var report []string
	for _, b := range baselines {
		wh := t.TempDir()
		for _, c := range byBaseline[b] {
			ingestCorpusCapture(t, wh, filepath.Join(root, c))
		}
		// spanlake's connections by 4-tuple (both orientations), several
		// per tuple when ports are reused; a cut baseline without the
		// 4-tuple is matched in time order ("#i").
		view := map[string][]zeekRow{}
		conns := readTable[schema.FactTCPConnection](t, wh, "fact_tcp_connection")
		sort.SliceStable(conns, func(i, j int) bool { return conns[i].FirstTS < conns[j].FirstTS })
		for i, c := range conns {
			r := zeekRow{"conn_state": c.ConnState, "history": c.History,
				"orig_bytes": strconv.FormatInt(c.OrigBytes+c.OrigMissedBytes, 10), "resp_bytes": strconv.FormatInt(c.RespBytes+c.RespMissedBytes, 10),
				"missed_bytes": strconv.FormatInt(c.OrigMissedBytes+c.RespMissedBytes, 10),
				"orig_pkts":    strconv.FormatInt(c.OrigPackets, 10), "resp_pkts": strconv.FormatInt(c.RespPackets, 10)}
			fwd := fmt.Sprintf("%s|%d|%s|%d", c.ClientIP, c.ClientPort, c.ServerIP, c.ServerPort)
			rev := fmt.Sprintf("%s|%d|%s|%d", c.ServerIP, c.ServerPort, c.ClientIP, c.ClientPort)
			view[fwd] = append(view[fwd], r)
			view[rev] = append(view[rev], r)
			view[fmt.Sprintf("#%d", i)] = []zeekRow{r}
		}
		used := map[*zeekRow]bool{}
		n := 0
		for _, z := range readZeekLog(t, filepath.Join(root, b)) {
			if z["proto"] != "" && z["proto"] != "tcp" {
				continue
			}
			key := strings.Join([]string{z["id.orig_h"], z["id.orig_p"], z["id.resp_h"], z["id.resp_p"]}, "|")
			if _, ok := z["id.orig_h"]; !ok {
				key = fmt.Sprintf("#%d", n)
			}
			n++
			// The unused connection of that tuple agreeing on most fields.
			var s zeekRow
			best := -1
			for i := range view[key] {
				c := &view[key][i]
				if used[c] {
					continue
				}
				agree := 0
				for _, f := range zeekConnFields {
					if w, ok := z[f]; ok && (*c)[f] == w {
						agree++
					}
				}
				if agree > best {
					best, s = agree, *c
				}
			}
			for i := range view[key] {
				if c := &view[key][i]; best >= 0 && fmt.Sprint(*c) == fmt.Sprint(s) && !used[c] {
					used[c] = true
					break
				}
			}
			rows++
			ok := true
			for _, f := range zeekConnFields {
				want, present := z[f]
				if !present {
					continue
				}
				fields++
				got := "<no connection>"
				if s != nil {
					got = s[f]
				}
				if want == "-" && got == "0" && strings.HasSuffix(f, "_bytes") {
					// Zeek leaves the byte counts unset on a connection it
					// never saw established; spanlake counts 0.
					want = "0"
				}
				if got == want {
					fieldsOK++
					continue
				}
				ok = false
				reason := zeekConnKnownDisagreements[b]
				if reason == "" {
					reason = "UNEXPLAINED"
					t.Errorf("%s %s %s: zeek %q spanlake %q", b, key, f, want, got)
				}
				report = append(report, fmt.Sprintf("%s %s %s: zeek %q spanlake %q (%s)", b, key, f, want, got, reason))
			}
			if ok {
				rowsOK++
			}
		}
	}
	for _, r := range report {
		t.Log(r)
	}
	t.Logf("overall: %d conn.log baselines, rows %d/%d, fields %d/%d", len(baselines), rowsOK, rows, fieldsOK, fields)
	if rows < 40 {
		t.Errorf("only %d conn.log rows compared: is the baseline reader broken?", rows)
	}
}

// zeekConnKnownDisagreements explains, per baseline, why a conn.log row
// differs from spanlake's connection.
var zeekConnKnownDisagreements = map[string]string{
	"zeek/Baseline/core.tunnels.teredo/conn.log": "Teredo clients that retry through relays: Zeek keeps a connection per " +
		"tunnel path and starts a new one for packets after a close it has logged (10 TCP rows, three for port 1576 and " +
		"three for 1577); spanlake keeps one per inner 4-tuple while the closed connection lingers, so retries are merged " +
		"into fewer rows with more packets",
	"zeek/Baseline/core.tunnels.gtp.outer_ip_frag/conn.log": "same letters, another order: Zeek records the content gap " +
		"(g) as its reassembler skips the hole, before the server's FIN; spanlake when the hole is given up, at the FIN",
	"zeek/Baseline/scripts.base.protocols.http.deeply-nested-mime/conn.log": "Zeek's history has an X (a letter its " +
		"newer versions add for an analyzer event) that spanlake's TCP history does not produce",
}
