package inf_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func benchParse(b *testing.B, data []byte, opts *inf.ReadOptions) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inf.Parse(data, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHivesys parses ReactOS' hivesys.inf (199 KB, 2,728 lines,
// continuations, UTF-8).
func BenchmarkParseHivesys(b *testing.B) {
	benchParse(b, testutil.ReadFixture(b, "inf/reactos/hivesys.inf"), nil)
}

// BenchmarkParseUTF16 parses the UTF-16LE netvadapter.inf.
func BenchmarkParseUTF16(b *testing.B) {
	benchParse(b, testutil.ReadFixture(b, "inf/wds/netvadapter.inf"), nil)
}

// BenchmarkParseFixtures parses every INF-family fixture once per
// iteration; MB/s is over their total size.
func BenchmarkParseFixtures(b *testing.B) {
	var files [][]byte
	var opts []*inf.ReadOptions
	total := 0
	for _, dir := range []string{"inf/reactos", "inf/virtio-win", "inf/wds"} {
		for _, p := range testutil.Fixtures(b, dir, "*") {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, data)
			opts = append(opts, optsFor(p))
			total += len(data)
		}
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for i, f := range files {
			if _, err := inf.Parse(f, opts[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseManySections is an adversarial shape: 50,000 sections
// with one entry each.
func BenchmarkParseManySections(b *testing.B) {
	var sb strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&sb, "[Section%d]\r\nkey=value%d\r\n", i, i)
	}
	benchParse(b, []byte(sb.String()), nil)
}

// BenchmarkParseLongContinuation: one entry continued over 10,000 lines.
func BenchmarkParseLongContinuation(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[S]\r\nk=")
	for range 9999 {
		sb.WriteString("\"item\", \\\r\n")
	}
	sb.WriteString("\"last\"\r\n")
	benchParse(b, []byte(sb.String()), nil)
}

// BenchmarkSubstitute reads every field of hivesys.inf with substitution.
func BenchmarkSubstitute(b *testing.B) {
	data := testutil.ReadFixture(b, "inf/reactos/hivesys.inf")
	d, err := inf.Parse(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for l := range d.Lines() {
			_ = l.Fields()
		}
	}
}

// BenchmarkWriteEdited edits DriverVer in hivesys.inf-sized input and
// writes the document.
func BenchmarkWriteEdited(b *testing.B) {
	data := testutil.ReadFixture(b, "inf/reactos/hivesys.inf")
	d, err := inf.Parse(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	l := d.Section("AddReg").Entries()[0]
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := l.SetField(4, fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
		_ = d.Bytes()
	}
}

// BenchmarkParseApplyHivesys parses hivesys.inf and applies its [AddReg]
// to a MemRegistry, as the bench suite's "parse + apply" case does.
func BenchmarkParseApplyHivesys(b *testing.B) {
	data := testutil.ReadFixture(b, "inf/reactos/hivesys.inf")
	opts := &inf.ApplyOptions{Roots: map[string]string{`HKLM\SYSTEM`: ""}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := inf.Parse(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := inf.ApplyHiveINF(inf.NewMemRegistry(), opts, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDriverNetrtwlans works out the driver of netrtwlans.inf (UTF-16,
// 36 KB) for amd64 on a parsed document.
func BenchmarkDriverNetrtwlans(b *testing.B) {
	data := testutil.ReadFixture(b, "inf/wds/netrtwlans.inf")
	d, err := inf.Parse(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	o := inf.OS{Arch: inf.AMD64, Major: 10, Build: 19041}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Driver(o); err != nil {
			b.Fatal(err)
		}
	}
}
