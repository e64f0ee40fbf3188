// Command sditool inspects, creates and unpacks SDI (System Deployment
// Image) files such as Windows' boot.sdi, on any platform.
//
// Usage:
//
//	sditool info FILE
//	sditool create OUT --part IMAGE [--align N] [--type N]
//	sditool extract FILE TYPE OUT
//
// info prints the header and the blob table. create writes an SDI with the
// layout of Windows' boot.sdi: the partition image IMAGE as a PART blob at
// the first alignment boundary (--align pages of 4 KiB, default 2), then an
// empty WIM record at the end; the PART record's partition type is read
// from the image's boot sector (NTFS 7, FAT32 0x0C, FAT16 6, FAT12 1) unless
// --type gives it. It prints the RDIMAGEOFFSET to use. extract writes the
// first blob of TYPE (BOOT, LOAD, PART, DISK, WIM) to OUT. Files are
// written atomically.
//
// Examples:
//
//	sditool info boot.sdi
//	sditool create my.sdi --part ntfs.img --align 2
//	sditool extract boot.sdi PART part.img
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/winbootkit/winbootkit/ramdisk"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sditool:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

const usage = `usage:
  sditool info FILE
  sditool create OUT --part IMAGE [--align N] [--type N]
  sditool extract FILE TYPE OUT`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "info":
		if len(args) != 2 {
			return errors.New("info takes one FILE")
		}
		return info(args[1], stdout)
	case "create":
		return create(args[1:], stdout, stderr)
	case "extract":
		if len(args) != 4 {
			return errors.New("extract takes FILE TYPE OUT")
		}
		return extract(args[1], args[2], args[3])
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// open parses an SDI file. A header checksum mismatch is returned along
// with the SDI.
func open(name string) (*ramdisk.SDI, *os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	s, err := ramdisk.NewSDIReader(f, fi.Size(), nil)
	if s == nil {
		f.Close()
		return nil, nil, err
	}
	return s, f, err
}

func info(name string, stdout io.Writer) error {
	s, f, err := open(name)
	if s == nil {
		return err
	}
	defer f.Close()
	fmt.Fprint(stdout, s)
	if off, oerr := s.PartitionImageOffset(); oerr == nil {
		fmt.Fprintf(stdout, "rdimageoffset   %d\n", off)
	}
	return err // a checksum mismatch, after showing what was read
}

func create(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	part := fs.String("part", "", "partition image to store as the PART blob")
	align := fs.Uint64("align", 2, "blob alignment in 4 KiB pages")
	typ := fs.String("type", "", "MBR partition type of the PART blob (default: detected)")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 || *part == "" {
		return errors.New("create takes OUT --part IMAGE [--align N] [--type N]")
	}
	if *align == 0 {
		return errors.New("--align must be at least 1")
	}
	opts := &ramdisk.BootSDIOptions{PageAlignment: *align}
	if *typ != "" {
		t, err := strconv.ParseUint(*typ, 0, 8)
		if err != nil || t == 0 {
			return fmt.Errorf("--type %q: want a partition type such as 7 or 0x0c", *typ)
		}
		opts.PartitionType = byte(t)
	}
	f, err := os.Open(*part)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	s, err := ramdisk.NewBootSDI(f, fi.Size(), opts)
	if err != nil {
		return err
	}
	if err := s.Save(pos[0]); err != nil {
		return err
	}
	off, err := s.PartitionImageOffset()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: PART type %#02x at %#x (%d bytes), rdimageoffset %d\n", pos[0], s.Blobs[0].Base, off, fi.Size(), off)
	return nil
}

func extract(name, typ, out string) error {
	s, f, err := open(name)
	if s == nil {
		return err
	}
	defer f.Close()
	b := s.Blob(ramdisk.BlobType(strings.ToUpper(typ)))
	if b == nil {
		return fmt.Errorf("%s has no %s blob", name, strings.ToUpper(typ))
	}
	return b.Save(out)
}
