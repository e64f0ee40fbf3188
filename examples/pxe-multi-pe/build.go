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
	"regexp"
	"strings"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/peimage"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

// Input files, relative to the TFTP root (matched case-insensitively).
const (
	inPXEBoot  = "boot/pxeboot.n12"
	inBootmgr  = "bootmgr.exe"
	inBCD      = "Boot/BCD"
	inSDI      = "boot/boot.sdi"
	inStartrom = "startrom.n12"
	inSetupldr = "setupldr.exe"
)

// Menu files, and the first line that marks them as written by this command.
const (
	menuPXELinux = "pxelinux.cfg/default"
	menuGrub4DOS = "menu.lst/default"
	menuMark     = "# Written by pxe-multi-pe."
)

// maxInput bounds what is read of an input file; boot programs and stores
// are far smaller.
const maxInput = 256 << 20

var (
	tagRE  = regexp.MustCompile(`^[A-Za-z0-9]{1,4}$`)
	nameRE = regexp.MustCompile(`^[A-Za-z0-9]{1,5}$`)
	dirRE  = regexp.MustCompile(`^[A-Za-z0-9]{4}$`)
)

// output is one file to write, relative to the output directory.
type output struct {
	rel  string
	data []byte
	note string
}

// newStore is a store written by the run, listed after the tree.
type newStore struct {
	rel   string
	store *bcd.Store
}

// job holds the inputs and the staged outputs of one run.
type job struct {
	c      config
	fsys   fs.FS
	outs   []output
	stores []newStore
	pxe    []ramdisk.ChainEntry
	notes  []string    // printed on stderr after the files are written
	chains [][2]string // image, the files that boot it
	// storeOpts open the stores; the stand-ins' clock is fixed, so that
	// runs on them give the same bytes.
	storeOpts *bcd.Options
}

func build(c config, stdout, stderr io.Writer) error {
	j := &job{c: c}
	if c.root == "" {
		fsys, standins, err := standIns()
		if err != nil {
			return err
		}
		j.fsys = fsys
		j.outs = standins
		j.storeOpts = standInStoreOptions()
	} else {
		fi, err := os.Stat(c.root)
		switch {
		case err != nil:
			return fmt.Errorf("TFTP root %s: %w", c.root, unwrapPath(err))
		case !fi.IsDir():
			return fmt.Errorf("TFTP root %s: not a directory", c.root)
		}
		j.fsys = os.DirFS(c.root)
	}
	if len(c.wims) > 0 {
		if err := j.pe2(); err != nil {
			return err
		}
	}
	if c.pe1 != "" {
		if err := j.pe1(); err != nil {
			return err
		}
	}
	if err := j.menus(); err != nil {
		return err
	}
	if err := writeAll(c.out, j.outs); err != nil {
		return err
	}
	return j.report(stdout, stderr)
}

// display names an input for messages: its path on disk, or "embedded X".
func (j *job) display(rel string) string {
	if j.c.root == "" {
		return "embedded " + rel
	}
	return filepath.Join(j.c.root, filepath.FromSlash(rel))
}

// read reads the input rel (matched case-insensitively) and returns its
// bytes and its path as spelled in the root. A missing input or a
// directory is an error naming it.
func (j *job) read(rel string, limit int64) ([]byte, string, error) {
	p, err := sif.FoldPath(j.fsys, rel)
	if err != nil {
		return nil, "", fmt.Errorf("%s: missing (the TFTP root must hold %s)", j.display(rel), rel)
	}
	f, err := j.fsys.Open(p)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", j.display(p), unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("%s: %w", j.display(p), unwrapPath(err))
	case fi.IsDir():
		return nil, "", fmt.Errorf("%s: is a directory, not a file", j.display(p))
	case fi.Size() == 0:
		return nil, "", fmt.Errorf("%s: is empty", j.display(p))
	case fi.Size() > limit:
		return nil, "", fmt.Errorf("%s: %d bytes is too large for a boot file", j.display(p), fi.Size())
	}
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", j.display(p), unwrapPath(err))
	}
	return b, p, nil
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// rawProgram reads a 16-bit network boot program (pxeboot.n12,
// startrom.n12), which must not be a PE image.
func (j *job) rawProgram(rel string) (*peimage.Image, string, error) {
	b, p, err := j.read(rel, maxInput)
	if err != nil {
		return nil, "", err
	}
	img, err := peimage.Parse(b, nil)
	if err == nil && img.Kind() != peimage.KindRaw {
		err = fmt.Errorf("a %s, not a 16-bit PXE boot program", img.Kind())
	}
	if err != nil {
		return nil, "", fmt.Errorf("%s: wrong type of file: %v", j.display(p), err)
	}
	return img, p, nil
}

