package peimage_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/winbootkit/winbootkit/peimage"
)

const benchSize = 256 << 20

var (
	benchOnce sync.Once
	benchData []byte
)

// benchBuffer is 256 MiB of binary-looking bytes: random, with a third of
// the bytes zero, and the strings the benchmarks look for planted every
// 16 MiB.
func benchBuffer() []byte {
	benchOnce.Do(func() {
		rng := rand.NewChaCha8([32]byte{1})
		b := make([]byte, benchSize)
		_, _ = rng.Read(b)
		for i := 0; i < len(b); i += 3 {
			b[i] = 0
		}
		for off := 1 << 20; off+64 < len(b); off += 16 << 20 {
			copy(b[off:], "bootmgr.exe\x00")
			copy(b[off+32:], utf16(`\Boot\BCD`))
		}
		benchData = b
	})
	return benchData
}

var sink uint32

// BenchmarkChecksum256MB hashes 256 MiB in one Write.
func BenchmarkChecksum256MB(b *testing.B) {
	data := benchBuffer()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c := peimage.NewChecksum(0xd8)
		c.Write(data)
		sink = c.Sum32()
	}
}

// BenchmarkChecksumStream256MB hashes 256 MiB in odd-sized 4 KiB-ish
// writes, as from an io.Copy of a file.
func BenchmarkChecksumStream256MB(b *testing.B) {
	data := benchBuffer()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c := peimage.NewChecksum(0xda)
		for off := 0; off < len(data); off += 4093 {
			c.Write(data[off:min(off+4093, len(data))])
		}
		sink = c.Sum32()
	}
}

func benchFind(b *testing.B, s string, opts *peimage.FindOptions) {
	img, err := peimage.Parse(benchBuffer(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(img.Size())
	b.ReportAllocs()
	for b.Loop() {
		m, err := img.Find(s, opts)
		if err != nil || len(m) == 0 {
			b.Fatal(len(m), err)
		}
	}
}

// BenchmarkFindBoth256MB looks for a string as ASCII and as UTF-16LE.
func BenchmarkFindBoth256MB(b *testing.B) {
	benchFind(b, `\Boot\BCD`, &peimage.FindOptions{Encoding: peimage.Both})
}

// BenchmarkFindBothIgnoreCase256MB does the same, folding ASCII letters.
func BenchmarkFindBothIgnoreCase256MB(b *testing.B) {
	benchFind(b, `\BOOT\bcd`, &peimage.FindOptions{Encoding: peimage.Both, IgnoreCase: true})
}

// BenchmarkFindASCIIIgnoreCaseLetters256MB folds a pattern made only of
// letters (no non-letter anchor byte).
func BenchmarkFindASCIIIgnoreCaseLetters256MB(b *testing.B) {
	benchFind(b, "BOOTMGR", &peimage.FindOptions{Encoding: peimage.ASCII, IgnoreCase: true})
}

// BenchmarkParseGoPE parses a Go-built PE32+ (about 1.4 MB).
func BenchmarkParseGoPE(b *testing.B) {
	data := goPE(b, "amd64")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := peimage.Parse(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplaceGoPE applies the two PE 2.0 edits and the checksum to a
// fresh parse of a Go-built PE32+ each time.
func BenchmarkReplaceGoPE(b *testing.B) {
	data := goPE(b, "amd64")
	edits := []peimage.Edit{
		{Old: asciiMgr, New: "testmgr.exe", Encoding: peimage.ASCII},
		{Old: wideBCD, New: `\Test\BCD`, Encoding: peimage.UTF16LE},
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		img, err := peimage.Parse(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := img.Replace(edits, nil); err != nil {
			b.Fatal(err)
		}
	}
}
