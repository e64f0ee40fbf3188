package inf

import (
	"fmt"
	"strconv"
	"strings"
)

// Product types (VER_NT_* in winnt.h) used by TargetOSVersion decorations.
const (
	ProductWorkstation      = 1 // VER_NT_WORKSTATION
	ProductDomainController = 2 // VER_NT_DOMAIN_CONTROLLER
	ProductServer           = 3 // VER_NT_SERVER
)

// OS describes the Windows a driver is selected for.
type OS struct {
	Arch         Arch
	Major, Minor uint32
	Build        uint32
	ProductType  uint32 // VER_NT_*; 0 means ProductWorkstation
	SuiteMask    uint32 // VER_SUITE_* bits the system has
}

// ParseOS builds an OS from an architecture name and a version such as
// "10.0.19041", "6.1" or "5.1.2600".
func ParseOS(arch, version string) (OS, error) {
	a, err := ParseArch(arch)
	if err != nil {
		return OS{}, err
	}
	o := OS{Arch: a}
	p := strings.Split(strings.TrimSpace(version), ".")
	if len(p) < 2 || len(p) > 3 {
		return OS{}, fmt.Errorf("%w: OS version %q is not major.minor[.build]", ErrValue, version)
	}
	var n [3]uint64
	for i, x := range p {
		v, err := strconv.ParseUint(x, 10, 32)
		if err != nil {
			return OS{}, fmt.Errorf("%w: OS version %q is not major.minor[.build]", ErrValue, version)
		}
		n[i] = v
	}
	o.Major, o.Minor, o.Build = uint32(n[0]), uint32(n[1]), uint32(n[2])
	return o, nil
}

func (o OS) productType() uint32 {
	if o.ProductType == 0 {
		return ProductWorkstation
	}
	return o.ProductType
}

func (o OS) String() string {
	return fmt.Sprintf("%s %d.%d.%d", o.Arch, o.Major, o.Minor, o.Build)
}

// TargetOS is a parsed TargetOSVersion decoration:
// nt[Architecture][.[OSMajorVersion][.[OSMinorVersion][.[ProductType][.[SuiteMask][.[BuildNumber]]]]]].
type TargetOS struct {
	Raw                                                        string // as written, e.g. "NTamd64.10.0...16299"
	Arch                                                       Arch   // "" applies to every architecture
	Major, Minor, ProductType, SuiteMask, Build                uint32
	HasMajor, HasMinor, HasProductType, HasSuiteMask, HasBuild bool
}

// ParseTargetOS parses a TargetOSVersion decoration such as "NTamd64",
// "NTx86.6.1", "NT.6.0" or "NTamd64.10.0...16299". Numbers may be decimal
// or 0x hexadecimal; empty fields are absent.
func ParseTargetOS(s string) (TargetOS, error) {
	t, bad, detail := parseTargetOS(s)
	switch bad {
	case tosNoNT:
		return t, fmt.Errorf("%w: decoration %q does not start with NT", ErrValue, s)
	case tosArch:
		return t, fmt.Errorf("%w: decoration %q names unknown architecture %q", ErrValue, s, detail)
	case tosFields:
		return t, fmt.Errorf("%w: decoration %q has too many fields", ErrValue, s)
	case tosNumber:
		return t, fmt.Errorf("%w: decoration %q: field %q is not a number", ErrValue, s, detail)
	}
	return t, nil
}

// Why parseTargetOS refused a decoration.
const (
	tosOK     = iota
	tosNoNT   // no "NT" prefix
	tosArch   // unknown architecture (detail)
	tosFields // more than five version fields
	tosNumber // a field that is not a number (detail)
)

