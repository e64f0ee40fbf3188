package inf

import (
	"fmt"
	"sort"
	"strings"
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
	to   []string
}

type mapper struct{ rules []rootRule }

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, `\`) {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
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
		m.rules = append(m.rules, rootRule{from: f, to: splitPath(to)})
	}
	sort.Slice(m.rules, func(i, j int) bool {
		if len(m.rules[i].from) != len(m.rules[j].from) {
			return len(m.rules[i].from) > len(m.rules[j].from)
		}
		return strings.Join(m.rules[i].from, `\`) < strings.Join(m.rules[j].from, `\`)
	})
	return m
}

// resolve maps root\subkey to a target path.
func (m mapper) resolve(root, subkey string) (string, bool) {
	comp := append([]string{root}, splitPath(subkey)...)
	for _, r := range m.rules {
		if len(r.from) == 0 || len(r.from) > len(comp) {
			continue
		}
		match := true
		for i, f := range r.from {
			if strings.ToLower(comp[i]) != f {
				match = false
				break
			}
		}
		if match {
			out := append(append([]string(nil), r.to...), comp[len(r.from):]...)
			return strings.Join(out, `\`), true
		}
	}
	return "", false
}

// ApplyOps applies decoded registry lines to t in order, with mkhive's
// semantics (see ParseRegLine), and reports each line's outcome. It stops
// at the first error the target returns.
func ApplyOps(t RegistryTarget, ops []RegOp, opts *ApplyOptions) (*ApplyReport, error) {
	rep := &ApplyReport{}
	return rep, applyOps(t, ops, newMapper(opts), rep)
}

func applyOps(t RegistryTarget, ops []RegOp, m mapper, rep *ApplyReport) error {
	for _, op := range ops {
		a, err := applyOne(t, op, m)
		rep.Ops = append(rep.Ops, a)
		if err != nil {
			where := ""
			if op.Line != nil {
				where = fmt.Sprintf(" (line %d)", op.Line.Number())
			}
			return fmt.Errorf("inf: applying %s%s: %w", op, where, err)
		}
	}
	return nil
}

func applyOne(t RegistryTarget, op RegOp, m mapper) (AppliedOp, error) {
	a := AppliedOp{Op: op}
	if op.Kind == OpIgnore {
		a.Outcome = OutcomeIgnored
		return a, nil
	}
	p, ok := m.resolve(op.Root, op.Subkey)
	if !ok {
		a.Outcome = OutcomeUnmapped
		return a, nil
	}
	a.Path = p
	switch op.Kind {
	case OpDeleteValue:
		return a, t.DeleteValue(p, op.ValueName)
	case OpDeleteKey:
		return a, t.DeleteKey(p)
	case OpDeleteMultiSZString:
		typ, data, ok, err := t.RawValue(p, op.ValueName)
		if err != nil || !ok || RegType(typ) != RegMultiSZ {
			a.Outcome = OutcomeMissingTarget
			return a, err
		}
		cur, _ := DecodeMultiSZ(data)
		var keep []string
		for _, s := range cur {
			if !containsFold(op.Strings, s) {
				keep = append(keep, s)
			}
		}
		if len(keep) == len(cur) {
			a.Outcome = OutcomeUnchanged
			return a, nil
		}
		return a, t.SetRawValue(p, op.ValueName, uint32(RegMultiSZ), EncodeMultiSZ(keep))
	}
	if op.OverwriteOnly() {
		_, _, ok, err := t.RawValue(p, op.ValueName)
		if err != nil {
			return a, err
		}
		if !ok {
			a.Outcome = OutcomeMissingTarget
			return a, nil
		}
	} else if err := t.CreateKey(p); err != nil {
		return a, err
	}
	if op.Kind == OpCreateKey {
		return a, nil
	}
	if op.NoClobber() {
		_, _, ok, err := t.RawValue(p, op.ValueName)
		if err != nil {
			return a, err
		}
		if ok {
			a.Outcome = OutcomeKeptExisting
			return a, nil
		}
	}
	if op.Kind == OpAppendMultiSZ {
		typ, data, ok, err := t.RawValue(p, op.ValueName)
		if err != nil {
			return a, err
		}
		if !ok || RegType(typ) != RegMultiSZ {
			a.Outcome = OutcomeMissingTarget
			return a, nil
		}
		cur, _ := DecodeMultiSZ(data)
		n := len(cur)
		for _, s := range op.Strings {
			if !containsFold(cur, s) {
				cur = append(cur, s)
			}
		}
		if len(cur) == n {
			a.Outcome = OutcomeUnchanged
			return a, nil
		}
		return a, t.SetRawValue(p, op.ValueName, uint32(RegMultiSZ), EncodeMultiSZ(cur))
	}
	return a, t.SetRawValue(p, op.ValueName, uint32(op.Type), op.Data)
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
// skipped, as mkhive skips them.
func (d *Document) ApplyRegistry(t RegistryTarget, delSection, addSection string, opts *ApplyOptions) (*ApplyReport, error) {
	rep := &ApplyReport{}
	return rep, d.applyRegistry(t, delSection, addSection, newMapper(opts), rep)
}

func (d *Document) applyRegistry(t RegistryTarget, delSection, addSection string, m mapper, rep *ApplyReport) error {
	for _, step := range []struct {
		sec string
		del bool
	}{{delSection, true}, {addSection, false}} {
		if step.sec == "" || d.Section(step.sec) == nil {
			continue
		}
		ops, err := d.RegOps(step.sec, step.del)
		if err != nil {
			return err
		}
		if err := applyOps(t, ops, m, rep); err != nil {
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
	m := newMapper(opts)
	for _, d := range docs {
		if err := d.applyRegistry(t, "DelReg", "AddReg", m, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
