// Command wimboot-vhd writes the boot entries for Windows installed in
// virtual disks in a WIMBoot layout: one VHD per architecture under
// \wimboot\ (x86 and x64), each applied with DISM /Apply-Image /WIMBoot from
// one image of a multi-image WIM kept beside them. It adds a native VHD boot
// entry per VHD to a BCD store (vhd=[locate]\wimboot\x64.vhd, or a drive
// letter whose partition the user names), lists the WIM's images as
// "dism /Get-WimInfo" does, and sets the WIM's boot index to the image
// chosen, whose VHD becomes the default entry.
//
// Usage:
//
//	wimboot-vhd [-o DIR]
//	wimboot-vhd --wim FILE [--boot-index N|NAME] [--store BCD] [--host locate|D:=PARTITION|PARTITION]
//	            [--vhd ARCH=PATH[@IMAGE]]... [--firmware bios|uefi] [--commit] [-o DIR]
//
// Without arguments it uses an embedded stand-in WIM with an x86 and an x64
// image (defaults/README.md), a new store, VHDs \wimboot\x86.vhd and
// \wimboot\x64.vhd found through [locate], and boot index 2 (the x64 image).
//
// --vhd ARCH=PATH adds an entry for the VHD at PATH (a path on the host
// partition) holding the image of architecture ARCH (x86, x64, arm64) of
// the WIM, or the image IMAGE (a number or a name) when @IMAGE is given.
// Default: x86 and x64 VHDs under \wimboot\. --host says where the VHDs
// are: locate (the default: bootmgr searches every partition), or a
// partition identity mbr:SIG:OFFSET or gpt:{DISK}:{PARTITION}, optionally
// with the drive letter it has (D:=mbr:1a2b3c4d:1048576) so that the
// listing prints vhd=[D:]\wimboot\x64.vhd. --store adds the entries to a
// copy of an existing store (for example the host's \Boot\BCD); without it
// a new store is created. Either way the store is written to DIR/BCD.
//
// --boot-index sets the WIM's boot index; the WIM is then written to DIR
// under its own name, or changed in place with --commit. Without
// --boot-index the WIM is only listed. The entry whose VHD holds the boot
// index image is made the default.
//
// Every input is checked before anything is written; the outputs are
// written to temporary files and renamed into place only when all of them
// are complete, so an error leaves no partial output.
//
// Real use:
//
//	go run ./examples/wimboot-vhd --wim /mnt/images/wimboot/install.wim --boot-index 2 --commit \
//	    --store /mnt/host/Boot/BCD --host D:=mbr:1a2b3c4d:1048576 -o bcd-out
package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/wim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wimboot-vhd:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

const usage = `usage:
  wimboot-vhd [-o DIR]          embedded stand-in WIM, new store, out/BCD and out/install.wim
  wimboot-vhd --wim FILE [--boot-index N|NAME] [--store BCD] [--host locate|D:=PARTITION|PARTITION]
              [--vhd ARCH=PATH[@IMAGE]]... [--firmware bios|uefi] [--commit] [-o DIR]
PARTITION is mbr:SIG:OFFSET or gpt:{DISK}:{PARTITION}.
options:`

// vhdFlags collects repeated --vhd ARCH=PATH[@IMAGE].
type vhdFlags []vhdSpec

type vhdSpec struct {
	arch, path, image string
}

func (v *vhdFlags) String() string { return fmt.Sprint(*v) }

