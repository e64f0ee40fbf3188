package ramdisk_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

func BenchmarkParseSDI(b *testing.B) {
	raw := testutil.ReadFixture(b, "sdi/synthetic_bootsdi_layout.sdi")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ramdisk.ParseSDI(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSDI(b *testing.B) {
	part := make([]byte, 0x303C00) // the size of Windows' boot.sdi PART
	s, err := ramdisk.NewBootSDI(bytes.NewReader(part), int64(len(part)), &ramdisk.BootSDIOptions{PartitionType: 7})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(0x306000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBootOptions(b *testing.B) {
	const in = `/noguiboot /fastdetect /minint /rdexportascd /rdpath=\NETPE\NETPE.ISO /rdimageoffset=32256`
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ramdisk.ParseBootOptions(in, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDisk builds a 256 MiB image holding 200 MiB of files and
// writes it to io.Discard (SetBytes is the image size).
func BenchmarkWriteDisk(b *testing.B) {
	wim := randBytes(60, 200<<20)
	files := []ramdisk.File{ramdisk.FileBytes("bootmgr", wim[:400<<10]), ramdisk.FileBytes("Boot/BCD", wim[:16<<10]), ramdisk.FileBytes("sources/boot.wim", wim)}
	b.SetBytes(256 << 20)
	b.ReportAllocs()
	for b.Loop() {
		d, err := ramdisk.BuildDisk(files, &ramdisk.DiskOptions{Size: 256 << 20})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenDisk validates a 64 MiB image (every chain and directory).
func BenchmarkOpenDisk(b *testing.B) {
	d, err := ramdisk.BuildDisk([]ramdisk.File{ramdisk.FileBytes("sources/boot.wim", randBytes(61, 48<<20))}, &ramdisk.DiskOptions{Size: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	img := buf.Bytes()
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ramdisk.OpenDisk(bytes.NewReader(img), int64(len(img)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildDiskManyFiles is the adversarial shape: 1,000 files in one
// directory. Each add rewrites the directory and the FAT (go-diskfs), so
// the cost grows with the square of the file count.
func BenchmarkBuildDiskManyFiles(b *testing.B) {
	var files []ramdisk.File
	for i := range 1000 {
		files = append(files, ramdisk.FileBytes(fmt.Sprintf("drivers/driver-file-%04d.sys", i), []byte(strings.Repeat("x", i))))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ramdisk.BuildDisk(files, &ramdisk.DiskOptions{Size: 64 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
