// Command memdisk-winpe builds a raw disk image that boots WinPE from RAM:
// bootmgr, boot.sdi and boot.wim go into a FAT partition of an MBR disk
// image (winpe.dd) together with a generated \Boot\BCD whose WinPE entry
// boots \sources\boot.wim as a RAM disk ([boot] device, SDI \Boot\boot.sdi),
// and the pxelinux and iPXE entries that load the image with memdisk are
// written beside it. --swap-wim puts a new boot.wim into an existing image.
//
// Usage:
//
//	memdisk-winpe [-o DIR]
//	memdisk-winpe --bootmgr FILE --sdi FILE --wim FILE [-o DIR] [--name winpe.dd]
//	              [--fetch PATH] [--label TEXT] [--size MIB] [--mbr FILE] [--vbr FILE]
//	memdisk-winpe --swap-wim NEW.wim IMAGE [-o DIR]
//
// Without arguments it builds out/winpe.dd from embedded stand-ins (a
// bootmgr that is only a line of text, a boot.sdi around a blank FAT16
// partition, a tiny WIM; see defaults/README.md), so the image shows the
// layout but does not boot. With --bootmgr, --sdi and --wim it uses the
// real files: each is checked first (a WIM, an SDI with a PART blob, a
// bootmgr that is not a PE or WIM or SDI file). The image has an INT 18h
// stub as MBR and VBR boot code unless --mbr (for example
// /usr/lib/syslinux/mbr/mbr.bin) and --vbr (a FAT boot sector that loads
// BOOTMGR, such as one written by Windows' bootsect /nt60) are given.
// --fetch is the image's path as pxelinux and iPXE fetch it (default: its
// file name).
//
// --swap-wim replaces the WIM that the image's Boot\BCD boots (found through
// the default entry's ramdisk device, else \sources\boot.wim) with NEW.wim,
// rewriting IMAGE in place, or writing the result into -o DIR when -o is
// given.
//
// Every input is checked before anything is written; the outputs are
// written to temporary files and renamed into place only when all of them
// are complete, so an error leaves no partial output.
//
// Real use:
//
//	go run ./examples/memdisk-winpe --bootmgr /mnt/iso/bootmgr --sdi /mnt/iso/boot/boot.sdi \
//	    --wim /mnt/iso/sources/boot.wim --mbr /usr/lib/syslinux/mbr/mbr.bin --vbr nt60-fat.vbr -o /srv/tftp
//	go run ./examples/memdisk-winpe --swap-wim new-boot.wim /srv/tftp/winpe.dd
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/wim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "memdisk-winpe:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

const usage = `usage:
  memdisk-winpe [-o DIR]                      build out/winpe.dd from embedded stand-ins
  memdisk-winpe --bootmgr FILE --sdi FILE --wim FILE [-o DIR] [--name winpe.dd]
                [--fetch PATH] [--label TEXT] [--size MIB] [--mbr FILE] [--vbr FILE]
  memdisk-winpe --swap-wim NEW.wim IMAGE [-o DIR]
options:`

// Paths inside the image, and the BCD paths that name them.
const (
	imgBootmgr = "bootmgr"
	imgBCD     = "Boot/BCD"
	imgSDI     = "Boot/boot.sdi"
	imgWIM     = "sources/boot.wim"
)

type config struct {
	out, bootmgr, sdi, wim, swap string
	name, fetch, label, mbr, vbr string
	sizeMiB                      int64
	outSet                       bool
	args                         []string
}

