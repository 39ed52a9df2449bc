package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// manifestEntry is one row of the capture table of the public corpus's
// MANIFEST.md: a capture and its expected-output files (paths relative to
// the corpus root).
type manifestEntry struct {
	capture  string
	expected []string
}

// readManifest reads the capture table in order. Its rows are the ones
// whose second column is a path (the header row's is a title; the other
// tables have fewer columns).
func readManifest(t *testing.T, root string) []manifestEntry {
	t.Helper()
	var out []manifestEntry
	for _, line := range readLines(t, filepath.Join(root, "MANIFEST.md")) {
		cols := strings.Split(line, " | ")
		if len(cols) <= 10 || !strings.Contains(cols[1], "/") || strings.Contains(cols[1], " ") {
			continue
		}
		out = append(out, manifestEntry{capture: cols[1], expected: strings.Split(cols[8], "<br>")})
	}
	return out
}

// manifestCaptures maps each expected-output file to the captures it
// covers, in manifest order (a multi-trace btest lists one baseline under
// several captures; everything else has one).
func manifestCaptures(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, e := range readManifest(t, root) {
		for _, exp := range e.expected {
			out[exp] = append(out[exp], e.capture)
		}
	}
	return out
}