// parseTargetOS is ParseTargetOS without building an error, so that
// readers meeting many invalid decorations do not allocate for them.
func parseTargetOS(s string) (t TargetOS, bad int, detail string) {
	t.Raw = s
	ts := strings.TrimSpace(s)
	if len(ts) < 2 || !strings.EqualFold(ts[:2], "nt") {
		return t, tosNoNT, ""
	}
	rest := ts[2:]
	arch, rest, dotted := strings.Cut(rest, ".")
	if arch != "" {
		switch {
		case strings.EqualFold(arch, string(X86)):
			t.Arch = X86
		case strings.EqualFold(arch, string(AMD64)):
			t.Arch = AMD64
		case strings.EqualFold(arch, string(ARM64)):
			t.Arch = ARM64
		case strings.EqualFold(arch, string(ARM)):
			t.Arch = ARM
		case strings.EqualFold(arch, string(IA64)):
			t.Arch = IA64
		default:
			return t, tosArch, strings.ToLower(arch)
		}
	}
	if !dotted {
		return t, tosOK, ""
	}
	if strings.Count(rest, ".") >= 5 {
		return t, tosFields, ""
	}
	vals := [...]*uint32{&t.Major, &t.Minor, &t.ProductType, &t.SuiteMask, &t.Build}
	has := [...]*bool{&t.HasMajor, &t.HasMinor, &t.HasProductType, &t.HasSuiteMask, &t.HasBuild}
	for i := 0; ; i++ {
		p, next, more := strings.Cut(rest, ".")
		if p != "" {
			digits, base := p, 10
			if len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
				digits, base = p[2:], 16
			}
			v, err := strconv.ParseUint(digits, base, 32)
			if err != nil {
				return t, tosNumber, strings.ToLower(p)
			}
			*vals[i], *has[i] = uint32(v), true
		}
		if !more {
			break
		}
		rest = next
	}
	return t, tosOK, ""
}

// Applies reports whether the decoration allows its models section on o:
// same architecture (or none given); OS version not above o's (the build
// number counts only when major.minor are equal); same product type and
// all suite bits, when given.
func (t TargetOS) Applies(o OS) bool {
	if t.Arch != "" && t.Arch != o.Arch {
		return false
	}
	if t.HasMajor {
		switch {
		case t.Major > o.Major:
			return false
		case t.Major == o.Major && t.Minor > o.Minor:
			return false
		case t.Major == o.Major && t.Minor == o.Minor && t.HasBuild && t.Build > o.Build:
			return false
		}
	}
	if t.HasProductType && t.ProductType != o.productType() {
		return false
	}
	if t.HasSuiteMask && o.SuiteMask&t.SuiteMask != t.SuiteMask {
		return false
	}
	return true
}

// better reports whether t is closer to the host OS than u (both apply):
// a higher OS version (then build) wins, then a given product type, then a
// given suite mask, then a specific architecture.
func (t TargetOS) better(u TargetOS) bool {
	if t.HasMajor != u.HasMajor {
		return t.HasMajor
	}
	if t.HasMajor {
		if t.Major != u.Major {
			return t.Major > u.Major
		}
		if t.Minor != u.Minor {
			return t.Minor > u.Minor
		}
		if t.HasBuild != u.HasBuild {
			return t.HasBuild
		}
		if t.Build != u.Build {
			return t.Build > u.Build
		}
	}
	if t.HasProductType != u.HasProductType {
		return t.HasProductType
	}
	if t.HasSuiteMask != u.HasSuiteMask {
		return t.HasSuiteMask
	}
	return t.Arch != "" && u.Arch == ""
}

// Manufacturer is one entry of [Manufacturer].
type Manufacturer struct {
	Name        string     // manufacturer name, substituted
	Models      string     // models section name, undecorated
	Decorations []TargetOS // TargetOSVersion decorations that parsed
	Invalid     []string   // decorations that did not parse (e.g. unstamped NT$ARCH$)
	Line        *Line
}

