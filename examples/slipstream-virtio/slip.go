package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

// maxText bounds what is read of a text file or hive of the media.
const maxText = 64 << 20

// changed is one file the run writes, with what it is.
type changed struct {
	sif.StagedFile
	what          string
	before, after []byte // text files: for the diff
}

// job is one run: its inputs and the files it stages.
type job struct {
	c         config
	arch      inf.Arch
	disk      fs.FS  // the driver disk
	diskName  string // for messages
	media     fs.FS  // the setup media
	mediaName string
	iso       *ramdisk.ISOImage
	modTime   time.Time     // cabinet time stamp; zero: the driver file's
	hiveOpts  *hive.Options // the stand-ins' fixed clock, or nil
	s         *sif.Slipstream
	mediaDir  string // I386 or AMD64, as spelled on the media
	files     []changed
	notes     []string
}

func slipstream(c config, stdout, stderr io.Writer) error {
	arch, err := inf.ParseArch(c.arch)
	if err != nil || (arch != inf.X86 && arch != inf.AMD64) {
		return fmt.Errorf("--arch %s: text-mode setup media are x86 or amd64", c.arch)
	}
	j := &job{c: c, arch: arch}
	var oemBytes []byte
	var oemName string
	if c.embedded {
		sm, err := standIns()
		if err != nil {
			return err
		}
		j.disk, j.diskName, j.media, j.mediaName, j.modTime = sm.disk, "embedded driver disk", sm.media, "embedded media", standInTime
		j.hiveOpts = standInHiveOptions()
		oemBytes, oemName = sm.oem, "embedded txtsetup.oem"
		if c.driverINF == "" {
			if err := j.newSlipstream(oemBytes, oemName, sm.inf, "embedded viostor.inf"); err != nil {
				return err
			}
		}
	} else {
		if oemBytes, err = readInput(c.oem, "--oem"); err != nil {
			return err
		}
		oemName = c.oem
		j.disk, j.diskName = os.DirFS(filepath.Dir(c.oem)), "driver disk "+filepath.Dir(c.oem)
		if err := j.openMedia(); err != nil {
			return err
		}
		if j.iso != nil {
			defer j.iso.Close()
		}
	}
	if j.s == nil {
		var infBytes []byte
		if c.driverINF != "" {
			if infBytes, err = readInput(c.driverINF, "--driver-inf"); err != nil {
				return err
			}
		}
		if err := j.newSlipstream(oemBytes, oemName, infBytes, c.driverINF); err != nil {
			return err
		}
	}
	for _, w := range j.s.Warnings {
		j.notes = append(j.notes, "warning: "+w.String())
	}
	if err := j.edit(); err != nil {
		return err
	}
	if err := j.write(); err != nil {
		return err
	}
	j.report(stdout)
	for _, n := range j.notes {
		fmt.Fprintln(stderr, n)
	}
	return nil
}

// readInput reads a file named on the command line, with one-line errors
// naming it.
func readInput(name, flagName string) ([]byte, error) {
	fi, err := os.Stat(name)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", flagName, name, unwrapPath(err))
	case fi.IsDir():
		return nil, fmt.Errorf("%s %s: is a directory, not a file", flagName, name)
	case fi.Size() > maxText:
		return nil, fmt.Errorf("%s %s: wrong type of file: %d bytes is too large for a text file", flagName, name, fi.Size())
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flagName, name, unwrapPath(err))
	}
	return b, nil
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// newSlipstream resolves the option of the txtsetup.oem, with the driver
// INF (stamped when it is an INX) when one is given.
func (j *job) newSlipstream(oemBytes []byte, oemName string, infBytes []byte, infName string) error {
	oem, err := inf.ParseOEM(oemBytes, nil)
	if err == nil && len(oem.Components) == 0 {
		err = errors.New("no component section such as [scsi]")
	}
	if err != nil {
		return fmt.Errorf("%s: wrong type of file: not a txtsetup.oem (%v)", oemName, err)
	}
	opts := &sif.SlipstreamOptions{ID: j.c.id, Arch: j.arch}
	if infBytes != nil {
		d, err := inf.Parse(infBytes, nil)
		if err == nil && len(d.Manufacturers()) == 0 {
			err = errors.New("no [Manufacturer] section")
		}
		if err != nil {
			return fmt.Errorf("%s: wrong type of file: not a driver INF (%v)", infName, err)
		}
		if strings.EqualFold(path.Ext(infName), ".inx") || len(j.c.stamp) > 0 {
			if err := d.Stamp(inf.StampOptions{Arch: j.arch, Placeholders: j.c.stamp}); err != nil {
				return fmt.Errorf("%s: stamping: %v", infName, err)
			}
		}
		opts.DriverINF = d
	}
	s, err := sif.NewSlipstream(oem, opts)
	if err != nil {
		return fmt.Errorf("%s: %v", oemName, err)
	}
	j.s = s
	return nil
}

