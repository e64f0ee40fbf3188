package inf_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/inf"
)

// largeSIF builds a txtsetup.sif-shaped document of about n lines: a
// [SourceDisksFiles] section, a [HardwareIdsDatabase] section and a few
// small ones after them.
func largeSIF(n int) []byte {
	var sb strings.Builder
	sb.WriteString("[Version]\r\nSignature = \"$Windows NT$\"\r\n\r\n[SourceDisksFiles]\r\n")
	for i := range n / 2 {
		fmt.Fprintf(&sb, "f%05d.sys = 1,,,,,,4_,4,1,,,1,4\r\n", i)
	}
	sb.WriteString("\r\n[HardwareIdsDatabase]\r\n")
	for i := range n / 2 {
		fmt.Fprintf(&sb, "PCI\\VEN_%04X&DEV_0001 = \"f%05d\"\r\n", i, i)
	}
	sb.WriteString("; end of the IDs\r\n\r\n[SCSI.Load]\r\n[SCSI]\r\n[Strings]\r\ncd = \"Setup CD\"\r\n")
	return []byte(sb.String())
}

// BenchmarkAppendManyLines parses a 40,000-line txtsetup.sif-shaped file,
// appends k hardware-ID lines one AppendLine at a time (as sif does for a
// txtsetup.oem option), asks for the last one's line number and writes the
// document. MB/s is over the bytes written; cpu-ms/op is the process's CPU
// time per iteration, steadier than ns/op when other work shares the
// machine.
func BenchmarkAppendManyLines(b *testing.B) {
	data := largeSIF(40000)
	for _, k := range []int{1000, 4000, 50000} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			texts := make([]string, k)
			size := len(data)
			for i := range texts {
				texts[i] = fmt.Sprintf(`PCI\VEN_1AF4&DEV_%04X&SUBSYS_%08X = "viostor"`, i%0x10000, i)
				size += len(texts[i]) + 2
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				d, err := inf.Parse(data, nil)
				if err != nil {
					b.Fatal(err)
				}
				sec := d.Section("HardwareIdsDatabase")
				var last *inf.Line
				for _, t := range texts {
					if last, err = sec.AppendLine(t); err != nil {
						b.Fatal(err)
					}
				}
				if last.Number() != 40000+6+k {
					b.Fatalf("last line at %d", last.Number())
				}
				if len(d.Bytes()) != size {
					b.Fatalf("%d bytes written, want %d", len(d.Bytes()), size)
				}
			}
			// Wall time on a shared machine overstates the cost; CPU
			// time (all threads, GC included) shows the work done.
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
