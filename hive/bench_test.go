package hive_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// buildSynthetic writes the benchmark hive: 200 groups of 1,000 keys, each
// key with five values (two DWORDs, a short string and a short binary, all
// stored inline, and a QWORD), that is 200,201 keys and 1,000,000 values.
func buildSynthetic(tb testing.TB) []byte {
	tb.Helper()
	h, err := hive.New("SYNTHETIC", hive.Version15, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for g := range 200 {
		grp, err := h.Root().CreateKey(fmt.Sprintf("group%03d", g))
		if err != nil {
			tb.Fatal(err)
		}
		for i := range 1000 {
			k, err := grp.CreateKey(fmt.Sprintf("k%05d", i))
			if err != nil {
				tb.Fatal(err)
			}
			for _, set := range []error{
				k.SetDWord("a", uint32(i)),
				k.SetDWord("b", uint32(g)),
				k.SetValue("c", hive.String, []byte{'x', 0, 0, 0}),
				k.SetQWord("d", uint64(i)<<32|uint64(g)),
				k.SetBinary("e", []byte{byte(i), byte(g), 1, 2}),
			} {
				if set != nil {
					tb.Fatal(set)
				}
			}
		}
	}
	return h.Bytes()
}

var synthetic = sync.OnceValues(func() ([]byte, error) {
	p := filepath.Join(os.TempDir(), "winbootkit-hive-synthetic.hiv")
	if b, err := os.ReadFile(p); err == nil {
		if h, err := hive.Parse(b, nil); err == nil && h.Root().Name() == "SYNTHETIC" {
			return b, nil
		}
	}
	var tb testing.B
	b := buildSynthetic(&tb)
	return b, os.WriteFile(p, b, 0o644)
})

// walkCount opens b and reads every key and every value's data.
func walkCount(b []byte) (keys, values int, err error) {
	h, err := hive.Parse(b, nil)
	if err != nil {
		return 0, 0, err
	}
	var buf []byte
	var visit func(k *hive.Key) error
	visit = func(k *hive.Key) error {
		keys++
		for v, err := range k.Values() {
			if err != nil {
				return err
			}
			if buf, err = v.AppendData(buf[:0]); err != nil {
				return err
			}
			values++
		}
		for c, err := range k.Subkeys() {
			if err != nil {
				return err
			}
			if err := visit(c); err != nil {
				return err
			}
		}
		return nil
	}
	return keys, values, visit(h.Root())
}

// peakHeap runs fn while sampling the heap, and returns the largest
// HeapAlloc seen above the level before fn.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
				peak.Store(m.HeapAlloc - base)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}

func benchWalk(b *testing.B, in []byte) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var keys, values int
	for b.Loop() {
		var err error
		if keys, values, err = walkCount(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(keys), "keys")
	b.ReportMetric(float64(values), "values")
	b.StopTimer()
	peak := peakHeap(func() {
		if _, _, err := walkCount(in); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(peak)/float64(len(in)), "peak-heap/file")
}

// BenchmarkParseWalkAmcache opens regipy's amcache.hve (2 MB, the largest
// fixture) and reads every key and value.
func BenchmarkParseWalkAmcache(b *testing.B) {
	benchWalk(b, testutil.ReadFixture(b, "hive/regipy_amcache.hve"))
}

// BenchmarkParseWalkSynthetic opens the synthetic hive (200,200 keys,
// 1,000,000 values) and reads every key and value.
func BenchmarkParseWalkSynthetic(b *testing.B) {
	in, err := synthetic()
	if err != nil {
		b.Fatal(err)
	}
	benchWalk(b, in)
}

// BenchmarkWriteCreate100k creates 100,000 keys (100 parents of 1,000) in a
// new hive and serializes it.
func BenchmarkWriteCreate100k(b *testing.B) {
	b.ReportAllocs()
	var size int
	for b.Loop() {
		h, err := hive.New("ROOT", hive.Version15, nil)
		if err != nil {
			b.Fatal(err)
		}
		for p := range 100 {
			parent, err := h.Root().CreateKey(fmt.Sprintf("parent%03d", p))
			if err != nil {
				b.Fatal(err)
			}
			for i := range 1000 {
				if _, err := parent.CreateKey(fmt.Sprintf("key%04d", i)); err != nil {
					b.Fatal(err)
				}
			}
		}
		size = len(h.Bytes())
	}
	b.SetBytes(int64(size))
	b.ReportMetric(float64(size), "file-bytes")
}

// BenchmarkLookupWide100k looks up keys among 100,000 subkeys of one key
// (one ri list over lh leaves).
func BenchmarkLookupWide100k(b *testing.B) {
	h, err := hive.New("ROOT", hive.Version15, nil)
	if err != nil {
		b.Fatal(err)
	}
	wide, _ := h.Root().CreateKey("Wide")
	for i := range 100000 {
		if _, err := wide.CreateKey(fmt.Sprintf("k%06d", (i*7919)%100000)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := wide.Subkey(fmt.Sprintf("K%06d", i%100000)); err != nil {
			b.Fatal(err)
		}
		i += 7
	}
}

// BenchmarkDeep512 creates a 512-deep key path and opens it.
func BenchmarkDeep512(b *testing.B) {
	path := ""
	for i := range 512 {
		if i > 0 {
			path += `\`
		}
		path += "d"
	}
	b.ReportAllocs()
	for b.Loop() {
		h, err := hive.New("ROOT", hive.Version15, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := h.CreateKey(path); err != nil {
			b.Fatal(err)
		}
		if _, err := h.OpenKey(path); err != nil {
			b.Fatal(err)
		}
	}
}
