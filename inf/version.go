package inf

import (
	"fmt"
	"strconv"
	"strings"
)

// Arch is a processor architecture as INF decorations name it.
type Arch string

// The architectures of TargetOSVersion and DDInstall decorations.
const (
	X86   Arch = "x86"
	AMD64 Arch = "amd64"
	ARM64 Arch = "arm64"
	ARM   Arch = "arm"
	IA64  Arch = "ia64"
)

// ParseArch accepts an architecture name: x86 (i386), amd64 (x64), arm64,
// arm or ia64, in any case.
func ParseArch(s string) (Arch, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "x86", "i386":
		return X86, nil
	case "amd64", "x64", "x86_64":
		return AMD64, nil
	case "arm64", "aarch64":
		return ARM64, nil
	case "arm":
		return ARM, nil
	case "ia64":
		return IA64, nil
	}
	return "", fmt.Errorf("%w: unknown architecture %q", ErrValue, s)
}

// parseCInt reads an integer the way strtol(s, NULL, 0) does, which is how
// SetupGetIntField and ReactOS' inflib read numeric fields: optional
// whitespace and sign, then "0x" for hexadecimal, a leading "0" for octal,
// decimal otherwise; reading stops at the first character that is not a
// digit. ok is false when there is no digit at all.
func parseCInt(s string) (v int64, ok bool) {
	u, neg, ok := parseCUint(s, 0)
	if neg {
		return -int64(u), ok
	}
	return int64(u), ok
}

// parseCUint is strtoul-like parsing with the given base (0 for C's
// automatic base). The magnitude saturates at 2^64-1.
func parseCUint(s string, base int) (v uint64, neg, ok bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if (base == 0 || base == 16) && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		i+2 < len(s) && hexVal(s[i+2]) >= 0 {
		base = 16
		i += 2
	} else if base == 0 {
		base = 10
		if i < len(s) && s[i] == '0' {
			base = 8
		}
	}
	for ; i < len(s); i++ {
		dv := hexVal(s[i])
		if dv < 0 || dv >= base {
			break
		}
		ok = true
		if v > (^uint64(0)-uint64(dv))/uint64(base) {
			v = ^uint64(0)
			continue
		}
		v = v*uint64(base) + uint64(dv)
	}
	return v, neg, ok
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// strtoul32 reads a 32-bit unsigned value like C's strtoul(s, NULL, base)
// with a 32-bit unsigned long, as on Windows: out-of-range values become
// 0xFFFFFFFF and a minus sign negates modulo 2^32.
func strtoul32(s string, base int) uint32 {
	v, neg, _ := parseCUint(s, base)
	if v > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	if neg {
		return uint32(-int64(v))
	}
	return uint32(v)
}

// Date is a DriverVer date. The zero Date (00/00/0000) is what Windows
// assumes for a missing or invalid DriverVer; it ranks below every real
// date.
type Date struct{ Year, Month, Day int }

// String formats the date as INF files write it, mm/dd/yyyy.
func (d Date) String() string { return fmt.Sprintf("%02d/%02d/%04d", d.Month, d.Day, d.Year) }

// IsZero reports whether the date is 00/00/0000.
func (d Date) IsZero() bool { return d == Date{} }

// Compare returns -1, 0 or +1 as d is earlier than, equal to or later
// than e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(d.Month, e.Month)
	}
	return cmpInt(d.Day, e.Day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ParseDate reads mm/dd/yyyy (or with '-'); one-digit months and days are
// accepted, the year must have four digits.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	sep := "/"
	if !strings.Contains(s, "/") {
		sep = "-"
	}
	p := strings.Split(s, sep)
	if len(p) != 3 || len(p[0]) < 1 || len(p[0]) > 2 || len(p[1]) < 1 || len(p[1]) > 2 || len(p[2]) != 4 {
		return Date{}, fmt.Errorf("%w: DriverVer date %q is not mm/dd/yyyy", ErrValue, s)
	}
	var n [3]int
	for i, x := range p {
		v, err := strconv.Atoi(x)
		if err != nil || v < 0 || strings.ContainsAny(x, "+-") {
			return Date{}, fmt.Errorf("%w: DriverVer date %q is not mm/dd/yyyy", ErrValue, s)
		}
		n[i] = v
	}
	d := Date{Month: n[0], Day: n[1], Year: n[2]}
	if d.Year < 1 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > daysIn(d.Month, d.Year) {
		return Date{}, fmt.Errorf("%w: DriverVer date %q does not exist", ErrValue, s)
	}
	return d, nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// DriverVersion is the w.x.y.z part of DriverVer.
type DriverVersion [4]uint16

// ParseDriverVersion reads w.x.y.z (missing trailing parts are 0); each
// part must be below 65535, as the DriverVer documentation requires.
func ParseDriverVersion(s string) (DriverVersion, error) {
	s = strings.TrimSpace(s)
	var v DriverVersion
	p := strings.Split(s, ".")
	if len(p) > 4 || s == "" {
		return v, fmt.Errorf("%w: driver version %q is not w.x.y.z", ErrValue, s)
	}
	for i, x := range p {
		n, err := strconv.ParseUint(x, 10, 32)
		if err != nil || n >= 65535 {
			return v, fmt.Errorf("%w: driver version %q: part %q is not a number below 65535", ErrValue, s, x)
		}
		v[i] = uint16(n)
	}
	return v, nil
}

func (v DriverVersion) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v[0], v[1], v[2], v[3])
}

// Compare returns -1, 0 or +1 as v is lower than, equal to or higher
// than w.
func (v DriverVersion) Compare(w DriverVersion) int {
	for i := range v {
		if v[i] != w[i] {
			return cmpInt(int(v[i]), int(w[i]))
		}
	}
	return 0
}

