package peimage

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Edit replaces one string. The zero values of the optional fields mean:
// both encodings, case-sensitive, every occurrence (at least one).
type Edit struct {
	Old, New string

	Encoding   Encoding // ASCII, UTF16LE or Both (zero: Both)
	IgnoreCase bool     // match Old with ASCII letters folded; New is written as given

	// Count, when positive, requires exactly that many occurrences (over the
	// selected encodings, after Offsets filtering).
	Count int

	// Offsets, when non-empty, restricts the edit to occurrences starting at
	// these file offsets; each must hold Old in a selected encoding.
	Offsets []int64
}

// SignaturePolicy says what a patch does to an Authenticode-signed PE.
type SignaturePolicy uint8

const (
	// SignatureRefuse (the default) refuses to patch a signed file with a
	// *SignedError: the signature would no longer verify.
	SignatureRefuse SignaturePolicy = iota
	// SignatureStrip removes the certificate table and its alignment padding,
	// zeroes data directory 4, then patches and recomputes the checksum.
	SignatureStrip
	// SignatureKeep patches and leaves the (now invalid) signature in place;
	// the report says so. Occurrences inside the certificate table are never
	// patched.
	SignatureKeep
)

func (p SignaturePolicy) String() string {
	switch p {
	case SignatureRefuse:
		return "refuse"
	case SignatureStrip:
		return "strip"
	case SignatureKeep:
		return "keep"
	}
	return fmt.Sprintf("SignaturePolicy(%d)", uint8(p))
}

// ParseSignaturePolicy parses "refuse", "strip" or "keep".
func ParseSignaturePolicy(s string) (SignaturePolicy, error) {
	for _, p := range []SignaturePolicy{SignatureRefuse, SignatureStrip, SignatureKeep} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("peimage: unknown signature policy %q (want refuse, strip or keep)", s)
}

// PatchOptions control Replace. The zero value (or nil) refuses signed files.
type PatchOptions struct {
	Signature SignaturePolicy
}

// Change is one patched occurrence.
type Change struct {
	Offset   int64
	Encoding Encoding
	Old, New []byte // the bytes before and after (same length)
	OldText  string // Edit.Old
	NewText  string // Edit.New
	Section  string // section holding the change, "" if none
	RVA      uint32 // valid when Section != ""
}

// ChecksumFix is a rewritten PE checksum.
type ChecksumFix struct {
	Offset   int64
	Old, New uint32
}

// Report describes what a Replace did.
type Report struct {
	Changes          []Change     // in file order
	Stripped         *StripResult // non-nil when the signature was removed
	Checksum         *ChecksumFix // nil for raw images
	SignatureInvalid bool         // a kept signature no longer matches
	Warnings         []Warning
}

