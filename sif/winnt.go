package sif

import (
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/ramdisk"
)

const fileWinnt = "winnt.sif"

// [SetupData] keys of winnt.sif for a RAM-disk boot.
const (
	KeyBootDevice    = "BootDevice"
	KeyBootPath      = "BootPath"
	KeyOsLoadOptions = "OsLoadOptions"
)

// RAMDiskBootDevice is the ARC name of the RAM disk NTLDR/setupldr boots
// from.
const RAMDiskBootDevice = "ramdisk(0)"

// Winnt is a winnt.sif: the answer file setupldr reads when it boots
// Windows setup or an XP/2003-era WinPE, here over PXE from a RAM disk:
//
//	[SetupData]
//	BootDevice = "ramdisk(0)"
//	BootPath = "\I386\SYSTEM32\"
//	OsLoadOptions = "/minint /fastdetect /rdexportascd /rdpath=\NETPE\NETPE.ISO"
//
// It is a view over a lossless inf.Document read with the text-mode setup
// syntax (no backslash continuation, so an unquoted BootPath ending in '\'
// does not swallow the next line). The load options are the ramdisk
// package's BootOptions: one model for boot.ini, winnt.sif and BCD.
type Winnt struct {
	doc *inf.Document
	// Warnings holds what looked odd when the file was read or built,
	// including the load options' warnings (such as /rdoffset=).
	Warnings []Warning
}

// WinntConfig describes a winnt.sif to build.
type WinntConfig struct {
	// BootDevice is the ARC device. Default "ramdisk(0)".
	BootDevice string

	// BootPath is the system directory on that device. Default
	// \I386\SYSTEM32\ (a renamed folder such as \WXPE\SYSTEM32\ works
	// the same way).
	BootPath string

	// LoadOptions, when set, is rendered as OsLoadOptions as it is.
	// Otherwise the options are built from RAMDisk with BuildLoadOptions.
	LoadOptions *ramdisk.BootOptions

	// RAMDisk are the typed options used when LoadOptions is nil.
	RAMDisk ramdisk.RAMDiskOptions

	// Upper writes built options in upper case (/MININT) instead of the
	// lower case of the usual samples (/minint).
	Upper bool
}

// BuildLoadOptions builds an OsLoadOptions string from typed options, in
// the order of Microsoft's WinPE samples: /MININT /FASTDETECT /NOGUIBOOT
// /RDEXPORTASCD /RDEXPORTASHD /RDPATH= /RDIMAGEOFFSET= /RDIMAGELENGTH=.
func BuildLoadOptions(r ramdisk.RAMDiskOptions, upper bool) (*ramdisk.BootOptions, error) {
	b := &ramdisk.BootOptions{Lower: !upper}
	for _, sw := range []struct {
		k  ramdisk.OptionKind
		on bool
	}{{ramdisk.OptMinInt, r.MinInt}, {ramdisk.OptFastDetect, r.FastDetect}, {ramdisk.OptNoGUIBoot, r.NoGUIBoot},
		{ramdisk.OptRDExportAsCD, r.ExportAsCD}, {ramdisk.OptRDExportAsHD, r.ExportAsHD}} {
		if sw.on {
			if err := b.SetSwitch(sw.k, true); err != nil {
				return nil, fmt.Errorf("sif: %w: %w", ErrInvalid, err)
			}
		}
	}
	if r.Path != "" {
		if err := b.SetRDPath(r.Path); err != nil {
			return nil, fmt.Errorf("sif: %w: %w", ErrInvalid, err)
		}
	}
	if r.HasImageOffset {
		if err := b.SetRDImageOffset(r.ImageOffset); err != nil {
			return nil, fmt.Errorf("sif: %w: %w", ErrInvalid, err)
		}
	}
	if r.HasImageLength {
		if err := b.SetRDImageLength(r.ImageLength); err != nil {
			return nil, fmt.Errorf("sif: %w: %w", ErrInvalid, err)
		}
	}
	return b, nil
}