// DriverVer is the value of a DriverVer directive: a date and an optional
// version.
type DriverVer struct {
	Date       Date
	Version    DriverVersion
	HasVersion bool
}

// ParseDriverVer reads the fields of a DriverVer entry: "mm/dd/yyyy" and
// optionally "w.x.y.z".
func ParseDriverVer(fields ...string) (DriverVer, error) {
	var v DriverVer
	if len(fields) == 0 {
		return v, fmt.Errorf("%w: empty DriverVer", ErrValue)
	}
	d, err := ParseDate(fields[0])
	if err != nil {
		return v, err
	}
	v.Date = d
	if len(fields) > 1 && strings.TrimSpace(fields[1]) != "" {
		ver, err := ParseDriverVersion(fields[1])
		if err != nil {
			return DriverVer{Date: d}, err
		}
		v.Version, v.HasVersion = ver, true
	}
	return v, nil
}

// Fields returns the DriverVer fields: the date and, if present, the
// version.
func (v DriverVer) Fields() []string {
	if !v.HasVersion {
		return []string{v.Date.String()}
	}
	return []string{v.Date.String(), v.Version.String()}
}

func (v DriverVer) String() string { return strings.Join(v.Fields(), ",") }

// Compare orders driver versions as Windows does once ranks are equal: the
// later date wins, then the higher version.
func (v DriverVer) Compare(w DriverVer) int {
	if c := v.Date.Compare(w.Date); c != 0 {
		return c
	}
	return v.Version.Compare(w.Version)
}

// VersionInfo is the content of the [Version] section.
type VersionInfo struct {
	Signature   string
	Class       string
	ClassGUID   string
	Provider    string
	LayoutFile  string
	CatalogFile string // undecorated CatalogFile
	// CatalogFiles maps lower-cased decorations ("nt", "ntx86",
	// "ntamd64", "ntarm64", ...) to the decorated CatalogFile entries.
	CatalogFiles             map[string]string
	DriverVer                DriverVer // zero when missing or invalid
	HasDriverVer             bool      // a valid DriverVer is present
	DriverVerErr             error     // why DriverVer is invalid, if it is
	PnpLockdown              string
	DriverPackageType        string
	DriverPackageDisplayName string
}

// Version reads the [Version] section. Values are substituted; it fails
// with ErrNotFound without [Version], and with ErrLimit when substitution
// ran out of Limits.MaxSubstitution (see Document.SubstitutionErr).
func (d *Document) Version() (*VersionInfo, error) {
	s := d.Section("Version")
	if s == nil {
		return nil, fmt.Errorf("%w: no [Version] section", ErrNotFound)
	}
	v := &VersionInfo{CatalogFiles: map[string]string{}}
	const catalogDot = "catalogfile."
	for _, l := range s.lines() {
		if l.kind != Entry || !l.hasKey || l.implicitKey {
			continue
		}
		k := l.Key()
		is := func(name string) bool { return strings.EqualFold(k, name) }
		switch {
		case is("signature"):
			v.Signature = l.Field(0)
		case is("class"):
			v.Class = l.Field(0)
		case is("classguid"):
			v.ClassGUID = l.Field(0)
		case is("provider"):
			v.Provider = l.Field(0)
		case is("layoutfile"):
			v.LayoutFile = l.Field(0)
		case is("catalogfile"):
			v.CatalogFile = l.Field(0)
		case len(k) >= len(catalogDot) && strings.EqualFold(k[:len(catalogDot)], catalogDot):
			v.CatalogFiles[strings.ToLower(k[len(catalogDot):])] = l.Field(0)
		case is("driverver"):
			if v.HasDriverVer || v.DriverVerErr != nil {
				continue // the first one counts
			}
			dv, err := ParseDriverVer(l.Fields()...)
			if err != nil {
				v.DriverVerErr = &LineError{Section: s.name, Line: l.Number(), Err: err}
				continue
			}
			v.DriverVer, v.HasDriverVer = dv, true
		case is("pnplockdown"):
			v.PnpLockdown = l.Field(0)
		case is("driverpackagetype"):
			v.DriverPackageType = l.Field(0)
		case is("driverpackagedisplayname"):
			v.DriverPackageDisplayName = l.Field(0)
		}
	}
	if err := d.SubstitutionErr(); err != nil {
		return nil, err
	}
	return v, nil
}

// Catalog returns the catalog file that applies on arch: CatalogFile.nt<arch>,
// else CatalogFile.nt, else CatalogFile.
func (v *VersionInfo) Catalog(arch Arch) string {
	if c, ok := v.CatalogFiles["nt"+string(arch)]; ok {
		return c
	}
	if c, ok := v.CatalogFiles["nt"]; ok {
		return c
	}
	return v.CatalogFile
}

// CheckSignature reports whether SetupAPI would open the document as a
// Windows NT INF: [Version] must have Signature "$Windows NT$",
// "$Chicago$" or "$Windows 95$" (any case). Otherwise, as SetupAPI's
// ERROR_WRONG_INF_STYLE, it returns ErrSignature.
func (d *Document) CheckSignature() error {
	s := d.Section("Version")
	if s == nil {
		return fmt.Errorf("%w: no [Version] section", ErrSignature)
	}
	l := s.Find("Signature")
	if l == nil || l.NumFields() == 0 {
		return fmt.Errorf("%w: no Signature in [Version]", ErrSignature)
	}
	switch strings.ToLower(l.Field(0)) {
	case "$windows nt$", "$chicago$", "$windows 95$":
		return nil
	}
	return fmt.Errorf("%w: %q", ErrSignature, l.Field(0))
}
