// Command pxe-multi-pe serves several WinPE images from one PXE server. Each
// extra image gets its own copies of the network boot files, with the names
// inside them patched the way the community hex-editor recipes do, and its
// own BCD store, so that the first image's files stay as they are.
//
// WinPE 2.0 and later (--wim DIR/NAME.wim, repeatable; DIR is the image's
// tag of 1-4 letters or digits, here Test): from a TFTP root holding
// boot/pxeboot.n12, bootmgr.exe, Boot/BCD and boot/boot.sdi it writes
//
//	test/pxetest.0   pxeboot.n12 fetching testmgr.exe instead of bootmgr.exe
//	testmgr.exe      bootmgr.exe reading \Test\BCD instead of \Boot\BCD (checksum fixed)
//	Test/BCD         Boot/BCD booting ramdisk=[boot]\Test\TestPE.wim,{ramdiskoptions},
//	                 with {bootmgr} nointegritychecks Yes (the patched bootmgr.exe
//	                 no longer matches its signature)
//
// WinPE 1.x (XP/2003, --pe1 NAME of 1-5 letters or digits, here netpe): from
// startrom.n12 and setupldr.exe it writes
//
//	netperom.0       startrom.n12 loading netpe instead of ntldr
//	netpe            setupldr.exe reading netpe.sif and \WXPE (--pe1-dir) instead of
//	                 winnt.sif and \I386 (checksum fixed)
//	netpe.sif        [SetupData] booting --pe1-image (an ISO) from ramdisk(0)
//
// and for both the boot menus pxelinux.cfg/default and menu.lst/default
// (grub4dos), one entry per image, chain-loading each image's boot program.
// Input names are matched case-insensitively. A signed bootmgr.exe or
// setupldr.exe is refused unless --strip-signature is given: the patch
// breaks the Authenticode signature, so Secure Boot rejects the copy either
// way. Every output is prepared in memory first; files are then written
// through temporary files, and if one cannot be written the ones already
// written are taken back. An existing menu file is replaced only when this
// command wrote it.
//
// Usage:
//
//	pxe-multi-pe [-o DIR] [--wim DIR/NAME.wim]... [--pe1 NAME [--pe1-dir DIR]
//	             [--pe1-image FILE.iso]] [--strip-signature] [TFTPROOT]
//
// Real use, adding a second WinPE (Test/TestPE.wim, already copied there) to
// a TFTP root and writing the new files into it:
//
//	pxe-multi-pe --wim Test/TestPE.wim --strip-signature -o /srv/tftp /srv/tftp
//
// Without TFTPROOT it runs on embedded stand-ins built in memory (a raw
// pxeboot.n12 stand-in, a small PE made by peimage.BuildPE in place of
// bootmgr.exe, a store made by bcd.NewWinPEStore, an SDI made by the
// ramdisk package, and WinPE 1.x stand-ins likewise; no Microsoft file),
// writes the stand-ins and the results into ./out, and prints the tree and
// the new store as bcdedit /enum all lists it:
//
//	go run ./examples/pxe-multi-pe
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pxe-multi-pe:", err)
		os.Exit(1)
	}
}

const usage = `usage: pxe-multi-pe [-o DIR] [--wim DIR/NAME.wim]... [--pe1 NAME [--pe1-dir DIR] [--pe1-image FILE.iso]]
                    [--strip-signature] [TFTPROOT]

WinPE 2.0+ (--wim): TFTPROOT holds boot/pxeboot.n12, bootmgr.exe, Boot/BCD, boot/boot.sdi.
WinPE 1.x (--pe1):  TFTPROOT holds startrom.n12 and setupldr.exe.
Without TFTPROOT: embedded stand-ins, as --wim Test/TestPE.wim --pe1 netpe.

flags:`

// wimFlags collects repeated --wim values.
type wimFlags []string

func (w *wimFlags) String() string     { return strings.Join(*w, ",") }
func (w *wimFlags) Set(v string) error { *w = append(*w, v); return nil }

// config is the parsed command line.
type config struct {
	root     string // "" for the embedded stand-ins
	out      string
	wims     []string
	pe1      string
	pe1Dir   string
	pe1Image string
	strip    bool
}

func run(args []string, stdout, stderr io.Writer) error {
	var c config
	var wims wimFlags
	fl := flag.NewFlagSet("pxe-multi-pe", flag.ContinueOnError)
	fl.SetOutput(io.Discard) // errors are returned as one line; -h prints to stdout
	fl.StringVar(&c.out, "o", "out", "output directory (the TFTP root itself to install there)")
	fl.Var(&wims, "wim", "WinPE 2.0+ image `DIR/NAME.wim` in the TFTP root; DIR (1-4 letters or digits) names the copies (repeatable)")
	fl.StringVar(&c.pe1, "pe1", "", "WinPE 1.x loader `NAME` (1-5 letters or digits) replacing ntldr")
	fl.StringVar(&c.pe1Dir, "pe1-dir", "WXPE", "WinPE 1.x system `DIR` replacing I386 (4 letters or digits)")
	fl.StringVar(&c.pe1Image, "pe1-image", "WXPE.ISO", "WinPE 1.x ISO `FILE` in the TFTP root (for /rdpath=)")
	fl.BoolVar(&c.strip, "strip-signature", false, "patch signed boot files after removing their Authenticode signature")
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stdout, usage)
				fl.SetOutput(stdout)
				fl.PrintDefaults()
				return nil
			}
			return err
		}
		if fl.NArg() == 0 {
			break
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
	switch len(pos) {
	case 0:
	case 1:
		c.root = pos[0]
	default:
		return fmt.Errorf("unexpected argument %q (one TFTP root at most)", pos[1])
	}
	c.wims = wims
	if c.root == "" && len(c.wims) == 0 && c.pe1 == "" {
		c.wims, c.pe1 = []string{"Test/TestPE.wim"}, "netpe"
	}
	if len(c.wims) == 0 && c.pe1 == "" {
		return errors.New("nothing to do: give --wim DIR/NAME.wim and/or --pe1 NAME")
	}
	return build(c, stdout, stderr)
}
