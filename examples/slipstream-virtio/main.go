// Command slipstream-virtio puts a text-mode storage driver, such as
// virtio-win's viostor for KVM and cloud VMs, into Windows XP or Server 2003
// setup media, so that setup finds the disk without an F6 floppy.
//
// From the driver disk (txtsetup.oem and the files it names) and the setup
// media (an extracted CD with I386\ or AMD64\, or an ISO image) it writes
//
//	I386/TXTSETUP.SIF    with the driver in [SourceDisksFiles], [SCSI.Load], [SCSI],
//	                     [HardwareIdsDatabase] and [FileFlags]
//	I386/HIVESYS.INF     with the service and CriticalDeviceDatabase lines (when the
//	                     media has it uncompressed)
//	I386/SETUPREG.HIV    the text-mode setup hive with the same values (when present)
//	I386/viostor.sys     the driver, or viostor.sy_ (a cabinet) with --compress
//	$OEM$/$1/Drivers/... the driver's other files (INF, catalog) for GUI-mode setup
//	SRS/CHKPCI.TXT       with --chkpci SRS/CHKPCI.TXT: 0PE's auto-load list, and the
//	                     driver cabinet in SRS/FREQUENT/
//
// In tree mode (--media DIR) the changed and new files are written below -o
// (default ./out) at their places on the media, ready to be copied over it;
// -o DIR equal to --media edits the tree in place. In ISO mode (--iso IN
// --out-iso OUT) a new ISO is built with the files replaced and added,
// keeping the El Torito boot entries. Input names are matched
// case-insensitively. Everything is prepared in memory first; if a file
// cannot be written, the ones already written are taken back.
//
// Usage:
//
//	slipstream-virtio --oem DISK/txtsetup.oem [--id ID] [--arch x86|amd64]
//	                  [--driver-inf FILE [--stamp KEY=VALUE]...] [--compress]
//	                  [--chkpci PATH] (--media DIR [-o DIR] | --iso IN.iso --out-iso OUT.iso)
//
// Real use, virtio-win's Windows Server 2003 x86 driver into an XP/2003 ISO:
//
//	slipstream-virtio --oem virtio-win/txtsetup.oem --id WNET32 --compress \
//	    --iso en_windows_xp.iso --out-iso xp-virtio.iso
//
// Without --oem, --media and --iso it runs on embedded stand-ins written for
// this example (a txtsetup.oem, a driver INF and a small PE in place of
// viostor.sys; a txtsetup.sif, a hivesys.inf and a setup hive built from
// it), with --compress --chkpci SRS/CHKPCI.TXT, writes into ./out and prints
// what changed:
//
//	go run ./examples/slipstream-virtio
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
		fmt.Fprintln(os.Stderr, "slipstream-virtio:", err)
		os.Exit(1)
	}
}

const usage = `usage: slipstream-virtio --oem DISK/txtsetup.oem [--id ID] [--arch x86|amd64]
                         [--driver-inf FILE [--stamp KEY=VALUE]...] [--compress] [--chkpci PATH]
                         (--media DIR [-o DIR] | --iso IN.iso --out-iso OUT.iso)

Without --oem, --media and --iso: embedded stand-ins, with --compress --chkpci SRS/CHKPCI.TXT.

flags:`

// stampFlags collects repeated --stamp KEY=VALUE placeholders.
type stampFlags map[string]string

func (s stampFlags) String() string { return fmt.Sprint(map[string]string(s)) }

func (s stampFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("--stamp wants KEY=VALUE, got %q", v)
	}
	s[k] = val
	return nil
}

// config is the parsed command line.
type config struct {
	oem, id, arch, driverINF string
	stamp                    stampFlags
	compress                 bool
	chkpci                   string
	media, out               string
	iso, outISO              string
	embedded                 bool
}

func run(args []string, stdout, stderr io.Writer) error {
	c := config{stamp: stampFlags{}}
	fl := flag.NewFlagSet("slipstream-virtio", flag.ContinueOnError)
	fl.SetOutput(io.Discard) // errors are returned as one line; -h prints to stdout
	fl.StringVar(&c.oem, "oem", "", "the driver disk's txtsetup.oem (its directory is the disk)")
	fl.StringVar(&c.id, "id", "", "scsi option of txtsetup.oem (default: its [Defaults] entry)")
	fl.StringVar(&c.arch, "arch", "x86", "media architecture: x86 (I386) or amd64 (AMD64)")
	fl.StringVar(&c.driverINF, "driver-inf", "", "the driver's INF or INX, for its class GUID and service values")
	fl.Var(c.stamp, "stamp", "INX placeholder `KEY=VALUE` (repeatable)")
	fl.BoolVar(&c.compress, "compress", false, "copy the driver as a makecab cabinet (viostor.sy_)")
	fl.StringVar(&c.chkpci, "chkpci", "", "0PE CHKPCI.TXT `PATH` on the media to add the driver to (created if missing)")
	fl.StringVar(&c.media, "media", "", "extracted setup media `DIR` (holding I386 or AMD64)")
	fl.StringVar(&c.out, "o", "out", "output `DIR` in tree mode (the --media DIR itself to edit in place)")
	fl.StringVar(&c.iso, "iso", "", "setup media ISO `IN.iso`")
	fl.StringVar(&c.outISO, "out-iso", "", "the ISO to write in ISO mode")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fl.SetOutput(stdout)
			fl.PrintDefaults()
			return nil
		}
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case c.oem == "" && c.media == "" && c.iso == "" && c.outISO == "":
		c.embedded = true
		if !set["compress"] {
			c.compress = true
		}
		if !set["chkpci"] {
			c.chkpci = "SRS/CHKPCI.TXT"
		}
	case c.oem == "":
		return errors.New("--oem DISK/txtsetup.oem is required with --media or --iso")
	case c.media != "" && (c.iso != "" || c.outISO != ""):
		return errors.New("give either --media DIR or --iso IN --out-iso OUT, not both")
	case c.media == "" && (c.iso == "" || c.outISO == ""):
		return errors.New("give --media DIR, or --iso IN.iso and --out-iso OUT.iso")
	case c.iso != "" && set["o"]:
		return errors.New("-o is for --media; in ISO mode the output is --out-iso")
	}
	return slipstream(c, stdout, stderr)
}
