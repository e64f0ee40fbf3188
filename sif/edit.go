package sif

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

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
	// The edit is made on a copy first, so that t changes only when it
	// succeeds. inf keeps an edited document equal to what its bytes read
	// back as (an edit that would let a last line's continuation run into
	// added lines fails with inf.ErrDanglingContinuation), so the copy need
	// not be read back again; FuzzSlipstream checks it.
	trial, err := t.clone()
	if err != nil {
		return nil, err
	}
	edits, err := s.editSIF(trial, remove)
	if err != nil {
		return nil, err
	}
	if CountChanges(edits) == 0 {
		return edits, nil // nothing to do: t is as the edit leaves it
	}
	return s.editSIF(t, remove)
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

// indexKeys indexes the entries of sec whose lower-cased key is one of
// want's, without allocating for the others.
func indexKeys(sec *inf.Section, want map[string]bool) keyIndex {
	idx := keyIndex{}
	var buf []byte
	for _, l := range sec.Entries() {
		if !l.HasKey() {
			continue
		}
		buf = appendLower(buf[:0], l.Key())
		if want[string(buf)] {
			idx[string(buf)] = append(idx[string(buf)], l)
		}
	}
	return idx
}

// appendLower appends strings.ToLower(s) to dst.
func appendLower(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// sectionTarget is a section an edit works on, looked up and indexed
// before the first edit (inf rebuilds its line tables for the first reader
// after each edit, so reading between edits costs a pass over the file).
type sectionTarget struct {
	name string
	sec  *inf.Section // nil: the section does not exist yet
	want map[string]bool
	idx  keyIndex
}

// targets looks up the sections of the entries (names[i] is entry i's
// section) and indexes the keys the entries have.
func targets(d *inf.Document, entries []SIFEntry, names [][]string) map[string]*sectionTarget {
	out := map[string]*sectionTarget{}
	for i, e := range entries {
		for _, name := range names[i] {
			k := strings.ToLower(name)
			tg := out[k]
			if tg == nil {
				tg = &sectionTarget{name: name, sec: d.Section(name), want: map[string]bool{}}
				out[k] = tg
			}
			tg.want[strings.ToLower(e.Key)] = true
		}
	}
	for _, tg := range out {
		if tg.sec != nil {
			tg.idx = indexKeys(tg.sec, tg.want)
		} else {
			tg.idx = keyIndex{}
		}
	}
	return out
}

func (s *Slipstream) addSIF(t *SIF) ([]Edit, error) {
	var edits []Edit
	edits = append(edits, s.sifNotes(t)...)
	d := t.doc
	names := make([][]string, len(s.Entries))
	for i, e := range s.Entries {
		names[i] = []string{s.sectionFor(t, e)}
	}
	tgs := targets(d, s.Entries, names)
	// The other services that load the driver file, noted for the
	// [SCSI.Load] entry.
	others := map[int][]*inf.Line{}
	for i, e := range s.Entries {
		if tg := tgs[strings.ToLower(names[i][0])]; e.role == roleLoad && tg.sec != nil {
			for _, l := range tg.sec.Entries() {
				if !strings.EqualFold(l.Key(), e.Key) && strings.EqualFold(strings.TrimSpace(l.Field(0)), s.DriverFile) {
					others[i] = append(others[i], l)
				}
			}
		}
	}
	for i, e := range s.Entries {
		tg := tgs[strings.ToLower(names[i][0])]
		k := strings.ToLower(e.Key)
		if tg.sec != nil {
			done, ed, err := s.existing(tg.sec, tg.idx[k], others[i], e)
			if err != nil {
				return nil, err
			}
			edits = append(edits, ed...)
			if done {
				continue
			}
		} else {
			sec, header, err := createSection(d, tg.name)
			if err != nil {
				return nil, editError(fileSIF, err)
			}
			tg.sec = sec
			edits = append(edits, Edit{Kind: EditCreateSection, Section: tg.name, line: header,
				Note: "the section did not exist"})
		}
		l, err := tg.sec.AppendLine(e.Text)
		if err != nil {
			return nil, editError(fileSIF, err)
		}
		tg.idx[k] = append(tg.idx[k], l)
		edits = append(edits, Edit{Kind: EditAdd, Section: tg.sec.Name(), New: e.Text, line: l})
	}
	return edits, nil
}

// createSection appends "[name]" at the end of d after a blank line that it
// always adds (even when the file already ends with a blank line), so that
// removing the section and the blank line before it restores the file. It
// returns the section and its header line.
func createSection(d *inf.Document, name string) (*inf.Section, *inf.Line, error) {
	if last := d.LastLine(); last != nil {
		if _, err := last.InsertAfter(""); err != nil {
			return nil, nil, err
		}
	}
	sec, err := d.AddSection(name)
	if err != nil {
		return nil, nil, err
	}
	return sec, d.LastLine(), nil
}

// existing looks at the entries of sec with e's key (same, in file order)
// that an entry e is about; others are the entries of another service that
// load the same file (for a [SCSI.Load] entry). done reports that nothing
// needs to be added.
func (s *Slipstream) existing(sec *inf.Section, same, others []*inf.Line, e SIFEntry) (bool, []Edit, error) {
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
		for _, l := range others {
			edits = append(edits, Edit{Kind: EditNote, Section: sec.Name(), Old: l.Text(), line: l,
				Note: fmt.Sprintf("another service loads %s too", s.DriverFile)})
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
	d := t.doc
	names := make([][]string, len(s.Entries))
	for i, e := range s.Entries {
		if e.role == roleFile && e.Section == "" {
			names[i] = []string{SectionSourceDisksFiles, archSection(SectionSourceDisksFiles, s.Arch)}
		} else {
			names[i] = []string{e.Section}
		}
	}
	tgs := targets(d, s.Entries, names)
	// Find every line to remove first, then number them (one pass over
	// the file), then remove them.
	type removal struct {
		l   *inf.Line
		sec string
	}
	var plan []removal
	planned := map[*inf.Line]bool{}
	for i, e := range s.Entries {
		for _, name := range names[i] {
			tg := tgs[strings.ToLower(name)]
			if tg.sec == nil {
				continue
			}
			for _, l := range tg.idx[strings.ToLower(e.Key)] {
				if planned[l] || !s.isMine(e, l) {
					continue // a duplicate entry of the slipstream is removed once
				}
				planned[l] = true
				plan = append(plan, removal{l, tg.sec.Name()})
			}
		}
	}
	lines := make([]*inf.Line, len(plan))
	for i, r := range plan {
		lines[i] = r.l
	}
	nums := numbersAtRemoval(lines)
	var edits []Edit
	touched := map[string]bool{}
	for i, r := range plan {
		ed := Edit{Kind: EditRemove, Section: r.sec, Old: r.l.Text(), Line: nums[i]}
		if err := r.l.Remove(); err != nil {
			return nil, editError(fileSIF, err)
		}
		edits = append(edits, ed)
		touched[strings.ToLower(r.sec)] = true
	}
	more, err := removeEmptyTail(d, touched)
	if err != nil {
		return nil, editError(fileSIF, err)
	}
	return append(edits, more...), nil
}

// numbersAtRemoval returns the line number each of lines has when the
// lines are removed one after the other in this order: its number now
// minus the physical lines removed before it in the file by earlier
// removals (a Fenwick tree over the lines' ranks in file order).
func numbersAtRemoval(lines []*inf.Line) []int {
	nums := make([]int, len(lines))
	for i, l := range lines {
		nums[i] = l.Number()
	}
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return nums[order[a]] < nums[order[b]] })
	rank := make([]int, len(lines))
	for r, i := range order {
		rank[i] = r + 1
	}
	tree := make([]int, len(lines)+1)
	out := make([]int, len(lines))
	for i, l := range lines {
		before := 0
		for j := rank[i] - 1; j > 0; j -= j & -j {
			before += tree[j]
		}
		out[i] = nums[i] - before
		for j := rank[i]; j < len(tree); j += j & -j {
			tree[j] += l.PhysicalLines()
		}
	}
	return out
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
// createSection made them. One snapshot of the lines serves every round
// (each removes lines at the end only), so that it reads the file once.
func removeEmptyTail(d *inf.Document, touched map[string]bool) ([]Edit, error) {
	if len(touched) == 0 {
		return nil, nil
	}
	lines := make([]*inf.Line, 0, d.NumLines())
	nums := make([]int, 0, d.NumLines())
	headers := map[*inf.Section]int{}
	body := map[*inf.Section]int{}
	for l := range d.Lines() {
		lines = append(lines, l)
		nums = append(nums, l.Number())
		if sec := l.Section(); sec != nil {
			if l.Kind() == inf.Header {
				headers[sec]++
			} else {
				body[sec]++
			}
		}
	}
	var edits []Edit
	for end := len(lines); ; {
		h := end - 1
		for h >= 0 && lines[h].Kind() != inf.Header {
			h--
		}
		if h < 0 {
			return edits, nil
		}
		sec := lines[h].Section()
		if sec == nil || !touched[strings.ToLower(sec.Name())] || headers[sec] != 1 || body[sec] > 0 {
			return edits, nil // not made by the slipstream, or it still holds something
		}
		edits = append(edits, Edit{Kind: EditRemoveSection, Section: sec.Name(), Line: nums[h],
			Note: "the section is empty"})
		if err := sec.Remove(); err != nil {
			return nil, err
		}
		end = h
		if h > 0 && lines[h-1].Kind() == inf.Blank {
			before := lines[h-1]
			if err := before.Remove(); err != nil && !errors.Is(err, inf.ErrRemoved) {
				return nil, err
			}
			if sec := before.Section(); sec != nil {
				body[sec]--
			}
			end = h - 1
		}
	}
}
