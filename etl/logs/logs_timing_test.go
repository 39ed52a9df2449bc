package logs

import (
	"math/rand"
	"testing"
	"time"
)

func BenchmarkFormatAppend(b *testing.B) {
	r := testRecords()[0].rec
	for _, spec := range []string{"combined", "apache:combined", "nginx:escape=json $request $http_user_agent", "w3c", "json"} {
		f, err := Compile(spec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(spec, func(b *testing.B) {
			b.ReportAllocs()
			var line []byte
			for i := 0; i < b.N; i++ {
				line = f.Append(line[:0], &r, time.UTC)
			}
			b.SetBytes(int64(len(line)))
		})
	}
}

// BenchmarkRender measures the streaming merge and rendering of 20,000
// exchanges in 4 captures.
func BenchmarkRender(b *testing.B) {
	root := b.TempDir()
	rng := rand.New(rand.NewSource(3))
	for c := 0; c < 4; c++ {
		name := string(rune('a' + c))
		writeFacts(b, root, name, randomFacts(rng, 5000, name))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Render(root, Options{Format: "combined"}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
