package sif_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

func benchApply(b *testing.B, sifBytes []byte, s *sif.Slipstream) {
	b.SetBytes(int64(len(sifBytes)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := sif.Parse(sifBytes, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ApplySIF(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlipstreamApply: parse ReactOS' txtsetup.sif and slipstream
// viostor into it (a trial run on a copy, then the edit).
func BenchmarkSlipstreamApply(b *testing.B) {
	benchApply(b, testutil.ReadFixture(b, "inf/reactos/txtsetup.sif"),
		newSlip(b, loadOEM(b, "inf/virtio-win/txtsetup-i386.oem"), nil))
}

// BenchmarkSlipstreamApplyLargeSIF: a 40,000-line txtsetup.sif (adversarial:
// twenty times Windows Server 2003's), where each inserted line costs a
// pass over the document.
func BenchmarkSlipstreamApplyLargeSIF(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[SourceDisksNames.x86]\r\n1 = \"CD\",tag,,\\i386\r\n[SourceDisksFiles.x86]\r\n")
	for i := range 20000 {
		fmt.Fprintf(&sb, "f%05d.sys = 1,,,,,,4_,4,1,,,1,4\r\n", i)
	}
	sb.WriteString("[HardwareIdsDatabase]\r\n")
	for i := range 20000 {
		fmt.Fprintf(&sb, "PCI\\VEN_%04X&DEV_0001 = \"f%05d\"\r\n", i, i)
	}
	sb.WriteString("[SCSI.Load]\r\n[SCSI]\r\n[FileFlags]\r\n")
	benchApply(b, []byte(sb.String()), newSlip(b, loadOEM(b, "inf/virtio-win/txtsetup-i386.oem"), nil))
}

// BenchmarkSlipstreamManyIDs: an option with 1,000 hardware IDs into
// ReactOS' txtsetup.sif.
func BenchmarkSlipstreamManyIDs(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(oemText("a.sys", "a"))
	for i := range 1000 {
		fmt.Fprintf(&sb, "id = \"PCI\\VEN_1234&DEV_%04X\", \"a\"\r\n", i)
	}
	benchApply(b, testutil.ReadFixture(b, "inf/reactos/txtsetup.sif"), newSlip(b, parseOEM(b, sb.String()), nil))
}

// BenchmarkBuildSetupHive: ReactOS' hivesys.inf and setupreg.inf into a
// new setup hive, serialized.
func BenchmarkBuildSetupHive(b *testing.B) {
	docs := reactosDocs(b, "hivesys.inf", "setupreg.inf")
	n := 0
	for _, d := range docs {
		n += len(d.Bytes())
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		h, _, err := sif.BuildSetupHive(nil, docs...)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyHive: viostor's values into that setup hive (a trial on a
// copy of the hive, then the edit).
func BenchmarkApplyHive(b *testing.B) {
	h, _, err := sif.BuildSetupHive(nil, reactosDocs(b, "hivesys.inf", "setupreg.inf")...)
	if err != nil {
		b.Fatal(err)
	}
	s := newSlip(b, loadOEM(b, "inf/virtio-win/txtsetup-i386.oem"), nil)
	base := h.Bytes()
	b.SetBytes(int64(len(base)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c, err := hiveParse(base)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.ApplyHive(c, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnifiedDiff(b *testing.B) {
	orig := testutil.ReadFixture(b, "inf/reactos/hivesys.inf")
	doc, err := inf.Parse(orig, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := newSlip(b, loadOEM(b, "inf/virtio-win/txtsetup-i386.oem"), nil).ApplyHiveINF(doc); err != nil {
		b.Fatal(err)
	}
	edited := doc.Bytes()
	b.SetBytes(int64(len(orig) + len(edited)))
	b.ReportAllocs()
	for b.Loop() {
		if sif.UnifiedDiff("a", "b", orig, edited) == nil {
			b.Fatal("no diff")
		}
	}
}

// BenchmarkWriteCabinet: a 256 KiB driver-like file as F.sy_.
func BenchmarkWriteCabinet(b *testing.B) {
	data := bytes.Repeat([]byte("MZ\x90\x00driver code and data \x00\x01\x02\x03"), 256<<10/32)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	mt := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := sif.WriteCabinet(io.Discard, "viostor.sys", data, mt); err != nil {
			b.Fatal(err)
		}
	}
}
