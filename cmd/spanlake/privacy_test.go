package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

func readTableRows[T any](t *testing.T, wh, table string) []T {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(wh, table, "*", "*", "*.parquet"))
	var rows []T
	for _, f := range files {
		r, err := parquet.ReadFile[T](f)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	return rows
}

// TestPrivacyByDefault: credentials in Authorization headers are stored as
// keyed hashes (the scheme kept), the key is created with mode 0600, output
// files are 0640, and --keep-secrets stores them as sent.
func TestPrivacyByDefault(t *testing.T) {
	pcap := filepath.Join(captureDir, "nginx-basic.pcap")
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, pcap)
	auth := 0
	for _, h := range readTableRows[schema.HTTPHeader](t, wh, "http_header") {
		if h.NameLower != "authorization" {
			continue
		}
		auth++
		if !strings.HasPrefix(h.Value, "Basic hmac-sha256:") {
			t.Errorf("Authorization stored as %q", h.Value)
		}
	}
	if auth == 0 {
		t.Fatal("the capture has Basic-auth requests, no Authorization header found")
	}
	st, err := os.Stat(filepath.Join(wh, "_spanlake", "state", "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v", err, st.Mode().Perm())
	}
	files, _ := filepath.Glob(filepath.Join(wh, "fact_http_exchange", "*", "*", "*.parquet"))
	for _, f := range files {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o640 {
			t.Errorf("%s has mode %v, want 0640", f, st.Mode().Perm())
		}
	}
	// The user name stays (it is what %u / $remote_user log).
	if out := spanlake(t, exitOK, "logs", "-w", wh); !strings.Contains(out, " - alice [") {
		t.Error("the Basic-auth user name is not in the log")
	}

	kept := t.TempDir()
	spanlake(t, exitOK, "ingest", "--keep-secrets", "-w", kept, pcap)
	for _, h := range readTableRows[schema.HTTPHeader](t, kept, "http_header") {
		if h.NameLower == "authorization" && strings.Contains(h.Value, "hmac-sha256:") {
			t.Errorf("--keep-secrets stored %q", h.Value)
		}
	}
}