func run(args []string, stdout, stderr io.Writer) error {
	var c config
	fl := flag.NewFlagSet("memdisk-winpe", flag.ContinueOnError)
	fl.SetOutput(io.Discard) // errors come back from Parse; -h prints to stdout
	fl.StringVar(&c.out, "o", "out", "output directory")
	fl.StringVar(&c.bootmgr, "bootmgr", "", "the BIOS boot manager file `bootmgr`")
	fl.StringVar(&c.sdi, "sdi", "", "the `boot.sdi` file")
	fl.StringVar(&c.wim, "wim", "", "the WinPE `boot.wim`")
	fl.StringVar(&c.swap, "swap-wim", "", "put `NEW.wim` into the existing image given as argument")
	fl.StringVar(&c.name, "name", "winpe.dd", "file `name` of the disk image")
	fl.StringVar(&c.fetch, "fetch", "", "`path` of the image as pxelinux/iPXE fetch it (default: --name)")
	fl.StringVar(&c.label, "label", "Windows PE (RAM disk)", "menu label and BCD description")
	fl.Int64Var(&c.sizeMiB, "size", 0, "image size in `MiB` (default: just large enough)")
	fl.StringVar(&c.mbr, "mbr", "", "MBR boot code `file` (e.g. /usr/lib/syslinux/mbr/mbr.bin)")
	fl.StringVar(&c.vbr, "vbr", "", "FAT boot sector `file` whose code loads BOOTMGR")
	fl.Usage = func() {}
	// Flags and arguments may be mixed: collect the arguments.
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(fl, stdout)
				return nil
			}
			return err
		}
		if fl.NArg() == 0 {
			break
		}
		c.args = append(c.args, fl.Arg(0))
		args = fl.Args()[1:]
	}
	fl.Visit(func(f *flag.Flag) { c.outSet = c.outSet || f.Name == "o" })
	if c.out == "" {
		return errors.New("-o: empty output directory")
	}
	if c.swap != "" {
		if len(c.args) != 1 {
			return errors.New("--swap-wim NEW.wim takes one IMAGE argument")
		}
		if c.bootmgr != "" || c.sdi != "" || c.wim != "" {
			return errors.New("--swap-wim cannot be combined with --bootmgr, --sdi or --wim")
		}
		return swap(c, stdout, stderr)
	}
	if len(c.args) > 0 {
		return fmt.Errorf("unexpected argument %q", c.args[0])
	}
	if c.name != path.Base(filepath.ToSlash(c.name)) || c.name == "." || c.name == ".." {
		return fmt.Errorf("--name %q: want a file name without directories", c.name)
	}
	if c.sizeMiB < 0 {
		return fmt.Errorf("--size %d: want a positive number of MiB", c.sizeMiB)
	}
	return build(c, stdout, stderr)
}

