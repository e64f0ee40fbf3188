package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/winbootkit/winbootkit/ramdisk"
)

// The ramdisk suite: building a 1 GiB memdisk image (MBR + FAT32 partition
// at 1 MiB) holding a WinPE file set, ours against mformat + mcopy.
//
// The files are generated once in the work directory: bootmgr (400 KiB),
// Boot/BCD (16 KiB), Boot/boot.sdi (3 MiB) and sources/boot.wim (512 MiB),
// all random data. The peer is timed as one shell pipeline (sh -c): remove
// the old image, truncate a new 1 GiB file, mformat a FAT32 volume at the
// 1 MiB offset with the same geometry, mmd the directories, mcopy the files.
// It writes no partition table (mtools' mformat cannot); ours does, which
// costs one sector. Cases:
//
//   - "1 GiB image": ours removes the previous image and writes the new one
//     to a new file with ramdisk.DiskImage.Write (sparse, no fsync), like the
//     pipeline.
//   - "1 GiB image, durable": ours is DiskImage.Save (temporary file, fsync,
//     rename); the peer pipeline ends with "sync FILE" (an fsync).

func init() { register("ramdisk", benchRamdisk) }

var ramdiskBenchFiles = []struct {
	path string
	size int64
}{
	{"bootmgr", 400 << 10},
	{"Boot/BCD", 16 << 10},
	{"Boot/boot.sdi", 3 << 20},
	{"sources/boot.wim", 512 << 20},
}

const (
	ramdiskBenchSize  = 1 << 30
	ramdiskBenchStart = 2048
)

func benchRamdisk(e *Env) ([]Result, error) {
	tree := filepath.Join(e.Work, "tree")
	var total int64
	for i, f := range ramdiskBenchFiles {
		p := filepath.Join(tree, filepath.FromSlash(f.path))
		if fi, err := os.Stat(p); err == nil && fi.Size() == f.size {
			total += f.size
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := writeRandomFile(p, f.size, uint64(i)); err != nil {
			return nil, err
		}
		total += f.size
	}
	fmt.Fprintf(e.Log, "ramdisk: %d MiB of files in a %d MiB image\n", total>>20, ramdiskBenchSize>>20)

	build := func() (*ramdisk.DiskImage, []*os.File, error) {
		var files []ramdisk.File
		var open []*os.File
		for _, f := range ramdiskBenchFiles {
			h, err := os.Open(filepath.Join(tree, filepath.FromSlash(f.path)))
			if err != nil {
				return nil, open, err
			}
			open = append(open, h)
			files = append(files, ramdisk.File{Path: f.path, Data: h, Size: f.size})
		}
		d, err := ramdisk.BuildDisk(files, &ramdisk.DiskOptions{Size: ramdiskBenchSize})
		return d, open, err
	}
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	ours := filepath.Join(e.Work, "ours.img")
	peer := filepath.Join(e.Work, "peer.img")
	g := ramdisk.DefaultGeometry(ramdiskBenchSize / 512)
	part := fmt.Sprintf("%s@@%d", peer, ramdiskBenchStart*512)
	script := fmt.Sprintf("rm -f %[1]s && truncate -s %[2]d %[1]s && mformat -i %[3]s -F -T %[4]d -h %[5]d -s %[6]d -H %[7]d -v WINPE :: && mmd -i %[3]s ::/Boot ::/sources && cd %[8]s && mcopy -i %[3]s bootmgr ::/ && mcopy -i %[3]s Boot/BCD Boot/boot.sdi ::/Boot/ && mcopy -i %[3]s sources/boot.wim ::/sources/",
		peer, ramdiskBenchSize, part, ramdiskBenchSize/512-ramdiskBenchStart, g.Heads, g.SectorsPerTrack, ramdiskBenchStart, tree)

	const suite = "ramdisk"
	var res []Result
	c1 := "1 GiB image"
	res = append(res, e.Func(suite, c1, "ramdisk.BuildDisk + Write (sparse)", ramdiskBenchSize, func() error {
		d, open, err := build()
		defer closeAll(open)
		if err != nil {
			return err
		}
		// Remove the previous run's image first, as the peer's "rm -f" does:
		// truncating a written file instead makes ext4 flush it on close
		// (auto_da_alloc), which costs ~200 ms here and is not our work.
		if err := os.Remove(ours); err != nil && !os.IsNotExist(err) {
			return err
		}
		f, err := os.Create(ours)
		if err != nil {
			return err
		}
		if _, err := d.Write(f, &ramdisk.WriteOptions{Sparse: true}); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}))
	res = append(res, e.Command(suite, c1, ramdiskBenchSize, "sh", "-c", script))

	c2 := "1 GiB image, durable"
	var calls, last, final int64
	res = append(res, e.Func(suite, c2, "ramdisk.BuildDisk + Save", ramdiskBenchSize, func() error {
		d, open, err := build()
		defer closeAll(open)
		if err != nil {
			return err
		}
		monotonic := true
		calls, last = 0, 0
		err = d.Save(ours, &ramdisk.WriteOptions{Progress: func(done, total int64) {
			calls++
			monotonic = monotonic && done > last
			last, final = done, total
		}})
		if err == nil && (!monotonic || last != final) {
			err = fmt.Errorf("progress not monotonic or not ending at the total (%d of %d)", last, final)
		}
		return err
	}))
	res = append(res, e.Command(suite, c2, ramdiskBenchSize, "sh", "-c", script+" && sync "+peer))
	fmt.Fprintf(e.Log, "ramdisk: progress callback in the last run: %d calls, monotonic, last %d of %d\n", calls, last, final)
	return res, nil
}

func writeRandomFile(p string, n int64, seed uint64) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 42))
	buf := make([]byte, 1<<20)
	for n > 0 {
		for i := 0; i+8 <= len(buf); i += 8 {
			v := r.Uint64()
			for k := range 8 {
				buf[i+k] = byte(v >> (8 * k))
			}
		}
		k := min(n, int64(len(buf)))
		if _, err := f.Write(buf[:k]); err != nil {
			f.Close()
			return err
		}
		n -= k
	}
	return f.Close()
}
