// Command slipstream integrates a text-mode mass-storage driver (a
// txtsetup.oem driver disk, such as virtio-win's viostor) into Windows
// 2000/XP/2003 or ReactOS setup media and XP-era WinPE, so that setup finds
// the disk without an F6 floppy; --remove takes it out again.
//
// Usage:
//
//	slipstream --oem FILE [--id ID] [--arch x86|amd64] --sif txtsetup.sif
//	           [--driver-inf FILE [--stamp KEY=VALUE]...] [--hivesys hivesys.inf]
//	           [--setup-hive setupreg.hiv] [--chkpci CHKPCI.TXT]
//	           [--compress] [--no-copy] [--remove] (--out DIR | --dry-run)
//
// The inputs are read, never changed. Edited copies of txtsetup.sif,
// hivesys.inf, the setup hive and CHKPCI.TXT are written into --out under
// their own names, with plan.txt describing the slipstream; the driver files
// are copied from the driver disk (the directory of --oem) into --out as
// they go on the media (I386\viostor.sys, or viostor.sy_ with --compress).
// --dry-run writes nothing and prints a unified diff of the text files
// instead (hive and file changes are listed on stderr). --remove takes out
// exactly what the same options put in, so give it the same --oem, --id,
// --arch and --driver-inf.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/sif"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "slipstream:", err)
		os.Exit(1)
	}
}

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

type config struct {
	oem, id, arch, sifPath, driverINF, hivesys, setupHive, chkpci, out string
	stamp                                                              stampFlags
	dryRun, remove, compress, noCopy                                   bool
}

func run(args []string, stdout, stderr io.Writer) error {
	c := config{stamp: stampFlags{}}
	fl := flag.NewFlagSet("slipstream", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&c.oem, "oem", "", "txtsetup.oem of the driver disk (required)")
	fl.StringVar(&c.id, "id", "", "scsi option to integrate (default: the [Defaults] entry)")
	fl.StringVar(&c.arch, "arch", "x86", "media architecture: x86 or amd64")
	fl.StringVar(&c.sifPath, "sif", "", "txtsetup.sif of the media (required)")
	fl.StringVar(&c.driverINF, "driver-inf", "", "the driver's INF or INX, for its class GUID and service values")
	fl.Var(c.stamp, "stamp", "INX placeholder KEY=VALUE (repeatable)")
	fl.StringVar(&c.hivesys, "hivesys", "", "hivesys.inf to add the registry lines to")
	fl.StringVar(&c.setupHive, "setup-hive", "", "setup hive (setupreg.hiv) to add the registry values to")
	fl.StringVar(&c.chkpci, "chkpci", "", "0PE CHKPCI.TXT to add the auto-load entries to (created if missing)")
	fl.StringVar(&c.out, "out", "", "directory for the edited copies, plan.txt and the driver files")
	fl.BoolVar(&c.dryRun, "dry-run", false, "print a unified diff instead of writing files")
	fl.BoolVar(&c.remove, "remove", false, "take the driver out instead of adding it")
	fl.BoolVar(&c.compress, "compress", false, "copy the driver as a makecab cabinet (F.sy_)")
	fl.BoolVar(&c.noCopy, "no-copy", false, "do not copy the driver files")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	case c.oem == "" || c.sifPath == "":
		return errors.New("--oem and --sif are required")
	case c.out == "" && !c.dryRun:
		return errors.New("--out DIR or --dry-run is required")
	}
	return slipstream(c, stdout, stderr)
}

// output is one edited file: its name in --out and its bytes before and
// after.
type output struct {
	name          string
	before, after []byte
	text          bool
	save          func(path string) error
}