// openMedia opens --media or --iso.
func (j *job) openMedia() error {
	if j.c.media != "" {
		fi, err := os.Stat(j.c.media)
		switch {
		case err != nil:
			return fmt.Errorf("--media %s: %w", j.c.media, unwrapPath(err))
		case !fi.IsDir():
			return fmt.Errorf("--media %s: not a directory (for an ISO image use --iso)", j.c.media)
		}
		j.media, j.mediaName = os.DirFS(j.c.media), j.c.media
		return nil
	}
	in, err := filepath.Abs(j.c.iso)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(j.c.outISO)
	if err != nil {
		return err
	}
	if in == out {
		return fmt.Errorf("--out-iso %s: must differ from --iso", j.c.outISO)
	}
	if fi, err := os.Stat(j.c.iso); err != nil {
		return fmt.Errorf("--iso %s: %w", j.c.iso, unwrapPath(err))
	} else if fi.IsDir() {
		return fmt.Errorf("--iso %s: is a directory (for an extracted CD use --media)", j.c.iso)
	}
	im, err := ramdisk.OpenISOFile(j.c.iso, nil)
	if err != nil {
		return fmt.Errorf("--iso %s: wrong type of file: not an ISO 9660 image (%v)", j.c.iso, err)
	}
	j.iso, j.media, j.mediaName = im, im, j.c.iso
	return nil
}

// read reads rel from the media (matched case-insensitively); ok is false
// when it is not there.
func (j *job) read(rel string) (data []byte, actual string, ok bool, err error) {
	p, err := sif.FoldPath(j.media, rel)
	if err != nil {
		return nil, "", false, nil
	}
	f, err := j.media.Open(p)
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: %s: %w", j.mediaName, p, unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, "", false, fmt.Errorf("%s: %s: %w", j.mediaName, p, unwrapPath(err))
	case fi.IsDir():
		return nil, "", false, fmt.Errorf("%s: %s is a directory, not a file", j.mediaName, p)
	case fi.Size() > maxText:
		return nil, "", false, fmt.Errorf("%s: %s: wrong type of file: %d bytes is too large", j.mediaName, p, fi.Size())
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: %s: %w", j.mediaName, p, unwrapPath(err))
	}
	return b, p, true, nil
}

// stage adds a file to write.
func (j *job) stage(rel string, data []byte, what string, before []byte, text bool) {
	c := changed{StagedFile: sif.StagedFile{Path: rel, Data: data}, what: what}
	if text {
		c.before, c.after = before, data
	}
	j.files = append(j.files, c)
}