func (v *vhdFlags) Set(s string) error {
	arch, rest, ok := strings.Cut(s, "=")
	if !ok || arch == "" || rest == "" {
		return fmt.Errorf("want ARCH=PATH[@IMAGE], got %q", s)
	}
	if _, ok := archs[strings.ToLower(arch)]; !ok {
		return fmt.Errorf("unknown architecture %q (x86, x64, arm64)", arch)
	}
	p, image, _ := strings.Cut(rest, "@")
	if !strings.HasPrefix(p, `\`) {
		return fmt.Errorf("VHD path %q: want a path on the host partition, such as \\wimboot\\x64.vhd", p)
	}
	*v = append(*v, vhdSpec{strings.ToLower(arch), p, image})
	return nil
}

// archs maps the architecture names of --vhd to WINDOWS/ARCH values.
var archs = map[string]wim.Arch{"x86": wim.ArchX86, "x64": wim.ArchAMD64, "amd64": wim.ArchAMD64, "arm64": wim.ArchARM64}

type config struct {
	out, wimPath, bootIndex, store, host, firmware string
	vhds                                           vhdFlags
	commit                                         bool
}

func run(args []string, stdout, stderr io.Writer) error {
	var c config
	fl := flag.NewFlagSet("wimboot-vhd", flag.ContinueOnError)
	fl.SetOutput(io.Discard) // errors come back from Parse; -h prints to stdout
	fl.StringVar(&c.out, "o", "out", "output directory")
	fl.StringVar(&c.wimPath, "wim", "", "the multi-image `WIM` the VHDs were applied from")
	fl.StringVar(&c.bootIndex, "boot-index", "", "image (`number or name`) to mark bootable and boot by default")
	fl.StringVar(&c.store, "store", "", "existing BCD `store` to add the entries to (default: a new store)")
	fl.StringVar(&c.host, "host", "locate", "partition holding the VHDs: locate, `D:=PARTITION` or PARTITION")
	fl.Var(&c.vhds, "vhd", "`ARCH=PATH[@IMAGE]` of a VHD (repeatable; default x86 and x64 under \\wimboot)")
	fl.StringVar(&c.firmware, "firmware", "bios", "loader: bios (winload.exe) or uefi (winload.efi)")
	fl.BoolVar(&c.commit, "commit", false, "change the WIM's boot index in place instead of writing a copy")
	fl.Usage = func() {}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(fl, stdout)
			return nil
		}
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	case c.out == "":
		return errors.New("-o: empty output directory")
	}
	standIn := c.wimPath == ""
	if standIn {
		if c.store != "" || c.commit || c.bootIndex != "" {
			return errors.New("--store, --boot-index and --commit need --wim")
		}
		c.bootIndex = "2"
	}
	if len(c.vhds) == 0 {
		c.vhds = vhdFlags{{"x86", `\wimboot\x86.vhd`, ""}, {"x64", `\wimboot\x64.vhd`, ""}}
	}
	fw := bcd.BIOS
	switch strings.ToLower(c.firmware) {
	case "bios":
	case "uefi":
		fw = bcd.UEFI
	default:
		return fmt.Errorf("--firmware %q: want bios or uefi", c.firmware)
	}
	host, drives, err := parseHost(c.host)
	if err != nil {
		return err
	}

	// The WIM: read, images mapped to the VHDs, boot index chosen.
	var (
		rd      *wim.Reader
		wimName = "install.wim"
		edit    *wim.File
	)
	if standIn {
		if rd, err = wim.NewReader(bytes.NewReader(defaultWIM), int64(len(defaultWIM)), nil); err != nil {
			return err
		}
	} else {
		wimName = filepath.Base(c.wimPath)
		if edit, err = openWIM(c.wimPath, c.commit); err != nil {
			return err
		}
		defer edit.Close()
		rd = edit.Reader
	}
	images := make([]*wim.Image, len(c.vhds))
	for i, v := range c.vhds {
		if images[i], err = imageFor(rd, v); err != nil {
			return fmt.Errorf("--wim %s: %w", wimLabel(c.wimPath), err)
		}
	}
	oldBoot := rd.BootIndex()
	if c.bootIndex != "" {
		im, err := rd.ResolveImage(c.bootIndex)
		if err != nil {
			return fmt.Errorf("--boot-index %s: no such image in %s (%d images): %w", c.bootIndex, wimLabel(c.wimPath), rd.ImageCount(), err)
		}
		if err := rd.SetBootIndex(im.Index()); err != nil {
			return fmt.Errorf("--wim %s: cannot set the boot index: %w", wimLabel(c.wimPath), err)
		}
	}
	bootIdx := rd.BootIndex()

	// The store: new, or a copy of --store, with one entry per VHD.
	var store *bcd.Store
	if c.store == "" {
		if store, err = bcd.New(nil); err != nil {
			return err
		}
	} else if store, err = openStore(c.store); err != nil {
		return err
	}
	for i, v := range c.vhds {
		info := images[i].Info()
		desc := info.Name
		if desc == "" {
			desc = "Windows " + v.arch
		}
		if _, err := store.AddVHDBoot(&bcd.VHDBoot{
			Description: desc + " (VHD)",
			VHDPath:     v.path,
			Host:        host,
			Firmware:    fw,
			Default:     images[i].Index() == bootIdx,
		}); err != nil {
			return fmt.Errorf("--vhd %s=%s: %w", v.arch, v.path, err)
		}
	}

	// Write: the store, and the WIM unless it is committed in place or its
	// boot index is unchanged.
	outs := []output{{path: filepath.Join(c.out, "BCD"), write: func(w io.Writer) error {
		_, err := store.WriteTo(w)
		return err
	}}}
	writeWIM := bootIdx != oldBoot && !c.commit
	if writeWIM {
		outs = append(outs, output{path: filepath.Join(c.out, wimName), write: func(w io.Writer) error {
			_, err := rd.WriteTo(w)
			return err
		}})
	}
	if c.commit && bootIdx != oldBoot {
		if err := edit.Commit(); err != nil {
			return fmt.Errorf("--wim %s: commit: %w", c.wimPath, err)
		}
	}
	if err := writeAll(outs); err != nil {
		return err
	}

	if standIn {
		fmt.Fprintln(stdout, "wimboot-vhd: embedded stand-in WIM (its images hold no Windows)")
	}
	fmt.Fprintf(stdout, "wrote %s\n", c.out+string(filepath.Separator))
	what := "new store"
	if c.store != "" {
		what = "copy of " + c.store
	}
	facts := []string{what + fmt.Sprintf(", %d VHD boot entries added", len(c.vhds))}
	if writeWIM {
		facts = append(facts, fmt.Sprintf("boot index %d -> %d", oldBoot, bootIdx))
	}
	for i, o := range outs {
		fi, err := os.Stat(o.path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-14s %8d bytes  %s\n", filepath.Base(o.path), fi.Size(), facts[i])
	}
	if c.commit && bootIdx != oldBoot {
		fmt.Fprintf(stdout, "%s changed in place: boot index %d -> %d\n", c.wimPath, oldBoot, bootIdx)
	}

	fmt.Fprintf(stdout, "\n%s (dism /Get-WimInfo):\n", wimName)
	if err := rd.WriteDISMInfo(stdout, wimName); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "boot index: %d", bootIdx)
	if im, err := rd.Image(bootIdx); err == nil {
		fmt.Fprintf(stdout, " (%s)", im.Info().Name)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "\nVHDs (WIMBoot layout):")
	for i, v := range c.vhds {
		info := images[i].Info()
		wb := ""
		if !info.WIMBoot {
			wb = ", not marked WIMBoot"
		}
		fmt.Fprintf(stdout, "  %-6s %-24s image %d %q%s\n", v.arch, hostText(host, drives)+v.path, info.Index, info.Name, wb)
	}
	fmt.Fprintln(stdout, "\nBCD (bcdedit /enum):")
	return store.Enum(stdout, "", &bcd.EnumOptions{Syntax: bcd.Syntax{Drives: drives}})
}

//go:embed defaults/install.wim
var defaultWIM []byte

func wimLabel(p string) string {
	if p == "" {
		return "(embedded install.wim)"
	}
	return p
}

// openWIM opens the user's WIM (for editing, so that the boot index can
// be set) and checks it is one that can be edited.
func openWIM(name string, commit bool) (*wim.File, error) {
	f, size, err := openInput("--wim", name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := wim.NewReader(f, size, nil); err != nil {
		return nil, badType("--wim", name, f, "a WIM file", err)
	}
	open := wim.Open
	if commit {
		open = wim.OpenForEdit
	}
	wf, err := open(name, nil)
	if err != nil {
		return nil, fmt.Errorf("--wim %s: cannot be changed in place: %w", name, err)
	}
	if wf.ImageCount() == 0 {
		wf.Close()
		return nil, fmt.Errorf("--wim %s: holds no image", name)
	}
	return wf, nil
}

// openStore reads the --store file as a BCD store.
func openStore(name string) (*bcd.Store, error) {
	f, _, err := openInput("--store", name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := bcd.Open(name, nil)
	if err != nil {
		return nil, badType("--store", name, f, "a BCD store", err)
	}
	return s, nil
}

// imageFor finds the WIM image a VHD holds: the one named by @IMAGE, or the
// first image of its architecture.
func imageFor(rd *wim.Reader, v vhdSpec) (*wim.Image, error) {
	if v.image != "" {
		im, err := rd.ResolveImage(v.image)
		if err != nil {
			return nil, fmt.Errorf("--vhd %s=%s@%s: no such image: %w", v.arch, v.path, v.image, err)
		}
		return im, nil
	}
	want := archs[v.arch]
	var have []string
	for _, im := range rd.Images() {
		info := im.Info()
		if info.Windows == nil {
			have = append(have, strconv.Itoa(im.Index())+" no arch")
			continue
		}
		if info.Windows.Arch == want {
			return im, nil
		}
		have = append(have, strconv.Itoa(im.Index())+" "+info.Windows.Arch.String())
	}
	return nil, fmt.Errorf("no %s image for --vhd %s=%s (images: %s); name one with @IMAGE",
		v.arch, v.arch, v.path, strings.Join(have, ", "))
}

// parseHost reads --host: locate (nil), PARTITION, or D:=PARTITION.
func parseHost(s string) (*bcd.Device, bcd.DriveMap, error) {
	if strings.EqualFold(s, "locate") {
		return nil, nil, nil
	}
	drive, ident, hasDrive := strings.Cut(s, "=")
	if !hasDrive {
		ident, drive = s, ""
	}
	if hasDrive && (len(drive) != 2 || drive[1] != ':' || !isLetter(drive[0])) {
		return nil, nil, fmt.Errorf("--host %s: %q is not a drive letter (such as D:)", s, drive)
	}
	if !hasDrive && len(s) == 2 && s[1] == ':' {
		return nil, nil, fmt.Errorf("--host %s: offline a drive letter needs its partition: %s=mbr:SIG:OFFSET or %s=gpt:{DISK}:{PARTITION}", s, s, s)
	}
	p, err := bcd.ParsePartition(ident)
	if err != nil {
		return nil, nil, fmt.Errorf("--host %s: %w", s, err)
	}
	var drives bcd.DriveMap
	if hasDrive {
		drives = bcd.DriveMap{strings.ToUpper(drive): p}
	}
	return &bcd.Device{Kind: bcd.DevicePartition, Partition: p}, drives, nil
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// hostText is the host as the listing prints it: [locate], [D:] or the
// partition identity.
func hostText(host *bcd.Device, drives bcd.DriveMap) string {
	if host == nil {
		return "[locate]"
	}
	if d, ok := drives.Drive(host.Partition); ok {
		return "[" + d + "]"
	}
	return "[" + host.Partition.String() + "]"
}

// printUsage prints the usage and the flags to w.
func printUsage(fl *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, usage)
	fl.SetOutput(w)
	fl.PrintDefaults()
}
