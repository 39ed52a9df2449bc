package schema

import (
	"bytes"
	"strings"
	"testing"
)

// TestDataDictionary: the committed DATA_DICTIONARY.md is the generated one
// (regenerate with go test ./schema -update), and lists every column.
func TestDataDictionary(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDictionary(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkGolden(t, "DATA_DICTIONARY.md", out)
	for _, tb := range Tables() {
		i := strings.Index(out, "\n## "+tb.Name+"\n")
		if i < 0 {
			t.Errorf("no section for %s", tb.Name)
			continue
		}
		sec := out[i+1:]
		if j := strings.Index(sec, "\n## "); j >= 0 {
			sec = sec[:j]
		}
		if !strings.Contains(sec, "Grain: "+tb.Grain+".") {
			t.Errorf("%s: grain missing", tb.Name)
		}
		for _, c := range tb.Columns() {
			null := "no"
			if c.Optional {
				null = "yes"
			}
			if !strings.Contains(sec, "| `"+c.Name+"` | ") || !strings.Contains(sec, " | "+null+" | "+mdCell(c.Doc)+" |\n") {
				t.Errorf("%s.%s: row missing or wrong", tb.Name, c.Name)
			}
		}
		if tb.Partitioned && !strings.Contains(sec, "| `date` | DATE |") {
			t.Errorf("%s: partition columns missing", tb.Name)
		}
	}
}

func TestDictionaryOneTable(t *testing.T) {
	tb, _ := Lookup("dim_url")
	var b bytes.Buffer
	if err := WriteDictionary(&b, tb); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "## fact_http_exchange") || !strings.Contains(b.String(), "## dim_url") {
		t.Error("WriteDictionary(w, dim_url) does not write only dim_url")
	}
	if got := mdCell("a|b\nc"); got != `a\|b c` {
		t.Errorf("mdCell = %q", got)
	}
}