// edit stages every change in memory.
func (j *job) edit() error {
	dir := "I386"
	if j.arch == inf.AMD64 {
		dir = "AMD64"
	}
	b, sifPath, ok, err := j.read(dir + "/TXTSETUP.SIF")
	if err != nil {
		return err
	}
	if !ok {
		if _, _, top, _ := j.read("TXTSETUP.SIF"); top {
			return fmt.Errorf("%s: holds TXTSETUP.SIF itself; give the directory above %s", j.mediaName, dir)
		}
		return fmt.Errorf("%s: no %s/TXTSETUP.SIF: not %s setup media (give the root of the extracted CD)", j.mediaName, dir, j.arch)
	}
	j.mediaDir = path.Dir(sifPath)
	t, err := sif.Parse(b, nil)
	if err != nil {
		return fmt.Errorf("%s: %s: wrong type of file: %v", j.mediaName, sifPath, err)
	}
	edits, err := j.s.ApplySIF(t)
	if err != nil {
		return fmt.Errorf("%s: %s: %v", j.mediaName, sifPath, err)
	}
	j.stage(sifPath, t.Bytes(), fmt.Sprintf("%d entries added", sif.CountChanges(edits)), b, true)

	// hivesys.inf: the registry of the installed system.
	b, p, ok, err := j.read(j.mediaDir + "/HIVESYS.INF")
	if err != nil {
		return err
	}
	hivesys := ok
	if ok {
		d, err := inf.Parse(b, nil)
		if err == nil && d.Section("AddReg") == nil {
			err = errors.New("no [AddReg] section")
		}
		if err != nil {
			return fmt.Errorf("%s: %s: wrong type of file: not a hive INF (%v)", j.mediaName, p, err)
		}
		edits, err := j.s.ApplyHiveINF(d)
		if err != nil {
			return fmt.Errorf("%s: %s: %v", j.mediaName, p, err)
		}
		j.stage(p, d.Bytes(), fmt.Sprintf("%d registry lines added", sif.CountChanges(edits)), b, true)
	} else if _, p, ok, _ := j.read(j.mediaDir + "/HIVESYS.IN_"); ok {
		j.notes = append(j.notes, fmt.Sprintf("note: %s: %s is compressed; expand it (cabextract, expand) and run again to edit it too", j.mediaName, p))
	}

	// setupreg.hiv: the registry of text-mode setup itself.
	b, p, ok, err = j.read(j.mediaDir + "/SETUPREG.HIV")
	if err != nil {
		return err
	}
	if ok {
		h, err := hive.Parse(b, j.hiveOpts)
		if err != nil {
			return fmt.Errorf("%s: %s: wrong type of file: not a registry hive (%v)", j.mediaName, p, err)
		}
		rep, err := j.s.ApplyHive(h, nil)
		if err != nil {
			return fmt.Errorf("%s: %s: %v", j.mediaName, p, err)
		}
		j.stage(p, h.Bytes(), hiveSummary(rep), nil, false)
	} else if !hivesys {
		j.notes = append(j.notes, fmt.Sprintf("note: %s has neither HIVESYS.INF nor SETUPREG.HIV in %s: only TXTSETUP.SIF was edited", j.mediaName, j.mediaDir))
	}

	// The driver files.
	copies := j.s.CopyPlan(j.mediaDir)
	staged, err := j.s.ReadCopies(j.disk, copies, &sif.CopyOptions{Compress: j.c.compress, ModTime: j.modTime})
	if err != nil {
		return fmt.Errorf("%s: %v", j.diskName, err)
	}
	for _, f := range staged {
		what := f.Copy.Type + " from " + f.Copy.Source
		if f.Path == f.Copy.Compressed {
			what += " (makecab form)"
		}
		j.files = append(j.files, changed{StagedFile: f, what: what})
	}

	if j.c.chkpci != "" {
		if err := j.chkpci(copies); err != nil {
			return err
		}
	}
	return nil
}

