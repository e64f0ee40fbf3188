package sif

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

// EditKind says what an Edit did.
type EditKind uint8

// Kinds of edit.
const (
	EditAdd           EditKind = iota // a line was added
	EditUpdate                        // an existing line was changed in place
	EditRemove                        // a line was removed
	EditUnchanged                     // the entry was already there
	EditKept                          // an existing entry differs and was left as it is
	EditCreateSection                 // a missing section was created
	EditRemoveSection                 // a section the slipstream had created was removed
	EditNote                          // nothing changed; something to know
)

var editKindNames = [...]string{"add", "update", "remove", "unchanged", "kept", "create-section", "remove-section", "note"}

func (k EditKind) String() string {
	if int(k) < len(editKindNames) {
		return editKindNames[k]
	}
	return fmt.Sprintf("EditKind(%d)", uint8(k))
}

// MarshalText renders the kind as its name, for JSON plans.
func (k EditKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Changes reports whether the kind changes the file.
func (k EditKind) Changes() bool {
	switch k {
	case EditAdd, EditUpdate, EditRemove, EditCreateSection, EditRemoveSection:
		return true
	}
	return false
}

// Edit is one step of applying or removing a slipstream.
type Edit struct {
	Kind    EditKind `json:"kind"`
	File    string   `json:"file,omitempty"`
	Section string   `json:"section,omitempty"`
	Line    int      `json:"line,omitempty"` // line number after the edit (before it, for removals)
	Old     string   `json:"old,omitempty"`  // the line before the edit
	New     string   `json:"new,omitempty"`  // the line after the edit
	Note    string   `json:"note,omitempty"`

	line *inf.Line // to number added lines once all edits are done
}

func (e Edit) String() string {
	var sb strings.Builder
	sb.WriteString(e.Kind.String())
	if e.File != "" {
		sb.WriteString(" " + e.File)
	}
	if e.Section != "" {
		sb.WriteString(" [" + e.Section + "]")
	}
	if e.Line > 0 {
		fmt.Fprintf(&sb, " line %d", e.Line)
	}
	switch {
	case e.Old != "" && e.New != "":
		fmt.Fprintf(&sb, ": %s -> %s", e.Old, e.New)
	case e.New != "":
		sb.WriteString(": " + e.New)
	case e.Old != "":
		sb.WriteString(": " + e.Old)
	}
	if e.Note != "" {
		sb.WriteString(" (" + e.Note + ")")
	}
	return sb.String()
}

// CountChanges returns how many edits change the file.
func CountChanges(edits []Edit) int {
	n := 0
	for _, e := range edits {
		if e.Kind.Changes() {
			n++
		}
	}
	return n
}

const fileSIF = "txtsetup.sif"

// ApplySIF adds the driver to a txtsetup.sif:
//
//	[SourceDisksFiles(.arch)]  F.sys = 1,,,,,,4_,4,1,,,1,4   (the Fields template)
//	[SCSI.Load]                S = F.sys,4
//	[SCSI]                     S = "description"
//	[HardwareIdsDatabase]      HWID = "S"                    (one per hardware ID)
//	[FileFlags]                F.sys = 16
//
// Missing sections are created at the end of the file. Entries already
// present are left alone, so a second ApplySIF changes nothing; a
// [HardwareIdsDatabase] entry for the same ID that names another service
// is updated in place; other existing entries that differ are kept, with
// an EditKept edit saying so. An existing [SCSI.Load] entry for the same
// service that loads another file is an error wrapping ErrConflict.
//
// The edit is all or nothing: it is first made on a copy, and t changes
// only when the copy succeeded.
func (s *Slipstream) ApplySIF(t *SIF) ([]Edit, error) { return s.runSIF(t, false) }

// RemoveSIF takes the driver out of a txtsetup.sif again: it removes the
// lines ApplySIF adds (matched by key and fields, whatever their spacing)
// and the sections ApplySIF created that are left empty at the end of the
// file, with the blank line before them. After ApplySIF on a file that had
// none of the driver's entries, RemoveSIF gives back the original bytes.
// It cannot restore a [HardwareIdsDatabase] entry ApplySIF updated in
// place, and it removes matching entries that were there before.
func (s *Slipstream) RemoveSIF(t *SIF) ([]Edit, error) { return s.runSIF(t, true) }

// PlanSIF returns the edits ApplySIF would make, without changing t.
func (s *Slipstream) PlanSIF(t *SIF) ([]Edit, error) {
	c, err := t.clone()
	if err != nil {
		return nil, err
	}
	return s.editSIF(c, false)
}

func (t *SIF) clone() (*SIF, error) {
	d, err := cloneDoc(t.doc, t.opts.infOptions(inf.SetupAPI))
	if err != nil {
		return nil, err
	}
	return &SIF{doc: d, opts: t.opts}, nil
}

func (s *Slipstream) runSIF(t *SIF, remove bool) ([]Edit, error) {
	trial, err := t.clone()
	if err != nil {
		return nil, err
	}
	if _, err := s.editSIF(trial, remove); err != nil {
		return nil, err
	}
	if err := verifyReparse(fileSIF, trial.doc, t.opts.infOptions(inf.SetupAPI)); err != nil {
		return nil, err
	}
	return s.editSIF(t, remove)
}

// verifyReparse checks that the edited document reads back as the same
// lines. inf keeps an edited document's lines as they were made; a file
// whose last line ends in a backslash without a line ending is the case where
// reading the bytes again differs (the line gains a line ending and then
// continues into the added lines). Such an edit is refused, rather than
// written as something else than planned.
func verifyReparse(file string, d *inf.Document, opts *inf.ReadOptions) error {
	re, err := cloneDoc(d, opts)
	if err != nil {
		return fmt.Errorf("sif: %s: the edited file does not read back: %w: %w", file, ErrInvalid, err)
	}
	a, b := d.Lines(), re.Lines()
	next, stop := iter.Pull(b)
	defer stop()
	for l := range a {
		m, ok := next()
		if !ok || !bytes.Equal(l.Raw(), m.Raw()) {
			return fmt.Errorf("sif: %s: line %d would read back differently after the edit (a line ending in '\\' at the end of the file continues into added lines): %w",
				file, l.Number(), ErrInvalid)
		}
	}
	if _, ok := next(); ok {
		return fmt.Errorf("sif: %s: the edited file reads back with more lines: %w", file, ErrInvalid)
	}
	return nil
}

// editError wraps an error of an inf edit.
func editError(file string, err error) error {
	if errors.Is(err, inf.ErrInvalidText) || errors.Is(err, inf.ErrEncoding) {
		return fmt.Errorf("sif: %s: %w: %w", file, ErrInvalid, err)
	}
	return fmt.Errorf("sif: %s: %w", file, err)
}

func (s *Slipstream) editSIF(t *SIF, remove bool) ([]Edit, error) {
	var (
		edits []Edit
		err   error
	)
	if remove {
		edits, err = s.removeSIF(t)
	} else {
		edits, err = s.addSIF(t)
	}
	if err != nil {
		return nil, err
	}
	for i := range edits {
		edits[i].File = fileSIF
		if edits[i].line != nil {
			edits[i].Line = edits[i].line.Number()
			edits[i].line = nil
		}
	}
	return edits, nil
}

// sectionFor returns the section an entry goes into in t.
func (s *Slipstream) sectionFor(t *SIF, e SIFEntry) string {
	if e.role == roleFile && e.Section == "" {
		return t.FilesSection(s.Arch)
	}
	return e.Section
}

// sameFields compares entry fields the way setup reads them: trimmed and
// case-insensitively.
func sameFields(a, b []string) bool {
	for len(a) > 0 && strings.TrimSpace(a[len(a)-1]) == "" {
		a = a[:len(a)-1]
	}
	for len(b) > 0 && strings.TrimSpace(b[len(b)-1]) == "" {
		b = b[:len(b)-1]
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(strings.TrimSpace(a[i]), strings.TrimSpace(b[i])) {
			return false
		}
	}
	return true
}

// keyIndex maps folded keys of a section's entries to the entries, so that
// a driver with thousands of hardware IDs does not search the section once
// per ID.
type keyIndex map[string][]*inf.Line

func indexSection(sec *inf.Section) keyIndex {
	idx := keyIndex{}
	for _, l := range sec.Entries() {
		if l.HasKey() {
			k := strings.ToLower(l.Key())
			idx[k] = append(idx[k], l)
		}
	}
	return idx
}

func (s *Slipstream) addSIF(t *SIF) ([]Edit, error) {
	var edits []Edit
	edits = append(edits, s.sifNotes(t)...)
	d := t.doc
	indexes := map[string]keyIndex{}
	for _, e := range s.Entries {
		name := s.sectionFor(t, e)
		sec := d.Section(name)
		if sec != nil {
			idx := indexes[strings.ToLower(name)]
			if idx == nil {
				idx = indexSection(sec)
				indexes[strings.ToLower(name)] = idx
			}
			done, ed, err := s.existing(sec, idx[strings.ToLower(e.Key)], e)
			if err != nil {
				return nil, err
			}
			edits = append(edits, ed...)
			if done {
				continue
			}
		} else {
			var err error
			if sec, err = createSection(d, name); err != nil {
				return nil, editError(fileSIF, err)
			}
			indexes[strings.ToLower(name)] = keyIndex{}
			edits = append(edits, Edit{Kind: EditCreateSection, Section: name, line: sec.Headers()[0],
				Note: "the section did not exist"})
		}
		l, err := sec.AppendLine(e.Text)
		if err != nil {
			return nil, editError(fileSIF, err)
		}
		k := strings.ToLower(e.Key)
		indexes[strings.ToLower(name)][k] = append(indexes[strings.ToLower(name)][k], l)
		edits = append(edits, Edit{Kind: EditAdd, Section: sec.Name(), New: e.Text, line: l})
	}
	return edits, nil
}

// createSection appends "[name]" at the end of d after a blank line that it
// always adds (even when the file already ends with a blank line), so that
// removing the section and the blank line before it restores the file.
func createSection(d *inf.Document, name string) (*inf.Section, error) {
	var last *inf.Line
	for l := range d.Lines() {
		last = l
	}
	if last != nil {
		if _, err := last.InsertAfter(""); err != nil {
			return nil, err
		}
	}
	return d.AddSection(name)
}

// existing looks at the entries of sec with e's key (same, in file order)
// that an entry e is about. done reports that nothing needs to be added.
func (s *Slipstream) existing(sec *inf.Section, same []*inf.Line, e SIFEntry) (bool, []Edit, error) {
	var edits []Edit
	kept := func(l *inf.Line, note string) {
		edits = append(edits, Edit{Kind: EditKept, Section: sec.Name(), Old: l.Text(), line: l, Note: note})
	}
	unchanged := func(l *inf.Line) {
		edits = append(edits, Edit{Kind: EditUnchanged, Section: sec.Name(), Old: l.Text(), line: l})
	}
	switch e.role {
	case roleFile:
		done := false
		for _, l := range same {
			f := ParseSourceDisksFile(l.Key(), l.Fields())
			if !strings.EqualFold(strings.TrimSpace(f.DestDirID), strings.TrimSpace(s.fields.DestDirID)) {
				continue
			}
			done = true
			if sameFields(l.Fields(), e.Fields) {
				unchanged(l)
			} else {
				kept(l, fmt.Sprintf("the file is already listed for destination directory %s with other fields; wanted %s", f.DestDirID, e.Text))
			}
		}
		return done, edits, nil
	case roleLoad:
		for _, l := range same {
			if !strings.EqualFold(strings.TrimSpace(l.Field(0)), s.DriverFile) {
				return false, nil, &EntryError{File: fileSIF, Section: sec.Name(), Line: l.Number(), Text: l.Text(), Err: ErrConflict,
					Msg: fmt.Sprintf("service %s already loads another file than %s", s.Service, s.DriverFile)}
			}
		}
		for _, l := range sec.Entries() {
			if !strings.EqualFold(l.Key(), e.Key) && strings.EqualFold(strings.TrimSpace(l.Field(0)), s.DriverFile) {
				edits = append(edits, Edit{Kind: EditNote, Section: sec.Name(), Old: l.Text(), line: l,
					Note: fmt.Sprintf("another service loads %s too", s.DriverFile)})
			}
		}
		if len(same) > 0 {
			l := same[0]
			if sameFields(l.Fields(), e.Fields) {
				unchanged(l)
			} else {
				note := "the entry differs from " + e.Text
				if strings.TrimSpace(l.Field(1)) == "" {
					note += "; Windows setup copies the file only when a destination directory is given"
				}
				kept(l, note)
			}
			return true, edits, nil
		}
		return false, edits, nil
	case roleHardwareID:
		ls := same
		for _, l := range ls {
			if strings.EqualFold(strings.TrimSpace(l.Field(0)), s.Service) {
				unchanged(l)
				return true, edits, nil
			}
		}
		if len(ls) > 0 {
			l := ls[0]
			old := l.Text()
			// SetFields keeps the line's key, spacing, comment and
			// quoting, like the entries around it.
			if err := l.SetFields(s.Service); err != nil {
				return false, nil, editError(fileSIF, err)
			}
			edits = append(edits, Edit{Kind: EditUpdate, Section: sec.Name(), Old: old, New: l.Text(), line: l,
				Note: "the hardware ID was mapped to another service"})
			return true, edits, nil
		}
		return false, edits, nil
	default: // roleDescription, roleFileFlags: one value per key
		if len(same) > 0 {
			l := same[0]
			if sameFields(l.Fields(), e.Fields) {
				unchanged(l)
			} else {
				kept(l, "the entry differs from "+e.Text)
			}
			return true, edits, nil
		}
		return false, edits, nil
	}
}

// sifNotes checks what the driver's entries rely on.
func (s *Slipstream) sifNotes(t *SIF) []Edit {
	var out []Edit
	note := func(section, format string, args ...any) {
		out = append(out, Edit{Kind: EditNote, Section: section, Note: fmt.Sprintf(format, args...)})
	}
	if v, ok := t.SetupData("MinorVersion"); ok && strings.TrimSpace(v) == "0" && len(s.fields.Fields()) > 10 {
		note(SectionSetupData, "MinorVersion = 0 (Windows 2000): consider the FieldsWin2000 template, which has no WinPE fields")
	}
	if _, ok := t.SourceDisk(s.Arch, s.fields.DiskID); !ok && s.fields.DiskID != "" {
		note(SectionSourceDisksNames, "source disk %s is not listed in [SourceDisksNames.%s] or [SourceDisksNames]", s.fields.DiskID, s.Arch)
	}
	if dir := strings.TrimSpace(s.fields.DestDirID); dir != "" {
		if p, ok := t.Directory(dir); !ok {
			note(t.DirectoriesSection(), "destination directory %s is not defined", dir)
		} else if dir == "4" && !strings.EqualFold(strings.Trim(p, `\ `), `system32\drivers`) {
			note(t.DirectoriesSection(), "destination directory 4 is %q, not system32\\drivers", p)
		}
	}
	return out
}

func (s *Slipstream) removeSIF(t *SIF) ([]Edit, error) {
	var edits []Edit
	d := t.doc
	touched := map[string]bool{}
	indexes := map[string]keyIndex{}
	for _, e := range s.Entries {
		var names []string
		if e.role == roleFile && e.Section == "" {
			names = []string{SectionSourceDisksFiles, archSection(SectionSourceDisksFiles, s.Arch)}
		} else {
			names = []string{e.Section}
		}
		for _, name := range names {
			sec := d.Section(name)
			if sec == nil {
				continue
			}
			idx := indexes[strings.ToLower(name)]
			if idx == nil {
				idx = indexSection(sec)
				indexes[strings.ToLower(name)] = idx
			}
			for _, l := range idx[strings.ToLower(e.Key)] {
				if !s.isMine(e, l) {
					continue
				}
				ed := Edit{Kind: EditRemove, Section: sec.Name(), Old: l.Text(), Line: l.Number()}
				if err := l.Remove(); err != nil {
					if errors.Is(err, inf.ErrRemoved) {
						continue // a duplicate entry of the slipstream, removed already
					}
					return nil, editError(fileSIF, err)
				}
				edits = append(edits, ed)
				touched[strings.ToLower(sec.Name())] = true
			}
		}
	}
	more, err := removeEmptyTail(d, touched)
	if err != nil {
		return nil, editError(fileSIF, err)
	}
	return append(edits, more...), nil
}

// isMine reports whether l is an entry ApplySIF would write for e.
func (s *Slipstream) isMine(e SIFEntry, l *inf.Line) bool {
	if e.role == roleHardwareID {
		return l.NumFields() == 1 && strings.EqualFold(strings.TrimSpace(l.Field(0)), s.Service)
	}
	return sameFields(l.Fields(), e.Fields)
}

// removeEmptyTail removes, from the end of d, sections named in touched
// that have no lines left, each with the blank line before its header, as
// createSection made them.
func removeEmptyTail(d *inf.Document, touched map[string]bool) ([]Edit, error) {
	var edits []Edit
	for {
		var prev, header, before *inf.Line
		for l := range d.Lines() {
			if l.Kind() == inf.Header {
				header, before = l, prev
			}
			prev = l
		}
		if header == nil {
			return edits, nil
		}
		sec := header.Section()
		if sec == nil || !touched[strings.ToLower(sec.Name())] || len(sec.Headers()) != 1 {
			return edits, nil
		}
		for range sec.Lines() {
			return edits, nil // the section still holds something
		}
		edits = append(edits, Edit{Kind: EditRemoveSection, Section: sec.Name(), Line: header.Number(),
			Note: "the section is empty"})
		if err := sec.Remove(); err != nil {
			return nil, err
		}
		if before != nil && before.Kind() == inf.Blank {
			if err := before.Remove(); err != nil && !errors.Is(err, inf.ErrRemoved) {
				return nil, err
			}
		}
	}
}
