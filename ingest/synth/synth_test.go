package synth

import (
	"bytes"
	"testing"
)

func TestDeterministic(t *testing.T) {
	for _, shape := range []Shape{Large, Small} {
		var a, b bytes.Buffer
		sa, err := Write(&a, Config{Shape: shape, Seed: 7, TargetBytes: 2 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Write(&b, Config{Shape: shape, Seed: 7, TargetBytes: 2 << 20}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: same seed, different captures", shape)
		}
		if sa.Bytes != int64(a.Len()) || sa.Bytes < 2<<20 || sa.Exchanges == 0 {
			t.Errorf("%s: stats %+v for %d bytes", shape, sa, a.Len())
		}
	}
}
