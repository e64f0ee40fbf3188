package inf

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// RegistryTarget is what AddReg/DelReg sections are applied to.
//
// Paths are '\'-separated, relative to the target's root ("" is the root)
// and case-insensitive. CreateKey creates missing intermediate keys and
// succeeds when the key exists. SetRawValue creates the key if missing and
// creates or overwrites the value ("" names the default value). RawValue
// returns ok=false and a nil error when the key or the value is missing.
// DeleteValue and DeleteKey (which removes subkeys too) return nil when
// there is nothing to delete. *hive.Hive satisfies it.
type RegistryTarget interface {
	CreateKey(path string) error
	SetRawValue(path, name string, typ uint32, data []byte) error
	RawValue(path, name string) (typ uint32, data []byte, ok bool, err error)
	DeleteValue(path, name string) error
	DeleteKey(path string) error
}

// DefaultRoots maps the INF root keys to the top-level key names of a
// target that holds the whole registry. HKR (relative to a device or
// service key) is not mapped: give it a mapping to apply HKR lines.
var DefaultRoots = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE",
	"HKCU": "HKEY_CURRENT_USER",
	"HKCR": "HKEY_CLASSES_ROOT",
	"HKU":  "HKEY_USERS",
}

// ApplyOptions control how registry lines reach a target.
type ApplyOptions struct {
	// Roots maps an INF root, optionally followed by a key path, to a
	// path in the target; the longest matching entry wins, compared
	// case-insensitively by path component. For a SYSTEM hive built the
	// way ReactOS' mkhive does:
	//
	//	{`HKLM\SYSTEM\CurrentControlSet`: "ControlSet001", `HKLM\SYSTEM`: ""}
	//
	// and for a hive whose root is HKLM\SYSTEM with a CurrentControlSet
	// key of its own, {`HKLM\SYSTEM`: ""}. Lines whose path no entry
	// matches are not applied and are reported as OutcomeUnmapped.
	// Default DefaultRoots.
	Roots map[string]string
}

// Outcome is what applying one registry line did.
type Outcome uint8

// Outcomes.
const (
	OutcomeApplied       Outcome = iota // the target was changed (or the deletion found nothing to delete)
	OutcomeKeptExisting                 // NOCLOBBER: the value existed and was kept
	OutcomeMissingTarget                // OVERWRITEONLY or APPEND found no (suitable) value: only the key was created, if at all
	OutcomeUnchanged                    // APPEND or string deletion had nothing to change
	OutcomeIgnored                      // the line does not apply to this kind of section
	OutcomeUnmapped                     // no root mapping matched the line's path
)