// build makes the disk image, its BCD and the menu entries.
func build(c config, stdout, stderr io.Writer) error {
	var (
		in      inputs
		err     error
		standIn = c.bootmgr == "" && c.sdi == "" && c.wim == ""
	)
	if standIn {
		in, err = defaultInputs()
	} else {
		for _, f := range []struct{ flag, val string }{{"--bootmgr", c.bootmgr}, {"--sdi", c.sdi}, {"--wim", c.wim}} {
			if f.val == "" {
				return fmt.Errorf("%s is required with --bootmgr, --sdi and --wim (or give none of them for the embedded stand-ins)", f.flag)
			}
		}
		in, err = readInputs(c)
	}
	if err != nil {
		return err
	}
	defer in.close()

	opts := &ramdisk.DiskOptions{Size: c.sizeMiB << 20, Label: "WINPE"}
	for _, code := range []struct {
		flag, name string
		dst        *[]byte
	}{{"--mbr", c.mbr, &opts.MBRCode}, {"--vbr", c.vbr, &opts.VBRCode}} {
		if code.name == "" {
			continue
		}
		b, err := readSmall(code.flag, code.name, 512)
		if err != nil {
			return err
		}
		*code.dst = b
	}

	// The store bootmgr reads: a WinPE RAM-disk entry booting
	// [boot]\sources\boot.wim with the SDI [boot]\Boot\boot.sdi.
	store, _, err := bcd.NewWinPEStore(&bcd.WinPE{
		Description: c.label,
		WIMPath:     bcdPath(imgWIM),
		SDIPath:     bcdPath(imgSDI),
	}, nil)
	if err != nil {
		return err
	}
	bcdBytes := store.Bytes()

	files := []ramdisk.File{
		{Path: imgBootmgr, Data: in.bootmgr, Size: in.bootmgrSize},
		ramdisk.FileBytes(imgBCD, bcdBytes),
		{Path: imgSDI, Data: in.sdi, Size: in.sdiSize},
		{Path: imgWIM, Data: in.wim, Size: in.wimSize},
	}
	disk, err := ramdisk.BuildDisk(files, opts)
	if err != nil {
		if errors.Is(err, ramdisk.ErrNoSpace) {
			return fmt.Errorf("--size %d: the files do not fit: %w", c.sizeMiB, err)
		}
		if errors.Is(err, ramdisk.ErrInvalidArgument) && (c.mbr != "" || c.vbr != "") {
			return fmt.Errorf("--mbr/--vbr: boot code not usable: %w", err)
		}
		return err
	}

	fetch := c.fetch
	if fetch == "" {
		fetch = c.name
	}
	entry := ramdisk.MenuEntry{Label: c.label, ID: "winpe", Image: fetch}
	pxe, err := ramdisk.PXELinuxMenu(entry)
	if err != nil {
		return fmt.Errorf("--fetch/--label: %w", err)
	}
	ipxe, err := ramdisk.IPXEScript(entry)
	if err != nil {
		return fmt.Errorf("--fetch/--label: %w", err)
	}
	base := strings.TrimSuffix(c.name, path.Ext(c.name))
	imagePath := filepath.Join(c.out, c.name)
	outs := []output{
		{path: imagePath, write: func(w io.Writer) error {
			_, err := disk.Write(w, &ramdisk.WriteOptions{Sparse: true, Progress: progress(stderr, c.name)})
			return err
		}},
		textOutput(filepath.Join(c.out, base+".pxelinux.cfg"), "DEFAULT winpe\n\n"+pxe),
		textOutput(filepath.Join(c.out, base+".ipxe"), ipxe),
	}
	if err := writeAll(outs); err != nil {
		return err
	}

	if standIn {
		fmt.Fprintln(stdout, "memdisk-winpe: embedded stand-ins (bootmgr is a text file, boot.wim holds no Windows): the image shows the layout and does not boot")
	}
	fmt.Fprintf(stdout, "wrote %s\n", c.out+string(filepath.Separator))
	if err := printImage(stdout, imagePath, c.name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  %-20s pxelinux entry: kernel memdisk, initrd %s, append harddisk raw\n", base+".pxelinux.cfg", fetch)
	fmt.Fprintf(stdout, "  %-20s iPXE script: kernel memdisk harddisk raw, initrd %s\n", base+".ipxe", fetch)
	fmt.Fprintln(stdout)
	printWIM(stdout, imgWIM, in.wimInfo)
	sdiOff, _ := in.sdiInfo.PartitionImageOffset()
	fmt.Fprintf(stdout, "%s: SDI, PART blob at %#x (type %#02x), %d bytes\n", imgSDI, sdiOff, in.sdiInfo.Blob(ramdisk.BlobPart).Base, in.sdiSize)
	if c.mbr == "" || c.vbr == "" {
		fmt.Fprintln(stdout, "boot code: INT 18h stub in the MBR and/or VBR (give --mbr and --vbr to make the image boot)")
	}
	fmt.Fprintf(stdout, "\n%s (bcdedit /enum all):\n", imgBCD)
	return store.Enum(stdout, "all", nil)
}

// bcdPath turns a slash path inside the image into the BCD's \path.
func bcdPath(p string) string { return `\` + strings.ReplaceAll(p, "/", `\`) }

// inputs are the three files that go into the image, checked.
type inputs struct {
	bootmgr, sdi, wim             io.ReaderAt
	bootmgrSize, sdiSize, wimSize int64
	sdiInfo                       *ramdisk.SDI
	wimInfo                       *wim.Reader
	closers                       []io.Closer
}

func (in *inputs) close() {
	for _, c := range in.closers {
		c.Close()
	}
}

//go:embed defaults/boot.wim
var defaultWIM []byte

// standInBootmgr is the default bootmgr: a line of text, clearly not
// Microsoft's boot manager.
const standInBootmgr = "winbootkit stand-in for bootmgr: not Microsoft's boot manager, this image does not boot.\r\n"

// defaultInputs builds the stand-in inputs in memory.
func defaultInputs() (inputs, error) {
	// A blank FAT16 partition image, taken out of a small disk image, as
	// the SDI's PART blob (Windows' boot.sdi holds a blank NTFS volume).
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	blank, err := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 6 << 20, PartitionStart: 1,
		FAT: ramdisk.FAT16, Label: "BOOTSDI", VolumeID: 0x5d15d15d, ModTime: fixed})
	if err != nil {
		return inputs{}, err
	}
	p := blank.Partition()
	part := make([]byte, p.Size())
	if _, err := blank.ReadAt(part, p.Offset()); err != nil {
		return inputs{}, err
	}
	sdi, err := ramdisk.NewBootSDI(bytes.NewReader(part), int64(len(part)), nil)
	if err != nil {
		return inputs{}, err
	}
	sdiBytes, err := sdi.MarshalBinary()
	if err != nil {
		return inputs{}, err
	}
	wr, err := wim.NewReader(bytes.NewReader(defaultWIM), int64(len(defaultWIM)), nil)
	if err != nil {
		return inputs{}, err
	}
	return inputs{
		bootmgr: strings.NewReader(standInBootmgr), bootmgrSize: int64(len(standInBootmgr)),
		sdi: bytes.NewReader(sdiBytes), sdiSize: int64(len(sdiBytes)), sdiInfo: sdi,
		wim: bytes.NewReader(defaultWIM), wimSize: int64(len(defaultWIM)), wimInfo: wr,
	}, nil
}

// readInputs opens and checks the user's three files.
func readInputs(c config) (in inputs, err error) {
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	f, size, err := openInput("--bootmgr", c.bootmgr)
	if err != nil {
		return in, err
	}
	in.closers = append(in.closers, f)
	in.bootmgr, in.bootmgrSize = f, size
	var head [8]byte
	n, _ := f.ReadAt(head[:], 0)
	switch kind := sniff(head[:n]); {
	case kind == "a PE executable":
		return in, fmt.Errorf("--bootmgr %s: is a PE executable (bootmgr.exe or an EFI loader), but a BIOS boot sector loads the real-mode file bootmgr", c.bootmgr)
	case kind != "":
		return in, fmt.Errorf("--bootmgr %s: is %s, not bootmgr", c.bootmgr, kind)
	}

	f, size, err = openInput("--sdi", c.sdi)
	if err != nil {
		return in, err
	}
	in.closers = append(in.closers, f)
	in.sdi, in.sdiSize = f, size
	if in.sdiInfo, err = ramdisk.NewSDIReader(f, size, nil); err != nil {
		return in, badType("--sdi", c.sdi, f, "an SDI file", err)
	}
	if in.sdiInfo.Blob(ramdisk.BlobPart) == nil {
		return in, fmt.Errorf("--sdi %s: the SDI has no PART blob, so it is not a boot.sdi", c.sdi)
	}

	f, size, err = openInput("--wim", c.wim)
	if err != nil {
		return in, err
	}
	in.closers = append(in.closers, f)
	in.wim, in.wimSize = f, size
	if in.wimInfo, err = checkWIM("--wim", c.wim, f, size); err != nil {
		return in, err
	}
	return in, nil
}

// checkWIM reads the WIM in f and refuses what bootmgr's RAM disk cannot
// boot: split, pipable and solid (ESD) WIMs.
func checkWIM(flagName, name string, f *os.File, size int64) (*wim.Reader, error) {
	r, err := wim.NewReader(f, size, nil)
	if err != nil {
		return nil, badType(flagName, name, f, "a WIM file", err)
	}
	h := r.Header()
	switch {
	case h.Split():
		return nil, fmt.Errorf("%s %s: is part %d of a split WIM; join it first (wimlib-imagex join)", flagName, name, h.PartNumber)
	case h.Pipable():
		return nil, fmt.Errorf("%s %s: is a pipable WIM, which Windows cannot read; export it without --pipable", flagName, name)
	case h.Version == wim.VersionSolid:
		return nil, fmt.Errorf("%s %s: is a solid WIM (ESD), which a RAM-disk boot cannot read; export it with LZX or XPRESS", flagName, name)
	}
	return r, nil
}

// printWIM prints the facts about the WIM that boots.
func printWIM(w io.Writer, name string, r *wim.Reader) {
	fmt.Fprintf(w, "%s: WIM, %d image(s), %s, boot index %d", name, r.ImageCount(), r.Compression(), r.BootIndex())
	if im, err := r.Image(r.BootIndex()); err == nil {
		fmt.Fprintf(w, " (%q)", im.Info().Name)
	}
	fmt.Fprintln(w)
	if r.BootIndex() == 0 {
		fmt.Fprintln(w, "  warning: no image is marked bootable; set one with wimlib-imagex info WIM 1 --boot")
	}
}

// swap replaces the WIM inside an existing image.
func swap(c config, stdout, stderr io.Writer) error {
	image := c.args[0]
	nf, nsize, err := openInput("--swap-wim", c.swap)
	if err != nil {
		return err
	}
	defer nf.Close()
	nw, err := checkWIM("--swap-wim", c.swap, nf, nsize)
	if err != nil {
		return err
	}
	if err := checkInput("IMAGE", image); err != nil {
		return err
	}
	disk, err := ramdisk.OpenDiskFile(image, nil)
	if err != nil {
		return fmt.Errorf("IMAGE %s: not a FAT disk image: %w", image, err)
	}
	defer disk.Close()
	target, how := wimInImage(disk)
	old, err := fs.Stat(disk, target)
	if err != nil || old.IsDir() {
		return fmt.Errorf("IMAGE %s: has no file %s to replace (%s)", image, target, how)
	}
	if err := disk.ReplaceFile(target, nf, nsize); err != nil {
		if errors.Is(err, ramdisk.ErrNoSpace) {
			return fmt.Errorf("--swap-wim %s: %d bytes do not fit in %s (%d bytes free besides the old WIM): %w",
				c.swap, nsize, image, disk.FreeBytes()+old.Size(), err)
		}
		return fmt.Errorf("IMAGE %s: %w", image, err)
	}
	dst := image
	if c.outSet {
		dst = filepath.Join(c.out, filepath.Base(image))
	}
	err = writeAll([]output{{path: dst, write: func(w io.Writer) error {
		_, err := disk.Write(w, &ramdisk.WriteOptions{Sparse: true, Progress: progress(stderr, filepath.Base(dst))})
		return err
	}}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "replaced %s in %s (%s): %d -> %d bytes\n", target, dst, how, old.Size(), nsize)
	if err := printImage(stdout, dst, filepath.Base(dst)); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	printWIM(stdout, target, nw)
	return nil
}

// wimInImage finds the WIM the image's BCD boots: the path of the default
// entry's ramdisk device, or sources/boot.wim.
func wimInImage(disk *ramdisk.DiskImage) (string, string) {
	b, err := fs.ReadFile(disk, imgBCD)
	if err != nil {
		return imgWIM, "no " + imgBCD + ", default path"
	}
	s, err := bcd.Parse(b, nil)
	if err != nil {
		return imgWIM, imgBCD + " unreadable, default path"
	}
	o, err := s.Lookup("{default}")
	if err != nil {
		return imgWIM, imgBCD + " has no default entry, default path"
	}
	v, err := o.Get(bcd.ElemDevice)
	d, ok := v.(*bcd.Device)
	if err != nil || !ok || d.Kind != bcd.DeviceRamdisk || d.Path == "" {
		return imgWIM, imgBCD + " default entry is not a RAM disk, default path"
	}
	return strings.TrimPrefix(strings.ReplaceAll(d.Path, `\`, "/"), "/"), "the path " + imgBCD + " boots"
}

// printImage reads the written image back and prints its layout and files.
func printImage(w io.Writer, name, label string) error {
	d, err := ramdisk.OpenDiskFile(name, nil)
	if err != nil {
		return fmt.Errorf("reading back %s: %w", name, err)
	}
	defer d.Close()
	p := d.Partition()
	fmt.Fprintf(w, "  %-20s %s bytes: MBR, %s partition at sector %d (rdimageoffset %d), %s bytes free\n",
		label, thousands(d.Size()), d.BPB().Type, p.StartLBA, d.ImageOffset(), thousands(d.FreeBytes()))
	files, err := d.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if !f.Dir {
			fmt.Fprintf(w, "    %-18s %12s\n", f.Path, thousands(f.Size))
		}
	}
	return nil
}

// progress reports the write of a large image on stderr, every 10%.
func progress(stderr io.Writer, name string) ramdisk.ProgressFunc {
	last := int64(-1)
	return func(done, total int64) {
		if total < 256<<20 {
			return
		}
		if pct := done * 100 / total / 10 * 10; pct != last {
			last = pct
			fmt.Fprintf(stderr, "writing %s: %d%%\n", name, pct)
		}
	}
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// printUsage prints the usage and the flags to w.
func printUsage(fl *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, usage)
	fl.SetOutput(w)
	fl.PrintDefaults()
}