// peProgram reads a boot file that must be a PE image (bootmgr.exe,
// setupldr.exe) and refuses a signed one unless --strip-signature.
func (j *job) peProgram(rel, what string) (*peimage.Image, string, error) {
	b, p, err := j.read(rel, maxInput)
	if err != nil {
		return nil, "", err
	}
	img, err := peimage.Parse(b, nil)
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("%s: wrong type of file: %v", j.display(p), err)
	case img.Kind() == peimage.KindBIOSBootmgr:
		return nil, "", fmt.Errorf("%s: wrong type of file: the BIOS bootmgr (compressed); use %s", j.display(p), what)
	case img.Kind() != peimage.KindPE:
		return nil, "", fmt.Errorf("%s: wrong type of file: not a PE image; use %s", j.display(p), what)
	case img.Signed() && !j.c.strip:
		return nil, "", fmt.Errorf("%s: Authenticode-signed, and patching breaks the signature: add --strip-signature to patch an unsigned copy", j.display(p))
	}
	return img, p, nil
}

// patchOptions is the signature policy of the run.
func (j *job) patchOptions() *peimage.PatchOptions {
	if j.c.strip {
		return &peimage.PatchOptions{Signature: peimage.SignatureStrip}
	}
	return nil
}

// apply runs recipe on a copy of img and returns the bytes and a note.
func (j *job) apply(img *peimage.Image, p string, r peimage.Recipe) ([]byte, string, error) {
	cp, err := peimage.Parse(img.Bytes(), nil)
	if err != nil {
		return nil, "", err
	}
	rep, err := r.Apply(cp, j.patchOptions())
	if err != nil {
		if errors.Is(err, peimage.ErrNotFound) {
			var olds []string
			for _, e := range r.Edits {
				olds = append(olds, fmt.Sprintf("%q", e.Old))
			}
			return nil, "", fmt.Errorf("%s: wrong type of file: no %s in it to patch (is it %s?)", j.display(p), strings.Join(olds, " or "), r.File)
		}
		return nil, "", fmt.Errorf("%s: %v", j.display(p), err)
	}
	return cp.Bytes(), patchNote(p, rep), nil
}

