package ingest

import (
	"sort"
	"testing"
)

func TestNaturalLess(t *testing.T) {
	got := []string{"cap.pcap10", "cap.pcap2", "cap.pcap", "cap.pcap1", "cap-2026-11-24T10.pcap", "cap.pcap0"}
	sort.Slice(got, func(i, j int) bool { return naturalLess(got[i], got[j]) })
	want := []string{"cap-2026-11-24T10.pcap", "cap.pcap", "cap.pcap0", "cap.pcap1", "cap.pcap2", "cap.pcap10"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