// NewWinnt builds a winnt.sif with a [SetupData] section holding
// BootDevice, BootPath and OsLoadOptions, quoted, with CRLF line endings.
func NewWinnt(c WinntConfig) (*Winnt, error) {
	if c.BootDevice == "" {
		c.BootDevice = RAMDiskBootDevice
	}
	if c.BootPath == "" {
		c.BootPath = `\I386\SYSTEM32\`
	}
	opts := c.LoadOptions
	if opts == nil {
		var err error
		if opts, err = BuildLoadOptions(c.RAMDisk, c.Upper); err != nil {
			return nil, err
		}
	}
	lo, err := normalized(opts)
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString("[" + SectionSetupData + "]\r\n")
	for _, kv := range [][2]string{{KeyBootDevice, c.BootDevice}, {KeyBootPath, c.BootPath}, {KeyOsLoadOptions, lo}} {
		if err := checkValue(kv[1]); err != nil {
			return nil, err
		}
		sb.WriteString(kv[0] + " = " + inf.Quote(kv[1]) + "\r\n")
	}
	return ParseWinnt([]byte(sb.String()), nil)
}

// checkValue refuses text that cannot be one quoted winnt.sif value.
func checkValue(v string) error {
	if strings.ContainsAny(v, "\r\n\x00\x1a") {
		return fmt.Errorf("sif: value %q contains a line break or control character: %w", v, ErrInvalid)
	}
	return nil
}

// normalized renders options with every /rdoffset= rewritten as
// /RDIMAGEOFFSET=, without changing the caller's value.
func normalized(b *ramdisk.BootOptions) (string, error) {
	c, err := ramdisk.ParseBootOptions(b.String(), nil)
	if err != nil {
		return "", fmt.Errorf("sif: %w: %w", ErrLimit, err)
	}
	c.Normalize()
	return c.String(), nil
}

// ParseWinnt reads a winnt.sif. Writing it back unedited gives b byte for
// byte.
func ParseWinnt(b []byte, opts *ReadOptions) (*Winnt, error) {
	d, err := inf.Parse(b, opts.infOptions(inf.TextSetup))
	if err != nil {
		return nil, parseError(fileWinnt, err)
	}
	w := &Winnt{doc: d}
	w.check()
	return w, nil
}

// OpenWinnt reads the winnt.sif at path.
func OpenWinnt(path string, opts *ReadOptions) (*Winnt, error) {
	b, err := readFile(path, opts.limits().MaxFileSize)
	if err != nil {
		return nil, err
	}
	return ParseWinnt(b, opts)
}

func (w *Winnt) warn(code, format string, args ...any) {
	w.Warnings = append(w.Warnings, Warning{Code: code, File: fileWinnt, Section: SectionSetupData, Msg: fmt.Sprintf(format, args...)})
}

func (w *Winnt) check() {
	w.Warnings = nil
	sec := w.doc.Section(SectionSetupData)
	if sec == nil {
		w.warn("no-setupdata", "there is no [SetupData] section")
		return
	}
	opts, err := w.LoadOptions()
	if err != nil {
		w.warn("load-options", "%v", err)
		return
	}
	for _, rw := range opts.Warnings {
		w.warn("load-options", "OsLoadOptions: %s", rw.Msg)
	}
	if strings.HasPrefix(strings.ToLower(w.BootDevice()), "ramdisk(") && !opts.Has(ramdisk.OptRDPath) {
		w.warn("no-rdpath", "BootDevice is a RAM disk but OsLoadOptions has no /RDPATH=")
	}
	if opts.Has(ramdisk.OptRDPath) && !opts.Has(ramdisk.OptMinInt) {
		w.warn("no-minint", "a RAM-disk WinPE needs /MININT")
	}
}

// Document returns the underlying document.
func (w *Winnt) Document() *inf.Document { return w.doc }

// Value returns a [SetupData] value (quotes removed).
func (w *Winnt) Value(key string) (string, bool) {
	sec := w.doc.Section(SectionSetupData)
	if sec == nil {
		return "", false
	}
	return sec.Value(key)
}

// BootDevice returns the BootDevice value.
func (w *Winnt) BootDevice() string { v, _ := w.Value(KeyBootDevice); return v }

// BootPath returns the BootPath value.
func (w *Winnt) BootPath() string { v, _ := w.Value(KeyBootPath); return v }

// LoadOptions parses OsLoadOptions into a new BootOptions (empty when the
// entry is missing); its Warnings say what looked odd, such as /rdoffset=.
func (w *Winnt) LoadOptions() (*ramdisk.BootOptions, error) {
	v, _ := w.Value(KeyOsLoadOptions)
	b, err := ramdisk.ParseBootOptions(v, nil)
	if err != nil {
		return nil, fmt.Errorf("sif: OsLoadOptions: %w: %w", ErrLimit, err)
	}
	return b, nil
}

// RAMDisk returns the typed RAM-disk options of OsLoadOptions. A
// /rdoffset=N token reads as ImageOffset N.
func (w *Winnt) RAMDisk() ramdisk.RAMDiskOptions {
	b, err := w.LoadOptions()
	if err != nil {
		return ramdisk.RAMDiskOptions{}
	}
	return b.RAMDisk()
}

// Set gives a [SetupData] key a quoted value, changing the first entry with
// that key in place (keeping its spacing and comment) or appending one; the
// section is created if needed. A value equal to the current one changes
// nothing.
func (w *Winnt) Set(key, value string) error {
	if err := checkValue(value); err != nil {
		return err
	}
	sec := w.doc.Section(SectionSetupData)
	if sec == nil {
		var err error
		if sec, err = w.doc.AddSection(SectionSetupData); err != nil {
			return editError(fileWinnt, err)
		}
	}
	var err error
	if l := sec.Find(key); l == nil {
		_, err = sec.AppendLine(key + " = " + inf.Quote(value))
	} else if l.NumFields() != 1 || l.Field(0) != value {
		err = setQuoted(l, value)
	}
	if err != nil {
		return editError(fileWinnt, err)
	}
	w.check()
	return nil
}

// setQuoted replaces the value of an entry with value in quotes, keeping
// the key, the spacing around '=' and a trailing comment (setupldr's
// samples always quote). A line without '=' becomes key = "value".
func setQuoted(l *inf.Line, value string) error {
	if l.ImplicitKey() {
		return l.SetText(l.Key() + " = " + inf.Quote(value))
	}
	return l.SetFieldsVerbatim(inf.Quote(value))
}

// SetBootDevice sets BootDevice.
func (w *Winnt) SetBootDevice(v string) error { return w.Set(KeyBootDevice, v) }

// SetBootPath sets BootPath.
func (w *Winnt) SetBootPath(v string) error { return w.Set(KeyBootPath, v) }

// SetLoadOptions renders b as OsLoadOptions. /rdoffset= tokens are written
// as /RDIMAGEOFFSET= (b itself is not changed); every other token is written
// as b has it, so changing one option of LoadOptions changes only that
// token of the line.
func (w *Winnt) SetLoadOptions(b *ramdisk.BootOptions) error {
	s, err := normalized(b)
	if err != nil {
		return err
	}
	return w.Set(KeyOsLoadOptions, s)
}

// Normalize rewrites /rdoffset= tokens of OsLoadOptions as /RDIMAGEOFFSET=
// and reports how many it changed. Parsing keeps them as written (the file
// is the user's), with a warning; any edit of the options normalizes them.
func (w *Winnt) Normalize() (int, error) {
	b, err := w.LoadOptions()
	if err != nil {
		return 0, err
	}
	n := b.Normalize()
	if n == 0 {
		return 0, nil
	}
	return n, w.Set(KeyOsLoadOptions, b.String())
}

// Bytes returns the file's bytes.
func (w *Winnt) Bytes() []byte { return w.doc.Bytes() }

// MarshalBinary returns the file's bytes.
func (w *Winnt) MarshalBinary() ([]byte, error) { return w.doc.Bytes(), nil }

// WriteTo writes the file.
func (w *Winnt) WriteTo(wr io.Writer) (int64, error) { return w.doc.WriteTo(wr) }

// WriteFile saves the file to path atomically; perm is used for a new file
// (0 means 0644).
func (w *Winnt) WriteFile(path string, perm fs.FileMode) error {
	return atomicfile.WriteTo(path, w.doc, perm)
}
