package sif

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
)

const (
	fileHiveINF   = "hivesys.inf"
	fileSetupHive = "setup hive"
)

// SetupHiveRoots returns the root mapping of a text-mode setup hive
// (SETUPREG.HIV): its root key is HKLM\SYSTEM, and CurrentControlSet is
// ControlSet001, as ReactOS' mkhive and Windows' setupreg.hiv have it.
// Each call returns a new map.
func SetupHiveRoots() map[string]string {
	return map[string]string{`HKLM\SYSTEM\CurrentControlSet`: "ControlSet001", `HKLM\SYSTEM`: ""}
}

// regOps decodes the slipstream's registry values through their hive INF
// lines, so that a hive gets exactly what the text says.
func (s *Slipstream) regOps() ([]inf.RegOp, error) {
	lines, err := s.HiveLines()
	if err != nil {
		return nil, err
	}
	d, err := inf.Parse([]byte("[AddReg]\r\n"+strings.Join(lines, "\r\n")+"\r\n"), nil)
	if err != nil {
		return nil, fmt.Errorf("sif: reading generated hive INF lines: %w", err)
	}
	return d.RegOps("AddReg", false)
}

// regKey identifies a value of a registry line: its path, folded and with
// empty components dropped, and its name.
func regKey(root, subkey, name string) string {
	var parts []string
	for _, c := range strings.Split(root+`\`+subkey, `\`) {
		if c = strings.TrimSpace(c); c != "" {
			parts = append(parts, strings.ToLower(c))
		}
	}
	return strings.Join(parts, `\`) + "\x00" + strings.ToLower(name)
}

// sameOp reports whether two AddReg lines do the same thing.
func sameOp(a, b inf.RegOp) bool {
	return a.Kind == b.Kind && a.Flags == b.Flags && a.Type == b.Type && bytes.Equal(a.Data, b.Data) &&
		regKey(a.Root, a.Subkey, a.ValueName) == regKey(b.Root, b.Subkey, b.ValueName)
}

// ApplyHiveINF adds the registry values to the [AddReg] section of a hive
// INF such as hivesys.inf, one line per value in hivesys.inf's style:
//
//	HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00","Service",0x00000000,"viostor"
//
// A value whose last line in [AddReg] already sets the same data is left
// alone, so a second ApplyHiveINF changes nothing; a value set differently
// earlier gets a new line after it (the later line wins, as in mkhive and
// text-mode setup). A missing [AddReg] section is created. The edit is all
// or nothing.
func (s *Slipstream) ApplyHiveINF(d *inf.Document) ([]Edit, error) { return s.runHiveINF(d, false) }

// RemoveHiveINF removes the lines ApplyHiveINF adds (matched by meaning,
// not spacing), and the [AddReg] section if ApplyHiveINF created it and it
// is left empty at the end of the file.
func (s *Slipstream) RemoveHiveINF(d *inf.Document) ([]Edit, error) { return s.runHiveINF(d, true) }

func (s *Slipstream) runHiveINF(d *inf.Document, remove bool) ([]Edit, error) {
	ops, err := s.regOps()
	if err != nil {
		return nil, err
	}
	ro := &inf.ReadOptions{Limits: &inf.Limits{}}
	trial, err := cloneDoc(d, ro)
	if err != nil {
		return nil, err
	}
	if _, err := s.editHiveINF(trial, ops, remove); err != nil {
		return nil, err
	}
	return s.editHiveINF(d, ops, remove)
}

func (s *Slipstream) editHiveINF(d *inf.Document, ops []inf.RegOp, remove bool) ([]Edit, error) {
	var edits []Edit
	sec := d.Section("AddReg")
	if remove {
		if sec == nil {
			return nil, nil
		}
		// The slipstream's values by key, then the lines that set one of
		// them, numbered before the first removal.
		mine := map[string][]inf.RegOp{}
		for _, op := range ops {
			k := regKey(op.Root, op.Subkey, op.ValueName)
			mine[k] = append(mine[k], op)
		}
		var drop []*inf.Line
		for _, l := range sec.Entries() {
			op, err := inf.ParseRegLine(l, false)
			if err != nil {
				continue
			}
			if slices.ContainsFunc(mine[regKey(op.Root, op.Subkey, op.ValueName)], func(m inf.RegOp) bool { return sameOp(op, m) }) {
				drop = append(drop, l)
			}
		}
		for i, n := range numbersAtRemoval(drop) {
			edits = append(edits, Edit{Kind: EditRemove, File: fileHiveINF, Section: sec.Name(), Line: n, Old: drop[i].Text()})
			if err := drop[i].Remove(); err != nil {
				return nil, editError(fileHiveINF, err)
			}
		}
		if len(edits) > 0 {
			more, err := removeEmptyTail(d, map[string]bool{"addreg": true})
			if err != nil {
				return nil, editError(fileHiveINF, err)
			}
			for _, e := range more {
				e.File = fileHiveINF
				edits = append(edits, e)
			}
		}
		return edits, nil
	}
	last := map[string]*inf.Line{}
	if sec != nil {
		for _, l := range sec.Entries() {
			if op, err := inf.ParseRegLine(l, false); err == nil && op.Kind != inf.OpIgnore {
				last[regKey(op.Root, op.Subkey, op.ValueName)] = l
			}
		}
	} else {
		var (
			header *inf.Line
			err    error
		)
		if sec, header, err = createSection(d, "AddReg"); err != nil {
			return nil, editError(fileHiveINF, err)
		}
		edits = append(edits, Edit{Kind: EditCreateSection, File: fileHiveINF, Section: "AddReg", line: header, Note: "the section did not exist"})
	}
	for _, op := range ops {
		k := regKey(op.Root, op.Subkey, op.ValueName)
		note := ""
		if l := last[k]; l != nil {
			if cur, err := inf.ParseRegLine(l, false); err == nil && sameOp(cur, op) {
				edits = append(edits, Edit{Kind: EditUnchanged, File: fileHiveINF, Section: sec.Name(), Old: l.Text(), line: l})
				continue
			}
			note = fmt.Sprintf("overrides line %d", l.Number())
		}
		text := op.Line.Text()
		l, err := sec.AppendLine(text)
		if err != nil {
			return nil, editError(fileHiveINF, err)
		}
		last[k] = l
		edits = append(edits, Edit{Kind: EditAdd, File: fileHiveINF, Section: sec.Name(), New: text, line: l, Note: note})
	}
	for i := range edits {
		if edits[i].line != nil {
			edits[i].Line, edits[i].line = edits[i].line.Number(), nil
		}
	}
	return edits, nil
}

// ApplyRegistry writes the registry values to t, mapped by opts.Roots
// (default SetupHiveRoots(), for a setup hive such as setupreg.hiv). Values
// already set are rewritten with the same data, which a hive.Hive treats as
// no change. Lines that the roots do not map are an error (ErrInvalid),
// found before anything is written. t is changed value by value: for an
// all-or-nothing edit of a hive use ApplyHive.
func (s *Slipstream) ApplyRegistry(t inf.RegistryTarget, opts *inf.ApplyOptions) (*inf.ApplyReport, error) {
	ops, err := s.regOps()
	if err != nil {
		return nil, err
	}
	o := applyOptions(opts)
	for _, op := range ops {
		if _, ok := mapPath(o.Roots, op.Root, op.Subkey); !ok {
			return nil, fmt.Errorf("sif: no root mapping covers %s\\%s: %w", op.Root, op.Subkey, ErrInvalid)
		}
	}
	rep, err := inf.ApplyOps(t, ops, o)
	if err != nil {
		return rep, fmt.Errorf("sif: %w", err)
	}
	return rep, nil
}

func applyOptions(opts *inf.ApplyOptions) *inf.ApplyOptions {
	o := inf.ApplyOptions{Roots: SetupHiveRoots()}
	if opts != nil && opts.Roots != nil {
		o.Roots = opts.Roots
	}
	return &o
}

// ApplyHive is ApplyRegistry for a hive, all or nothing: the values are
// first written to a copy of h, and h changes only when that succeeded.
func (s *Slipstream) ApplyHive(h *hive.Hive, opts *inf.ApplyOptions) (*inf.ApplyReport, error) {
	c, err := hive.Parse(h.Bytes(), nil)
	if err != nil {
		return nil, fmt.Errorf("sif: copying the hive: %w", err)
	}
	if _, err := s.ApplyRegistry(c, opts); err != nil {
		return nil, err
	}
	return s.ApplyRegistry(h, opts)
}

// RemoveRegistry takes the driver out of t: each CriticalDeviceDatabase key
// of its hardware IDs whose Service is the driver's service, and the
// service key when its ImagePath names the driver file. Keys that belong to
// something else are left alone. On a *hive.Hive, a CriticalDeviceDatabase
// key left empty is removed too.
func (s *Slipstream) RemoveRegistry(t inf.RegistryTarget, opts *inf.ApplyOptions) ([]Edit, error) {
	o := applyOptions(opts)
	var edits []Edit
	done := map[string]bool{}
	del := func(key, why string) error {
		p, ok := mapPath(o.Roots, "HKLM", key)
		if !ok {
			return fmt.Errorf("sif: no root mapping covers HKLM\\%s: %w", key, ErrInvalid)
		}
		if done[strings.ToLower(p)] {
			return nil
		}
		done[strings.ToLower(p)] = true
		name, want := "Service", s.Service
		if why == "service" {
			name, want = "ImagePath", s.DriverFile
		}
		typ, data, ok, err := t.RawValue(p, name)
		if err != nil {
			return fmt.Errorf("sif: %w", err)
		}
		if !ok || (typ != uint32(inf.RegSZ) && typ != uint32(inf.RegExpandSZ)) {
			return nil
		}
		v := hive.DecodeString(data)
		if why == "service" {
			v = v[strings.LastIndexAny(v, `\/`)+1:]
		}
		if !strings.EqualFold(strings.TrimSpace(v), want) {
			edits = append(edits, Edit{Kind: EditKept, File: fileSetupHive, Section: p, Note: fmt.Sprintf("%s is %q, not %s", name, v, want)})
			return nil
		}
		if err := t.DeleteKey(p); err != nil {
			return fmt.Errorf("sif: %w", err)
		}
		edits = append(edits, Edit{Kind: EditRemove, File: fileSetupHive, Section: p})
		return nil
	}
	for _, id := range s.HardwareIDs {
		if err := del(CriticalDeviceKey+`\`+CriticalDeviceID(id), "critical-device"); err != nil {
			return edits, err
		}
	}
	if err := del(ServicesKey+`\`+s.Service, "service"); err != nil {
		return edits, err
	}
	// The CriticalDeviceDatabase key itself goes when it is left empty
	// (ReactOS' setupreg.inf deletes it, so ApplyHive created it); a hive
	// is the only target whose keys can be counted.
	if h, ok := t.(*hive.Hive); ok && CountChanges(edits) > 0 {
		if p, ok := mapPath(o.Roots, "HKLM", CriticalDeviceKey); ok {
			if k, err := h.OpenKey(p); err == nil && k.SubkeyCount() == 0 && k.ValueCount() == 0 && p != "" {
				if err := h.DeleteKey(p); err != nil {
					return edits, fmt.Errorf("sif: %w", err)
				}
				edits = append(edits, Edit{Kind: EditRemove, File: fileSetupHive, Section: p, Note: "left empty"})
			}
		}
	}
	return edits, nil
}

// mapPath maps root\subkey through roots the way inf.ApplyOptions.Roots
// documents it: the longest entry matching whole leading path components,
// case-insensitively.
func mapPath(roots map[string]string, root, subkey string) (string, bool) {
	split := func(p string) []string {
		var out []string
		for _, c := range strings.Split(p, `\`) {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
		return out
	}
	comp := split(root + `\` + subkey)
	best, bestLen, bestFrom := "", -1, ""
	for from, to := range roots {
		f := split(from)
		if len(f) == 0 || len(f) > len(comp) || len(f) < bestLen || (len(f) == bestLen && from > bestFrom) {
			continue
		}
		match := true
		for i := range f {
			if !strings.EqualFold(f[i], comp[i]) {
				match = false
				break
			}
		}
		if match {
			best, bestLen, bestFrom = strings.Join(append(split(to), comp[len(f):]...), `\`), len(f), from
		}
	}
	return best, bestLen >= 0
}