func (o Outcome) String() string {
	switch o {
	case OutcomeApplied:
		return "applied"
	case OutcomeKeptExisting:
		return "kept-existing"
	case OutcomeMissingTarget:
		return "missing-target"
	case OutcomeUnchanged:
		return "unchanged"
	case OutcomeIgnored:
		return "ignored"
	case OutcomeUnmapped:
		return "unmapped"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// AppliedOp records one line's effect.
type AppliedOp struct {
	Op      RegOp
	Path    string // the key path in the target ("" for unmapped lines)
	Outcome Outcome
}

// ApplyReport lists what happened to every line, in order.
type ApplyReport struct {
	Ops []AppliedOp
}

// Count returns how many lines had the given outcome.
func (r *ApplyReport) Count(o Outcome) int {
	n := 0
	for _, a := range r.Ops {
		if a.Outcome == o {
			n++
		}
	}
	return n
}

type rootRule struct {
	from []string // folded components
	to   string   // target path, clean components joined with '\'
}

type mapper struct{ rules []rootRule }

func splitPath(p string) []string {
	var out []string
	for c, i, ok := nextComponent(p, 0); ok; c, i, ok = nextComponent(p, i) {
		out = append(out, c)
	}
	return out
}

// nextComponent returns the first non-empty component of the '\'-separated
// path p at or after index i, trimmed, and the index just after it.
func nextComponent(p string, i int) (c string, next int, ok bool) {
	for i < len(p) {
		end := len(p)
		if j := strings.IndexByte(p[i:], '\\'); j >= 0 {
			end = i + j
		}
		if c := strings.TrimSpace(p[i:end]); c != "" {
			return c, end + 1, true
		}
		i = end + 1
	}
	return "", len(p), false
}

// cleanPath reports whether p is its components joined with '\' (no
// empty components, no blanks around them), as splitPath would rebuild it.
func cleanPath(p string) bool {
	for i := 0; i <= len(p); {
		end := len(p)
		if j := strings.IndexByte(p[i:], '\\'); j >= 0 {
			end = i + j
		}
		seg := p[i:end]
		if p != "" && (seg == "" || strings.TrimSpace(seg) != seg) {
			return false
		}
		i = end + 1
	}
	return true
}

// lowerEq reports whether strings.ToLower(s) == folded, without
// allocating for ASCII s.
func lowerEq(s, folded string) bool {
	if len(s) != len(folded) {
		return strings.ToLower(s) == folded
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s) == folded
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != folded[i] {
			return false
		}
	}
	return true
}

func newMapper(opts *ApplyOptions) mapper {
	roots := DefaultRoots
	if opts != nil && opts.Roots != nil {
		roots = opts.Roots
	}
	var m mapper
	for from, to := range roots {
		f := splitPath(from)
		for i := range f {
			f[i] = strings.ToLower(f[i])
		}
		m.rules = append(m.rules, rootRule{from: f, to: strings.Join(splitPath(to), `\`)})
	}
	sort.Slice(m.rules, func(i, j int) bool {
		if len(m.rules[i].from) != len(m.rules[j].from) {
			return len(m.rules[i].from) > len(m.rules[j].from)
		}
		return strings.Join(m.rules[i].from, `\`) < strings.Join(m.rules[j].from, `\`)
	})
	return m
}

// resolve maps root\subkey to a target path: the root is one component,
// the subkey's components are trimmed and empty ones dropped.
func (m mapper) resolve(root, subkey string) (string, bool) {
rules:
	for _, r := range m.rules {
		if len(r.from) == 0 || !lowerEq(root, r.from[0]) {
			continue
		}
		i := 0
		for _, f := range r.from[1:] {
			c, next, ok := nextComponent(subkey, i)
			if !ok || !lowerEq(c, f) {
				continue rules
			}
			i = next
		}
		rest := subkey[min(i, len(subkey)):]
		if !cleanPath(rest) {
			rest = strings.Join(splitPath(rest), `\`)
		}
		switch {
		case r.to == "":
			return rest, true
		case rest == "":
			return r.to, true
		}
		return r.to + `\` + rest, true
	}
	return "", false
}

// ApplyOps applies decoded registry lines to t in order, with mkhive's
// semantics (see ParseRegLine), and reports each line's outcome. It stops
// at the first error the target returns.
func ApplyOps(t RegistryTarget, ops []RegOp, opts *ApplyOptions) (*ApplyReport, error) {
	rep := &ApplyReport{}
	if len(ops) > 0 {
		rep.Ops = make([]AppliedOp, len(ops))
		for i, op := range ops {
			rep.Ops[i].Op = op
		}
	}
	return rep, applyOps(t, rep, 0, newMapper(opts))
}

// applyOps applies rep.Ops[from:] (their Op set) and records their
// outcomes; after a target error, the report ends with the line that
// failed.
func applyOps(t RegistryTarget, rep *ApplyReport, from int, m mapper) error {
	for i := from; i < len(rep.Ops); i++ {
		a := &rep.Ops[i]
		if err := applyOne(t, a, m); err != nil {
			rep.Ops = rep.Ops[:i+1]
			where := ""
			if a.Op.Line != nil {
				where = fmt.Sprintf(" (line %d)", a.Op.Line.Number())
			}
			return fmt.Errorf("inf: applying %s%s: %w", a.Op, where, err)
		}
	}
	return nil
}

// applyOne applies a.Op and sets a.Path and a.Outcome.
func applyOne(t RegistryTarget, a *AppliedOp, m mapper) error {
	op := &a.Op
	if op.Kind == OpIgnore {
		a.Outcome = OutcomeIgnored
		return nil
	}
	p, ok := m.resolve(op.Root, op.Subkey)
	if !ok {
		a.Outcome = OutcomeUnmapped
		return nil
	}
	a.Path = p
	switch op.Kind {
	case OpDeleteValue:
		return t.DeleteValue(p, op.ValueName)
	case OpDeleteKey:
		return t.DeleteKey(p)
	case OpDeleteMultiSZString:
		typ, data, ok, err := t.RawValue(p, op.ValueName)
		if err != nil || !ok || RegType(typ) != RegMultiSZ {
			a.Outcome = OutcomeMissingTarget
			return err
		}
		cur, _ := DecodeMultiSZ(data)
		var keep []string
		del := newFoldSet(op.Strings, len(cur), 0)
		for _, s := range cur {
			if !del.has(s) {
				keep = append(keep, s)
			}
		}
		if len(keep) == len(cur) {
			a.Outcome = OutcomeUnchanged
			return nil
		}
		return t.SetRawValue(p, op.ValueName, uint32(RegMultiSZ), EncodeMultiSZ(keep))
	}
	if op.OverwriteOnly() {
		_, _, ok, err := t.RawValue(p, op.ValueName)
		if err != nil {
			return err
		}
		if !ok {
			a.Outcome = OutcomeMissingTarget
			return nil
		}
	} else if err := t.CreateKey(p); err != nil {
		return err
	}
	if op.Kind == OpCreateKey {
		return nil
	}
	if op.NoClobber() {
		_, _, ok, err := t.RawValue(p, op.ValueName)
		if err != nil {
			return err
		}
		if ok {
			a.Outcome = OutcomeKeptExisting
			return nil
		}
	}
	if op.Kind == OpAppendMultiSZ {
		typ, data, ok, err := t.RawValue(p, op.ValueName)
		if err != nil {
			return err
		}
		if !ok || RegType(typ) != RegMultiSZ {
			a.Outcome = OutcomeMissingTarget
			return nil
		}
		cur, _ := DecodeMultiSZ(data)
		n := len(cur)
		set := newFoldSet(cur, len(op.Strings), len(op.Strings))
		for _, s := range op.Strings {
			if !set.has(s) {
				set.add(s)
			}
		}
		cur = set.list
		if len(cur) == n {
			a.Outcome = OutcomeUnchanged
			return nil
		}
		return t.SetRawValue(p, op.ValueName, uint32(RegMultiSZ), EncodeMultiSZ(cur))
	}
	return t.SetRawValue(p, op.ValueName, uint32(op.Type), op.Data)
}

// foldSet answers containsFold for a list searched many times.
type foldSet struct {
	list []string
	m    map[string]bool // foldKey of each element, for long lists
}

// newFoldSet prepares list for lookups searches and at most adds
// additions.
func newFoldSet(list []string, lookups, adds int) foldSet {
	fs := foldSet{list: list}
	if adds > 0 {
		fs.list = append(make([]string, 0, len(list)+adds), list...)
	}
	if (len(list)+adds)*lookups > 256 {
		fs.m = make(map[string]bool, len(list)+adds)
		for _, x := range list {
			fs.m[foldKey(x)] = true
		}
	}
	return fs
}

func (fs *foldSet) has(s string) bool {
	if fs.m != nil {
		return fs.m[foldKey(s)]
	}
	return containsFold(fs.list, s)
}

func (fs *foldSet) add(s string) {
	fs.list = append(fs.list, s)
	if fs.m != nil {
		fs.m[foldKey(s)] = true
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ApplyRegistry applies the DelReg section delSection (if not "") and then
// the AddReg section addSection (if not "") of d to t. Missing sections are
// skipped, as mkhive skips them. A section with a line that does not
// decode is not applied (the error is returned), nor is anything after it.
func (d *Document) ApplyRegistry(t RegistryTarget, delSection, addSection string, opts *ApplyOptions) (*ApplyReport, error) {
	rep := &ApplyReport{}
	if n := d.regEntries(delSection) + d.regEntries(addSection); n > 0 {
		rep.Ops = make([]AppliedOp, 0, n)
	}
	return rep, d.applyRegistry(t, delSection, addSection, newMapper(opts), rep)
}

// regEntries counts the entries of a registry section ("" or missing: 0).
func (d *Document) regEntries(section string) int {
	n := 0
	if s := d.Section(section); section != "" && s != nil {
		for _, l := range s.lines() {
			if l.kind == Entry {
				n++
			}
		}
	}
	return n
}

// applyRegistry decodes each section into the report first (so that a
// section with a bad line is not applied at all), then applies it.
func (d *Document) applyRegistry(t RegistryTarget, delSection, addSection string, m mapper, rep *ApplyReport) error {
	a := newRegArena(d.regEntries(delSection) + d.regEntries(addSection))
	for _, step := range [...]struct {
		sec string
		del bool
	}{{delSection, true}, {addSection, false}} {
		if step.sec == "" {
			continue
		}
		s := d.Section(step.sec)
		if s == nil {
			continue
		}
		from := len(rep.Ops)
		for _, l := range s.lines() {
			if l.kind != Entry {
				continue
			}
			op, err := parseRegLine(l, step.del, a)
			if err == nil {
				err = d.substErr()
			}
			if err != nil {
				clear(rep.Ops[from:])
				rep.Ops = rep.Ops[:from]
				return err
			}
			rep.Ops = append(rep.Ops, AppliedOp{Op: op})
		}
		if err := applyOps(t, rep, from, m); err != nil {
			return err
		}
	}
	return nil
}

// ApplyHiveINF applies hive INFs to t the way ReactOS' mkhive builds its
// hives: for each document in order, its [DelReg] section, then its
// [AddReg] section. To build a text-mode setup hive, pass setupreg.inf and
// then hivesys.inf (and *_reg.inf files).
func ApplyHiveINF(t RegistryTarget, opts *ApplyOptions, docs ...*Document) (*ApplyReport, error) {
	rep := &ApplyReport{}
	n := 0
	for _, d := range docs {
		n += d.regEntries("DelReg") + d.regEntries("AddReg")
	}
	if n > 0 {
		rep.Ops = make([]AppliedOp, 0, n)
	}
	m := newMapper(opts)
	for _, d := range docs {
		if err := d.applyRegistry(t, "DelReg", "AddReg", m, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