// Manufacturers returns the entries of [Manufacturer] (nil when absent).
func (d *Document) Manufacturers() []Manufacturer {
	s := d.Section("Manufacturer")
	if s == nil {
		return nil
	}
	body := s.lines()
	n, ndec := 0, 0
	for _, l := range body {
		if l.kind == Entry && len(l.fields) > 0 {
			n++
			ndec += len(l.fields) - 1
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Manufacturer, 0, n)
	decs := make([]TargetOS, 0, ndec) // every decoration fits: no reallocation
	var invalid []string
	for _, l := range body {
		if l.kind != Entry || len(l.fields) == 0 {
			continue
		}
		models := l.Field(0)
		if models == "" {
			continue
		}
		m := Manufacturer{Name: l.Key(), Models: models, Line: l}
		d0, i0 := len(decs), len(invalid)
		for i := 1; i < len(l.fields); i++ {
			dec := l.Field(i)
			if strings.TrimSpace(dec) == "" {
				continue
			}
			t, bad, _ := parseTargetOS(dec)
			if bad != tosOK {
				if invalid == nil {
					invalid = make([]string, 0, ndec)
				}
				invalid = append(invalid, dec)
				continue
			}
			decs = append(decs, t)
		}
		if len(decs) > d0 {
			m.Decorations = decs[d0:len(decs):len(decs)]
		}
		if len(invalid) > i0 {
			m.Invalid = invalid[i0:len(invalid):len(invalid)]
		}
		out = append(out, m)
	}
	return out
}

// Select returns the name of the models section Windows uses for this
// manufacturer on o: the best applicable decorated section (see
// TargetOS.Applies); when none applies, the undecorated section, which
// only x86 systems accept (non-x86 platforms require a decoration since
// Windows Server 2003 SP1). ok is false when no section applies.
func (m Manufacturer) Select(o OS) (section string, target *TargetOS, ok bool) {
	var best *TargetOS
	for i := range m.Decorations {
		t := &m.Decorations[i]
		if !t.Applies(o) {
			continue
		}
		if best == nil || t.better(*best) {
			best = t
		}
	}
	if best != nil {
		return m.Models + "." + best.Raw, best, true
	}
	if o.Arch == X86 || o.Arch == "" {
		return m.Models, nil, true
	}
	return "", nil, false
}

// Model is one line of a models section:
// device-description = install-section, hw-id[, compatible-id...].
type Model struct {
	Description   string
	Install       string // DDInstall section as named, undecorated
	HardwareID    string
	CompatibleIDs []string
	Line          *Line
}

// IDs returns the hardware ID followed by the compatible IDs.
func (m Model) IDs() []string {
	out := make([]string, 0, 1+len(m.CompatibleIDs))
	if m.HardwareID != "" {
		out = append(out, m.HardwareID)
	}
	return append(out, m.CompatibleIDs...)
}

// Models reads a models section (nil when it does not exist).
func (d *Document) Models(section string) []Model {
	s := d.Section(section)
	if s == nil {
		return nil
	}
	return s.models()
}

func (s *Section) models() []Model {
	body := s.lines()
	n, ncompat := 0, 0
	for _, l := range body {
		if l.kind == Entry && !l.implicitKey && len(l.fields) > 0 {
			n++
			ncompat += max(len(l.fields)-2, 0)
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Model, 0, n)
	var compat []string
	if ncompat > 0 {
		compat = make([]string, 0, ncompat)
	}
	for _, l := range body {
		if l.kind != Entry || l.implicitKey || len(l.fields) == 0 {
			continue
		}
		m := Model{Description: l.Key(), Install: strings.TrimSpace(l.Field(0)), Line: l}
		if len(l.fields) > 1 {
			m.HardwareID = l.Field(1)
		}
		c0 := len(compat)
		for i := 2; i < len(l.fields); i++ {
			if c := l.Field(i); c != "" {
				compat = append(compat, c)
			}
		}
		if len(compat) > c0 {
			m.CompatibleIDs = compat[c0:len(compat):len(compat)]
		}
		out = append(out, m)
	}
	return out
}