func slipstream(c config, stdout, stderr io.Writer) error {
	arch, err := inf.ParseArch(c.arch)
	if err != nil {
		return err
	}
	oem, err := inf.OpenOEM(c.oem, nil)
	if err != nil {
		return err
	}
	opts := &sif.SlipstreamOptions{ID: c.id, Arch: arch}
	if c.driverINF != "" {
		d, err := inf.Open(c.driverINF, nil)
		if err != nil {
			return err
		}
		if strings.EqualFold(filepath.Ext(c.driverINF), ".inx") || len(c.stamp) > 0 {
			if err := d.Stamp(inf.StampOptions{Arch: arch, Placeholders: c.stamp}); err != nil {
				return fmt.Errorf("stamping %s: %w", c.driverINF, err)
			}
		}
		opts.DriverINF = d
	}
	s, err := sif.NewSlipstream(oem, opts)
	if err != nil {
		return err
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}

	var outs []output
	var edits, hiveEdits []sif.Edit
	t, err := sif.Open(c.sifPath, nil)
	if err != nil {
		return err
	}
	before := t.Bytes()
	if c.remove {
		edits, err = s.RemoveSIF(t)
	} else {
		edits, err = s.ApplySIF(t)
	}
	if err != nil {
		return err
	}
	outs = append(outs, output{filepath.Base(c.sifPath), before, t.Bytes(), true,
		func(p string) error { return t.WriteFile(p, 0) }})

	if c.hivesys != "" {
		d, err := sif.OpenHiveINF(c.hivesys, nil)
		if err != nil {
			return err
		}
		before := d.Bytes()
		var ed []sif.Edit
		if c.remove {
			ed, err = s.RemoveHiveINF(d)
		} else {
			ed, err = s.ApplyHiveINF(d)
		}
		if err != nil {
			return err
		}
		edits = append(edits, ed...)
		outs = append(outs, output{filepath.Base(c.hivesys), before, d.Bytes(), true,
			func(p string) error { return d.WriteFile(p, 0) }})
	}

	if c.setupHive != "" {
		h, err := hive.Open(c.setupHive, nil)
		if err != nil {
			return err
		}
		before := h.Bytes()
		if c.remove {
			ed, err := s.RemoveRegistry(h, nil)
			if err != nil {
				return err
			}
			hiveEdits = append(hiveEdits, ed...)
		} else {
			if _, err := s.ApplyHive(h, nil); err != nil {
				return err
			}
			for _, v := range s.Registry {
				hiveEdits = append(hiveEdits, sif.Edit{Kind: sif.EditAdd, File: filepath.Base(c.setupHive), Section: v.Key,
					New: v.Name + " = " + inf.FormatRegData(v.Type, v.Data)})
			}
		}
		outs = append(outs, output{filepath.Base(c.setupHive), before, h.Bytes(), false,
			func(p string) error { return sif.SaveHive(h, p, 0) }})
	}

	if c.chkpci != "" {
		b, err := os.ReadFile(c.chkpci)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		list, err := sif.ParseCHKPCI(b, nil)
		if err != nil {
			return err
		}
		if c.remove {
			edits = append(edits, list.Remove(s.PCI)...)
		} else {
			edits = append(edits, list.Add(s.PCI)...)
		}
		outs = append(outs, output{filepath.Base(c.chkpci), b, list.Bytes(), true,
			func(p string) error { return list.WriteFile(p, 0) }})
	}

	// The driver goes where the txtsetup.sif's source disk 1 is (\reactos
	// on ReactOS media), else into I386 or AMD64.
	mediaDir, ok := sif.MediaDirFor(t, arch, "")
	if !ok {
		mediaDir = "I386"
		if arch == inf.AMD64 {
			mediaDir = "AMD64"
		}
	}
	copies := s.CopyPlan(mediaDir)

	if c.dryRun {
		for _, o := range outs {
			if !o.text {
				continue
			}
			stdout.Write(sif.UnifiedDiff("a/"+o.name, "b/"+o.name, o.before, o.after))
		}
		for _, e := range hiveEdits {
			if e.Kind.Changes() {
				fmt.Fprintln(stderr, e)
			}
		}
		if !c.noCopy && !c.remove {
			for _, cp := range copies {
				fmt.Fprintf(stderr, "copy %s -> %s\n", cp.Source, cp.Media)
			}
		}
		return nil
	}

	edits = append(edits, hiveEdits...)
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	// Driver files first: a missing one stops everything before any file is
	// written.
	if !c.noCopy {
		var ed []sif.Edit
		if c.remove {
			ed, err = s.RemoveCopies(c.out, copies)
		} else {
			ed, err = s.CopyFiles(os.DirFS(filepath.Dir(c.oem)), c.out, copies, &sif.CopyOptions{Compress: c.compress})
		}
		if err != nil {
			return err
		}
		edits = append(edits, ed...)
	}
	for _, o := range outs {
		if err := o.save(filepath.Join(c.out, o.name)); err != nil {
			return err
		}
	}
	if err := s.WritePlan(filepath.Join(c.out, "plan.txt"), edits, 0); err != nil {
		return err
	}
	verb := "added"
	if c.remove {
		verb = "removed"
	}
	fmt.Fprintf(stdout, "%s %s (%s): %d changes, written to %s\n", verb, s.DriverFile, s.ID, sif.CountChanges(edits), c.out)
	return nil
}