// patchNote summarizes a patch report in one line.
func patchNote(src string, rep *peimage.Report) string {
	type key struct{ old, new string }
	var order []key
	count := map[key]int{}
	for _, c := range rep.Changes {
		k := key{c.OldText, c.NewText}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	var parts []string
	for _, k := range order {
		s := fmt.Sprintf("%s -> %s", k.old, k.new)
		if n := count[k]; n > 1 {
			s += fmt.Sprintf(" (%dx)", n)
		}
		parts = append(parts, s)
	}
	note := src + ": " + strings.Join(parts, ", ")
	if rep.Stripped != nil {
		note += ", signature removed"
	}
	if rep.Checksum != nil {
		note += ", checksum fixed"
	}
	return note
}

// pe2 stages the files of every --wim image.
func (j *job) pe2() error {
	type image struct{ wim, tag string }
	var imgs []image
	seen := map[string]string{}
	for _, w := range j.c.wims {
		w = strings.Trim(strings.ReplaceAll(w, `\`, "/"), "/")
		dir, file := path.Split(w)
		tag := strings.Trim(dir, "/")
		switch {
		case !fs.ValidPath(w) || file == "" || tag == "" || !strings.EqualFold(path.Ext(file), ".wim"):
			return fmt.Errorf("--wim %s: not a DIR/NAME.wim path in the TFTP root", w)
		case !tagRE.MatchString(tag):
			return fmt.Errorf("--wim %s: the directory %q must be 1-4 letters or digits (it becomes \\%s\\BCD and %smgr.exe)", w, tag, tag, strings.ToLower(tag))
		case strings.EqualFold(tag, "boot"):
			return fmt.Errorf("--wim %s: Boot is the first image's directory; choose another", w)
		case seen[strings.ToLower(tag)] != "":
			return fmt.Errorf("--wim %s: directory %s is already used by --wim %s", w, tag, seen[strings.ToLower(tag)])
		}
		seen[strings.ToLower(tag)] = w
		imgs = append(imgs, image{w, tag})
	}

	pxe, pxeRel, err := j.rawProgram(inPXEBoot)
	if err != nil {
		return err
	}
	mgr, mgrRel, err := j.peProgram(inBootmgr, `bootmgr.exe from \Windows\Boot\PXE`)
	if err != nil {
		return err
	}
	storeBytes, bcdRel, err := j.read(inBCD, maxInput)
	if err != nil {
		return err
	}
	if _, err := bcd.Parse(storeBytes, nil); err != nil {
		return fmt.Errorf("%s: wrong type of file: not a BCD store: %v", j.display(bcdRel), err)
	}
	if err := j.checkSDI(); err != nil {
		return err
	}
	j.pxe = append(j.pxe, ramdisk.ChainEntry{Label: "WinPE (" + bcdRel + ")", ID: "winpe", Program: pxeRel})

	for _, im := range imgs {
		j.noteMissing(im.wim)
		low := strings.ToLower(im.tag)
		mgrName := low + "mgr.exe"
		nbp := low + "/pxe" + low + ".0"
		b, note, err := j.apply(pxe, pxeRel, peimage.PE2PXEBoot(mgrName))
		if err != nil {
			return err
		}
		j.outs = append(j.outs, output{nbp, b, note})

		b, note, err = j.apply(mgr, mgrRel, peimage.PE2Bootmgr(`\`+im.tag+`\BCD`))
		if err != nil {
			return err
		}
		j.outs = append(j.outs, output{mgrName, b, note})

		s, err := bcd.Parse(storeBytes, j.storeOpts)
		if err != nil {
			return fmt.Errorf("%s: %v", j.display(bcdRel), err)
		}
		wimPath := `\` + strings.ReplaceAll(im.wim, "/", `\`)
		if _, err := s.SetRamdiskImage(wimPath); err != nil {
			return fmt.Errorf("%s: %v", j.display(bcdRel), err)
		}
		bm, err := s.Lookup("{bootmgr}")
		if err != nil {
			return fmt.Errorf("%s: no {bootmgr} object: %v", j.display(bcdRel), err)
		}
		if err := bm.Set(bcd.ElemNoIntegrity, bcd.Boolean(true)); err != nil {
			return fmt.Errorf("%s: %v", j.display(bcdRel), err)
		}
		rel := im.tag + "/BCD"
		j.outs = append(j.outs, output{rel, s.Bytes(), bcdRel + ": device, osdevice ramdisk=[boot]" + wimPath + "; {bootmgr} nointegritychecks Yes"})
		j.stores = append(j.stores, newStore{rel, s})
		j.pxe = append(j.pxe, ramdisk.ChainEntry{Label: "WinPE " + im.tag + " (" + im.wim + ")", ID: low, Program: nbp})
		j.chains = append(j.chains, [2]string{im.wim, nbp + " -> " + mgrName + " -> " + rel})
	}
	return nil
}

// checkSDI checks that boot/boot.sdi is an SDI file (only its header is
// read).
func (j *job) checkSDI() error {
	p, err := sif.FoldPath(j.fsys, inSDI)
	if err != nil {
		return fmt.Errorf("%s: missing (the TFTP root must hold %s)", j.display(inSDI), inSDI)
	}
	f, err := j.fsys.Open(p)
	if err != nil {
		return fmt.Errorf("%s: %w", j.display(p), unwrapPath(err))
	}
	defer f.Close()
	hdr := make([]byte, 512)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return fmt.Errorf("%s: wrong type of file: not an SDI file (%v)", j.display(p), unwrapPath(err))
	}
	if _, err := ramdisk.ReadSDIHeader(bytes.NewReader(hdr)); err != nil {
		return fmt.Errorf("%s: wrong type of file: not an SDI file (%v)", j.display(p), err)
	}
	return nil
}

// pe1 stages the WinPE 1.x files.
func (j *job) pe1() error {
	name, dir, iso := j.c.pe1, j.c.pe1Dir, strings.Trim(strings.ReplaceAll(j.c.pe1Image, `\`, "/"), "/")
	switch {
	case !nameRE.MatchString(name) || strings.EqualFold(name, "ntldr"):
		return fmt.Errorf("--pe1 %s: the loader name must be 1-5 letters or digits other than ntldr", name)
	case !dirRE.MatchString(dir) || strings.EqualFold(dir, "I386"):
		return fmt.Errorf("--pe1-dir %s: must be 4 letters or digits other than I386 (it replaces I386 inside longer paths)", dir)
	case !fs.ValidPath(iso) || !strings.EqualFold(path.Ext(iso), ".iso"):
		return fmt.Errorf("--pe1-image %s: must be an .iso file in the TFTP root", j.c.pe1Image)
	}
	j.noteMissing(iso)
	rom, romRel, err := j.rawProgram(inStartrom)
	if err != nil {
		return err
	}
	ldr, ldrRel, err := j.peProgram(inSetupldr, "setupldr.exe from a RIS or PXE source (not setupldr.bin)")
	if err != nil {
		return err
	}
	nbp := name + "rom.0"
	b, note, err := j.apply(rom, romRel, peimage.PE1Startrom(name))
	if err != nil {
		return err
	}
	j.outs = append(j.outs, output{nbp, b, note})
	b, note, err = j.apply(ldr, ldrRel, peimage.PE1Setupldr(name+".sif", dir))
	if err != nil {
		return err
	}
	j.outs = append(j.outs, output{name, b, note})

	w, err := sif.NewWinnt(sif.WinntConfig{
		BootPath: `\` + dir + `\SYSTEM32\`,
		RAMDisk:  ramdisk.RAMDiskOptions{MinInt: true, FastDetect: true, ExportAsCD: true, Path: strings.ReplaceAll(iso, "/", `\`)},
	})
	if err != nil {
		return fmt.Errorf("--pe1-image %s: %v", j.c.pe1Image, err)
	}
	opts, err := w.LoadOptions()
	if err != nil {
		return err
	}
	j.outs = append(j.outs, output{name + ".sif", w.Bytes(), "[SetupData] " + w.BootDevice() + " " + w.BootPath() + " " + opts.String()})
	j.pxe = append(j.pxe, ramdisk.ChainEntry{Label: "WinPE 1.x " + name + " (" + iso + ")", ID: strings.ToLower(name), Program: nbp})
	j.chains = append(j.chains, [2]string{iso, nbp + " -> " + name + " -> " + name + ".sif  (WinPE 1.x)"})
	return nil
}

// noteMissing notes an image that is not in the TFTP root yet (the
// stand-ins have no images).
func (j *job) noteMissing(rel string) {
	if j.c.root == "" {
		return
	}
	if _, err := sif.FoldPath(j.fsys, rel); err != nil {
		j.notes = append(j.notes, fmt.Sprintf("note: %s is not in the TFTP root yet; copy the image there", j.display(rel)))
	}
}

// menus stages pxelinux.cfg/default and menu.lst/default. A menu file in
// the output directory that this command did not write is left alone: the
// run stops before writing anything.
func (j *job) menus() error {
	px, err := ramdisk.PXELinuxChainMenu(j.pxe...)
	if err != nil {
		return err
	}
	g4, err := ramdisk.Grub4DOSChainMenu(j.pxe...)
	if err != nil {
		return err
	}
	def := j.pxe[0].ID
	px = menuMark + " One entry per WinPE image; with menu.c32\n" +
		"# in the TFTP root, add \"ui menu.c32\" for a menu, else type a label at boot:.\n" +
		"prompt 1\ntimeout 100\ndefault " + def + "\n\n" + px
	g4 = menuMark + " One entry per WinPE image.\ntimeout 10\ndefault 0\n\n" + g4
	for _, m := range []struct{ rel, text, what string }{
		{menuPXELinux, px, "pxelinux"},
		{menuGrub4DOS, g4, "grub4dos"},
	} {
		p := filepath.Join(j.c.out, filepath.FromSlash(m.rel))
		old, err := os.ReadFile(p)
		if err == nil && !bytes.HasPrefix(old, []byte(menuMark)) {
			return fmt.Errorf("%s: exists and was not written by pxe-multi-pe; move it away or choose another -o", p)
		}
		j.outs = append(j.outs, output{m.rel, []byte(m.text), fmt.Sprintf("%s menu: %d entries", m.what, len(j.pxe))})
	}
	return nil
}

// report prints the tree of written files and the new stores.
func (j *job) report(stdout, stderr io.Writer) error {
	for _, n := range j.notes {
		fmt.Fprintln(stderr, n)
	}
	what := "the TFTP root " + j.c.root
	if j.c.root == "" {
		what = "embedded stand-ins (no TFTP root given)"
	}
	fmt.Fprintf(stdout, "pxe-multi-pe: %s -> %s/; each new image boots through its own files:\n", what, j.c.out)
	width := 0
	for _, c := range j.chains {
		width = max(width, len(c[0]))
	}
	for _, c := range j.chains {
		fmt.Fprintf(stdout, "  %-*s  %s\n", width, c[0], c[1])
	}
	fmt.Fprintln(stdout)
	printTree(stdout, j.c.out, j.outs)
	for _, s := range j.stores {
		fmt.Fprintf(stdout, "\n%s (bcdedit /store %s /enum all):\n", s.rel, s.rel)
		if err := s.store.Enum(stdout, "all", nil); err != nil {
			return err
		}
	}
	return nil
}
