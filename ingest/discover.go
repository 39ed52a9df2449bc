package ingest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Expand turns the command line's PATH arguments (files, directories,
// globs) into a de-duplicated list of capture file paths. Directories are
// walked recursively; hidden files and our own temporary files are skipped.
func Expand(args []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("expand %q: %w", arg, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("expand %q: no file matches", arg)
			}
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("expand %q: %w", arg, err)
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			err = filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				name := d.Name()
				if p != m && strings.HasPrefix(name, ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() {
					add(p)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("expand %q: %w", arg, err)
			}
		}
	}
	return out, nil
}

// orderedFile is a capture file with the time of its first packet.
type orderedFile struct {
	path  string
	first time.Time
	empty bool
	err   error // the file could not be opened or read at all
}

// orderByFirstPacket sorts files into packet-time order, which is what makes
// a rotated set (capture.pcap, capture.pcap1, ..., or -G names) one stream.
// Ties and files without packets keep name order (natural order, so that
// "x.pcap10" follows "x.pcap9"). Unreadable files are kept, first, so their
// errors are reported.
func orderByFirstPacket(paths []string) []orderedFile {
	files := make([]orderedFile, len(paths))
	for i, p := range paths {
		ts, ok, err := firstPacketTime(p)
		files[i] = orderedFile{path: p, first: ts, empty: !ok, err: err}
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := files[i], files[j]
		if (a.err != nil) != (b.err != nil) {
			return a.err != nil
		}
		if !a.first.Equal(b.first) {
			return a.first.Before(b.first)
		}
		return naturalLess(a.path, b.path)
	})
	return files
}

// naturalLess compares strings with digit runs compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da != "" && db != "" {
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