// chkpci stages 0PE's CHKPCI.TXT with the driver's PCI IDs and the driver
// cabinet in FREQUENT/ beside it.
func (j *job) chkpci(copies []sif.FileCopy) error {
	rel := strings.Trim(strings.ReplaceAll(j.c.chkpci, `\`, "/"), "/")
	if !fs.ValidPath(rel) || rel == "." {
		return fmt.Errorf("--chkpci %s: not a path on the media", j.c.chkpci)
	}
	b, p, ok, err := j.read(rel)
	if err != nil {
		return err
	}
	if !ok {
		p = rel
		if d, err := sif.FoldPath(j.media, path.Dir(rel)); err == nil {
			p = path.Join(d, path.Base(rel))
		}
	}
	list, err := sif.ParseCHKPCI(b, nil)
	if err != nil {
		return fmt.Errorf("%s: %s: %v", j.mediaName, p, err)
	}
	edits := list.Add(j.s.PCI)
	j.stage(p, list.Bytes(), fmt.Sprintf("0PE auto-load list: %d lines added", sif.CountChanges(edits)), b, true)

	var drv []sif.FileCopy
	for _, c := range copies {
		if c.Compressed != "" {
			c.Compressed = path.Join(path.Dir(p), "FREQUENT", sif.CompressedName(j.s.DriverFile))
			drv = append(drv, c)
		}
	}
	staged, err := j.s.ReadCopies(j.disk, drv, &sif.CopyOptions{Compress: true, ModTime: j.modTime})
	if err != nil {
		return fmt.Errorf("%s: %v", j.diskName, err)
	}
	for _, f := range staged {
		j.files = append(j.files, changed{StagedFile: f, what: "driver for 0PE, makecab form of " + f.Copy.Source})
	}
	return nil
}

// hiveSummary says how many values an ApplyHive report set, in how many
// keys, below which top-level key (ControlSet001 in a setup hive).
func hiveSummary(rep *inf.ApplyReport) string {
	keys := map[string]bool{}
	tops := map[string]bool{}
	n := 0
	for _, op := range rep.Ops {
		if op.Outcome == inf.OutcomeApplied {
			keys[op.Path] = true
			top, _, _ := strings.Cut(op.Path, `\`)
			tops[top] = true
			n++
		}
	}
	list := make([]string, 0, len(tops))
	for k := range tops {
		list = append(list, k)
	}
	sort.Strings(list)
	return fmt.Sprintf("%d values set in %d keys below %s", n, len(keys), strings.Join(list, ", "))
}

// write writes the staged files: below -o, or into a new ISO.
func (j *job) write() error {
	files := make([]sif.StagedFile, len(j.files))
	for i, f := range j.files {
		files[i] = f.StagedFile
	}
	if j.iso == nil {
		_, err := sif.WriteStaged(j.c.out, files, 0)
		return err
	}
	for _, f := range files {
		r := bytes.NewReader(f.Data)
		if p, err := sif.FoldPath(j.iso, f.Path); err == nil {
			err = j.iso.ReplaceFile(p, r, r.Size())
			if err != nil {
				return fmt.Errorf("%s: %s: %v", j.c.iso, p, err)
			}
			continue
		}
		if err := j.iso.AddFile(f.Path, r, r.Size()); err != nil {
			return fmt.Errorf("%s: adding %s: %v", j.c.iso, f.Path, err)
		}
	}
	if err := j.iso.Save(j.c.outISO, nil); err != nil {
		return fmt.Errorf("--out-iso %s: %v", j.c.outISO, err)
	}
	return nil
}

// report prints what was written and the changes to the text files.
func (j *job) report(w io.Writer) {
	s := j.s
	fmt.Fprintf(w, "slipstream-virtio: %s (%s, %q) into %s, %s\n", s.DriverFile, s.ID, s.Description, j.mediaName, j.mediaDir)
	dest := j.c.out
	if j.iso != nil {
		dest = j.c.outISO
	}
	fmt.Fprintf(w, "\nwritten to %s:\n", dest)
	width := 0
	for _, f := range j.files {
		width = max(width, len(f.Path))
	}
	for _, f := range j.files {
		fmt.Fprintf(w, "  %-*s  %7d  %s\n", width, f.Path, len(f.Data), f.what)
	}
	if j.iso != nil {
		fmt.Fprintf(w, "\nEl Torito boot entries kept:\n%s", j.iso.ElToritoReport())
	}
	for _, f := range j.files {
		if f.after == nil {
			continue
		}
		fmt.Fprintln(w)
		d := sif.UnifiedDiff("a/"+f.Path, "b/"+f.Path, f.before, f.after)
		w.Write(bytes.ReplaceAll(d, []byte("\r\n"), []byte("\n")))
	}
}