// String renders the report like a hex editor's change log: one line per
// change with the offset, the old and new bytes, and what they mean.
func (r *Report) String() string {
	var sb strings.Builder
	if s := r.Stripped; s != nil {
		fmt.Fprintf(&sb, "%08x: certificate table removed: %d bytes (%s) at %#x and %d bytes of padding; file now %d bytes\n",
			s.Table.Offset-s.Padding, s.Table.Size, plural(s.Entries, "entry", "entries"), s.Table.Offset, s.Padding, s.NewSize)
		fmt.Fprintf(&sb, "%08x: % x -> % x  (data directory 4 zeroed)\n", s.DirOffset, s.OldDirEntry[:], make([]byte, dataDirEntrySize))
	}
	for _, c := range r.Changes {
		where := ""
		if c.Section != "" {
			where = fmt.Sprintf(", %s rva %#x", c.Section, c.RVA)
		}
		fmt.Fprintf(&sb, "%08x: % x -> % x  (%s %q -> %q%s)\n", c.Offset, c.Old, c.New, c.Encoding, c.OldText, c.NewText, where)
	}
	if c := r.Checksum; c != nil {
		var o, n [4]byte
		binary.LittleEndian.PutUint32(o[:], c.Old)
		binary.LittleEndian.PutUint32(n[:], c.New)
		fmt.Fprintf(&sb, "%08x: % x -> % x  (PE checksum %#08x -> %#08x)\n", c.Offset, o[:], n[:], c.Old, c.New)
	}
	if r.SignatureInvalid {
		sb.WriteString("warning: the Authenticode signature was kept and no longer verifies\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&sb, "warning: %s\n", w)
	}
	return sb.String()
}

// Replace applies edits as one transaction: every edit is checked first
// (occurrences found, lengths, counts, no overlaps), and on any error the
// image is unchanged. A shorter replacement is padded with NUL bytes (one
// per missing ASCII character, two per UTF-16LE unit). For a PE image the
// checksum is recomputed afterwards; occurrences inside the certificate
// table are never patched.
func (img *Image) Replace(edits []Edit, opts *PatchOptions) (*Report, error) {
	var o PatchOptions
	if opts != nil {
		o = *opts
	}
	if len(edits) == 0 {
		return nil, errors.New("peimage: no edits")
	}
	// Check every edit first, so that a name that is too long is reported
	// whether or not the file contains the old one.
	for i := range edits {
		if err := edits[i].validate(); err != nil {
			return nil, editErr(edits, i, err)
		}
	}
	rep := &Report{}
	work := img // where occurrences are searched
	if img.Signed() {
		switch o.Signature {
		case SignatureRefuse:
			return nil, &SignedError{Entries: len(img.certs), Offset: img.hdr.CertTable.Offset, Size: img.hdr.CertTable.Size}
		case SignatureStrip:
			data, res, err := img.stripped()
			if err != nil {
				return nil, err
			}
			// Search the stripped bytes; parse them so offsets map to sections.
			w := &Image{data: data, limits: img.limits}
			if err := w.classify(); err != nil {
				return nil, err
			}
			work, rep.Stripped = w, res
		case SignatureKeep:
			rep.SignatureInvalid = true
		default:
			return nil, fmt.Errorf("peimage: unknown signature policy %d", o.Signature)
		}
	}
	for i := range edits {
		cs, err := work.plan(&edits[i])
		if err != nil {
			return nil, editErr(edits, i, err)
		}
		rep.Changes = append(rep.Changes, cs...)
	}
	slices.SortFunc(rep.Changes, func(a, b Change) int { return cmp.Compare(a.Offset, b.Offset) })
	if err := work.checkOverlaps(rep.Changes); err != nil {
		return nil, err
	}

	// Apply. A stripped copy is private; the image's own bytes are patched
	// in place and restored from the change log if the result fails to parse.
	data := work.data
	for _, c := range rep.Changes {
		copy(data[c.Offset:], c.New)
	}
	if work.hdr != nil {
		fix := writeChecksum(data, work.hdr.ChecksumOffset)
		rep.Checksum = &fix
		if rep.Stripped != nil {
			rep.Stripped.Checksum = fix
		}
	}
	old := img.data
	undo := func() {
		if work != img {
			return
		}
		for _, c := range rep.Changes {
			copy(old[c.Offset:], c.Old)
		}
		if rep.Checksum != nil {
			binary.LittleEndian.PutUint32(old[rep.Checksum.Offset:], rep.Checksum.Old)
		}
	}
	oldKind := img.kind
	img.data = data
	err := img.classify()
	if err == nil && img.kind != oldKind {
		err = formatErr(0, "file", ErrFormat, "the edits would turn a %s into a %s", oldKind, img.kind)
	}
	if err != nil {
		img.data = old
		undo()
		if err2 := img.classify(); err2 != nil {
			return nil, errors.Join(err, err2)
		}
		return nil, fmt.Errorf("peimage: the edits damage the file's headers; nothing was changed: %w", err)
	}
	if rep.SignatureInvalid {
		rep.Warnings = append(rep.Warnings, Warning{img.hdr.CertTable.Offset, "Authenticode signature kept but no longer valid: Secure Boot and signature checks will reject this file"})
	}
	if img.kind == KindBIOSBootmgr {
		rep.Warnings = append(rep.Warnings, Warning{img.bootmgr.PayloadOffset, "BIOS bootmgr: only the 16-bit loader and PE stub were searched; bootmgr.exe itself is compressed"})
	}
	return rep, nil
}

// validate checks an edit without looking at the file.
func (e *Edit) validate() error {
	enc := e.Encoding.orBoth()
	if !enc.valid() {
		return fmt.Errorf("peimage: invalid encoding %d", e.Encoding)
	}
	if e.Old == "" {
		return fmt.Errorf("peimage: empty string to replace: %w", ErrNotFound)
	}
	if e.Count < 0 {
		return fmt.Errorf("peimage: negative Count %d", e.Count)
	}
	for _, x := range []Encoding{ASCII, UTF16LE} {
		if enc&x == 0 {
			continue
		}
		if o, n := len(x.encode(e.Old)), len(x.encode(e.New)); n > o {
			return &LengthError{Old: e.Old, New: e.New, Encoding: x, Needed: n, Available: o}
		}
	}
	return nil
}

// editErr names the failing edit when there are several.
func editErr(edits []Edit, i int, err error) error {
	if len(edits) == 1 {
		return err
	}
	return fmt.Errorf("edit %d (%q -> %q): %w", i+1, edits[i].Old, edits[i].New, err)
}

// plan finds the occurrences of one (validated) edit and builds its changes.
func (img *Image) plan(e *Edit) ([]Change, error) {
	enc := e.Encoding.orBoth()
	matches, err := img.Find(e.Old, &FindOptions{Encoding: enc, IgnoreCase: e.IgnoreCase})
	if err != nil {
		return nil, err
	}
	matches = slices.DeleteFunc(matches, func(m Match) bool { return m.InCertTable })
	if len(e.Offsets) > 0 {
		var kept []Match
		for _, off := range e.Offsets {
			i := slices.IndexFunc(matches, func(m Match) bool { return m.Offset == off })
			if i < 0 {
				return nil, fmt.Errorf("peimage: %q (%s) does not occur at offset %#x: %w", e.Old, enc, off, ErrNotFound)
			}
			if !slices.ContainsFunc(kept, func(m Match) bool { return m.Offset == off }) {
				kept = append(kept, matches[i])
			}
		}
		matches = kept
	}
	if e.Count > 0 && len(matches) != e.Count {
		return nil, &CountError{Old: e.Old, Want: e.Count, Got: len(matches)}
	}
	if len(matches) == 0 {
		err := fmt.Errorf("peimage: %q not found as %s: %w", e.Old, enc, ErrNotFound)
		if img.kind == KindBIOSBootmgr {
			err = fmt.Errorf("%w (%w: bootmgr.exe inside this BIOS bootmgr is compressed; patch bootmgr.exe instead)", err, ErrBIOSBootmgr)
		}
		return nil, err
	}
	changes := make([]Change, 0, len(matches))
	for _, m := range matches {
		nb := make([]byte, m.Length) // NUL padded
		copy(nb, m.Encoding.encode(e.New))
		changes = append(changes, Change{
			Offset: m.Offset, Encoding: m.Encoding,
			Old: slices.Clone(img.data[m.Offset : m.Offset+int64(m.Length)]), New: nb,
			OldText: e.Old, NewText: e.New, Section: m.Section, RVA: m.RVA,
		})
	}
	return changes, nil
}

// checkOverlaps refuses changes (sorted by offset) that overlap each other
// or the checksum field, which is rewritten after patching.
func (img *Image) checkOverlaps(cs []Change) error {
	for i, c := range cs {
		if i > 0 {
			if p := cs[i-1]; p.Offset+int64(len(p.Old)) > c.Offset {
				return fmt.Errorf("peimage: %q at %#x (%s) overlaps %q at %#x (%s): %w", c.OldText, c.Offset, c.Encoding, p.OldText, p.Offset, p.Encoding, ErrConflict)
			}
		}
		if img.hdr != nil && (Range{img.hdr.ChecksumOffset, checksumFieldSize}).overlaps(c.Offset, int64(len(c.Old))) {
			return fmt.Errorf("peimage: %q at %#x overlaps the PE checksum field at %#x: %w", c.OldText, c.Offset, img.hdr.ChecksumOffset, ErrConflict)
		}
	}
	return nil
}

// writeChecksum computes the checksum of data and stores it at off.
func writeChecksum(data []byte, off int64) ChecksumFix {
	c := NewChecksum(off)
	c.Write(data)
	fix := ChecksumFix{Offset: off, Old: binary.LittleEndian.Uint32(data[off:]), New: c.Sum32()}
	binary.LittleEndian.PutUint32(data[off:], fix.New)
	return fix
}

// ComputeChecksum returns the PE checksum of the current bytes.
func (img *Image) ComputeChecksum() (uint32, error) {
	if err := img.needPE(); err != nil {
		return 0, err
	}
	c := NewChecksum(img.hdr.ChecksumOffset)
	c.Write(img.data)
	return c.Sum32(), nil
}

// StoredChecksum returns the value of OptionalHeader.CheckSum.
func (img *Image) StoredChecksum() (uint32, error) {
	if err := img.needPE(); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(img.data[img.hdr.ChecksumOffset:]), nil
}

// VerifyChecksum returns nil when the stored checksum equals the computed
// one, and a *ChecksumError otherwise. A stored 0 (as Go and many linkers
// write) is a mismatch too; Windows enforces the checksum only for drivers,
// boot-time DLLs and boot applications.
func (img *Image) VerifyChecksum() error {
	computed, err := img.ComputeChecksum()
	if err != nil {
		return err
	}
	if stored, _ := img.StoredChecksum(); stored != computed {
		return &ChecksumError{Offset: img.hdr.ChecksumOffset, Stored: stored, Computed: computed}
	}
	return nil
}

// FixChecksum writes the computed checksum into the CheckSum field.
func (img *Image) FixChecksum() (ChecksumFix, error) {
	if err := img.needPE(); err != nil {
		return ChecksumFix{}, err
	}
	return writeChecksum(img.data, img.hdr.ChecksumOffset), nil
}
