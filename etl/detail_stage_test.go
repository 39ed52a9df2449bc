package etl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestDetailStageFailureReachesCaller: when the detail goroutine cannot
// buffer a row (here: its spill directory is gone, so a spill fails), the
// sink reports it, from a later add or at the latest from Commit, and
// Commit writes nothing.
func TestDetailStageFailureReachesCaller(t *testing.T) {
	root := t.TempDir()
	w, err := OpenWarehouse(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.SetMemoryBudget(16 << 10)
	if err := os.RemoveAll(filepath.Join(root, MetaDir)); err != nil {
		t.Fatal(err)
	}
	var addErr error
	for _, ex := range testExchanges(2000) {
		if addErr = w.details.add(partitionOf(1, timeOfMicros(ex[0].RequestTS)), detailRows{headers: []headerBlock{ex.block()}}); addErr != nil {
			break
		}
	}
	commitErr := w.Commit()
	if commitErr == nil {
		t.Fatalf("Commit succeeded after the detail rows could not be spilled (add error: %v)", addErr)
	}
	if addErr != nil && !errors.Is(addErr, commitErr) && addErr.Error() != commitErr.Error() && !errors.Is(addErr, errDetailStage) {
		t.Errorf("add reported %v, Commit %v", addErr, commitErr)
	}
	if _, err := os.Stat(filepath.Join(root, "http_header")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("http_header written after a failed run: %v", err)
	}
	if err := w.Rollback(); err != nil {
		t.Errorf("Rollback: %v", err)
	}
}

// TestDetailStageKeepsOrder: rows handed over in many batches reach each
// table in the order they were added (the files depend on it).
func TestDetailStageKeepsOrder(t *testing.T) {
	w, err := OpenWarehouse(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	exs := testExchanges(3 * detailBatch)
	want := 0
	for _, ex := range exs {
		if err := w.details.add(partitionOf(1, timeOfMicros(ex[0].RequestTS)), detailRows{headers: []headerBlock{ex.block()}}); err != nil {
			t.Fatal(err)
		}
		want++ // one block per exchange
	}
	if err := w.details.finish(); err != nil {
		t.Fatal(err)
	}
	buffered := 0
	for _, b := range w.headers.parts {
		buffered += len(b.entries)
	}
	if buffered != want {
		t.Fatalf("%d header blocks buffered, want %d", buffered, want)
	}
	// Per partition, the buffered keys are the added blocks', in order.
	wantKeys := map[partition][]recKey{}
	for _, ex := range exs {
		p := partitionOf(1, timeOfMicros(ex[0].RequestTS))
		wantKeys[p] = append(wantKeys[p], recKey{ts: ex[0].RequestTS, id: ex[0].ExchangeID})
	}
	if len(wantKeys) < 2 || len(w.headers.parts) != len(wantKeys) {
		t.Fatalf("%d partitions buffered, want %d (and at least 2)", len(w.headers.parts), len(wantKeys))
	}
	for p, keys := range wantKeys {
		b := w.headers.parts[p]
		if b == nil || len(b.entries) != len(keys) {
			t.Fatalf("partition %v: buffer %v, want %d blocks", p, b, len(keys))
		}
		for i, e := range b.entries {
			if e.key != keys[i] {
				t.Fatalf("partition %v row %d: key %+v, want %+v", p, i, e.key, keys[i])
			}
		}
	}
}
