package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirState maps the names in dir to their content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// checkTemp asserts that, mid-write, dir holds exactly one temporary file
// for name, following the one naming convention, next to the old files.
func checkTemp(t *testing.T, dir, name string, old map[string]string) {
	t.Helper()
	var temps []string
	for n := range dirState(t, dir) {
		if IsTemp(n) {
			temps = append(temps, n)
		} else if _, ok := old[n]; !ok {
			t.Errorf("unexpected visible file %s while writing", n)
		}
	}
	if len(temps) != 1 || !strings.HasPrefix(temps[0], TempPrefix+name+"-") {
		t.Errorf("temporary files while writing %s: %v, want one %s%s-*", name, temps, TempPrefix, name)
	}
}

func TestWriteAndCreate(t *testing.T) {
	errFill := errors.New("fill failed")
	type step int
	const (
		commit step = iota
		abort
		failFill
	)
	cases := []struct {
		name     string
		old      string // content of the file before, "" for none
		perm     fs.FileMode
		stream   bool // Create/Write/Commit|Abort instead of Write
		step     step
		wantFile string // content after, "" for none
	}{
		{"write new", "", 0o640, false, commit, "new"},
		{"write replaces", "old", 0o600, false, commit, "new"},
		{"fill error, no old file", "", 0o640, false, failFill, ""},
		{"fill error keeps old", "old", 0o640, false, failFill, "old"},
		{"commit new", "", 0o644, true, commit, "new"},
		{"commit replaces", "old", 0o640, true, commit, "new"},
		{"abort, no old file", "", 0o644, true, abort, ""},
		{"abort keeps old", "old", 0o644, true, abort, "old"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			const name = "part-1.parquet"
			p := filepath.Join(dir, name)
			if c.old != "" {
				if err := os.WriteFile(p, []byte(c.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := dirState(t, dir)
			var err error
			if c.stream {
				var f *File
				if f, err = Create(dir, name, c.perm); err != nil {
					t.Fatal(err)
				}
				io.WriteString(f, "ne")
				io.WriteString(f, "w")
				checkTemp(t, dir, name, before)
				if got := dirState(t, dir)[name]; got != c.old {
					t.Errorf("%s before commit = %q, want the old %q", name, got, c.old)
				}
				if c.step == commit {
					err = f.Commit()
				} else {
					err = f.Abort()
				}
				if aerr := f.Abort(); aerr != nil {
					t.Errorf("Abort after the end: %v", aerr)
				}
				if _, werr := f.Write([]byte("x")); werr == nil {
					t.Error("Write after the end succeeded")
				}
			} else {
				err = Write(dir, name, c.perm, func(w io.Writer) error {
					checkTemp(t, dir, name, before)
					io.WriteString(w, "new")
					if c.step == failFill {
						return errFill
					}
					return nil
				})
			}
			if c.step == failFill {
				if !errors.Is(err, errFill) {
					t.Errorf("err = %v, want the fill error", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			after := dirState(t, dir)
			want := map[string]string{}
			if c.wantFile != "" {
				want[name] = c.wantFile
			}
			if len(after) != len(want) || after[name] != want[name] {
				t.Errorf("directory after = %v, want %v", after, want)
			}
			if c.step == commit {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != c.perm {
					t.Errorf("mode %v, want %v", st.Mode().Perm(), c.perm)
				}
			}
		})
	}
}

func TestMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	if err := Write(dir, "x", 0o640, func(io.Writer) error { return nil }); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
	if _, err := Create(dir, "x", 0o640); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

func TestIsTemp(t *testing.T) {
	cases := []struct {
		name string
		want bool
	}{
		{".tmp-part-1.parquet-123456", true},
		{".tmp-spill-99.run", true},
		{"part-1.parquet", false},
		{".hidden", false},
		{"tmp-part", false},
		{"", false},
	}
	for _, c := range cases {
		if got := IsTemp(c.name); got != c.want {
			t.Errorf("IsTemp(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Error(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("SyncDir of a missing directory succeeded")
	}
}

// TestRemoveTemps: temporary files anywhere in the tree go, everything
// else stays; a missing root is fine.
func TestRemoveTemps(t *testing.T) {
	root := t.TempDir()
	files := map[string]bool{ // path → kept
		"a.parquet":                 true,
		".hidden":                   true,
		"x/.tmp-part-1.parquet-123": false,
		"x/y/.tmp-access.log.gz-9":  false,
		"x/y/access.log.gz":         true,
		".tmp-top-level-1":          false,
		"x/tmp-not-ours":            true,
	}
	for rel := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveTemps(root); err != nil {
		t.Fatal(err)
	}
	for rel, kept := range files {
		_, err := os.Stat(filepath.Join(root, rel))
		if exists := err == nil; exists != kept {
			t.Errorf("%s: exists %v, want %v", rel, exists, kept)
		}
	}
	if err := RemoveTemps(filepath.Join(root, "missing")); err != nil {
		t.Errorf("missing root: %v", err)
	}
}
