package wim

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Filetime is a Windows FILETIME: 100-nanosecond intervals since 1601-01-01
// UTC. The XML stores it as HIGHPART and LOWPART hex strings.
type Filetime uint64

// filetimeEpochDelta is the number of seconds from 1601-01-01 to 1970-01-01.
const filetimeEpochDelta = 11644473600

// Time converts t to a time.Time in UTC, truncated to the second as wimlib
// prints it.
func (t Filetime) Time() time.Time {
	return time.Unix(int64(uint64(t)/1e7)-filetimeEpochDelta, 0).UTC()
}

// String renders t as wimlib-imagex does: "Sat Nov 21 15:54:48 2026 UTC".
func (t Filetime) String() string {
	return t.Time().Format("Mon Jan 02 15:04:05 2006 UTC")
}

// Arch is the PROCESSOR_ARCHITECTURE number in WINDOWS/ARCH.
type Arch uint64

// Architectures wimlib names.
const (
	ArchX86   Arch = 0
	ArchMIPS  Arch = 1
	ArchARM   Arch = 5
	ArchIA64  Arch = 6
	ArchAMD64 Arch = 9
	ArchARM64 Arch = 12
)

// String returns the name wimlib-imagex 1.13 prints ("x86", "MIPS", "ARM",
// "ia64", "x86_64", "ARM64"), or "unknown".
func (a Arch) String() string {
	switch a {
	case ArchX86:
		return "x86"
	case ArchMIPS:
		return "MIPS"
	case ArchARM:
		return "ARM"
	case ArchIA64:
		return "ia64"
	case ArchAMD64:
		return "x86_64"
	case ArchARM64:
		return "ARM64"
	}
	return "unknown"
}

// ImageInfo is the typed content of one IMAGE element. Strings are empty
// when the element is absent or has no text; numbers read as wimlib reads
// them (0 when absent or not a valid number).
type ImageInfo struct {
	Index                int          `json:"index"` // 1-based
	Name                 string       `json:"name"`
	Description          string       `json:"description"`
	DisplayName          string       `json:"displayName,omitempty"`
	DisplayDescription   string       `json:"displayDescription,omitempty"`
	Flags                string       `json:"flags,omitempty"`
	DirCount             uint64       `json:"dirCount"`
	FileCount            uint64       `json:"fileCount"`
	TotalBytes           uint64       `json:"totalBytes"`
	HardLinkBytes        uint64       `json:"hardLinkBytes"`
	CreationTime         Filetime     `json:"creationTime"`
	LastModificationTime Filetime     `json:"lastModificationTime"`
	WIMBoot              bool         `json:"wimboot"`
	Windows              *WindowsInfo `json:"windows,omitempty"` // nil when there is no WINDOWS element
}

// WindowsInfo is the WINDOWS element of an image.
type WindowsInfo struct {
	Arch             Arch           `json:"arch"`
	ProductName      string         `json:"productName,omitempty"`
	EditionID        string         `json:"editionID,omitempty"`
	InstallationType string         `json:"installationType,omitempty"`
	HAL              string         `json:"hal,omitempty"`
	ProductType      string         `json:"productType,omitempty"`
	ProductSuite     string         `json:"productSuite,omitempty"`
	Languages        *LanguagesInfo `json:"languages,omitempty"` // nil without a LANGUAGES element
	SystemRoot       string         `json:"systemRoot,omitempty"`
	Version          *VersionInfo   `json:"version,omitempty"` // nil without a VERSION element
}

// LanguagesInfo is WINDOWS/LANGUAGES.
type LanguagesInfo struct {
	Languages []string `json:"languages"`
	Default   string   `json:"default,omitempty"`
}

// VersionInfo is WINDOWS/VERSION.
type VersionInfo struct {
	Major   uint64 `json:"major"`
	Minor   uint64 `json:"minor"`
	Build   uint64 `json:"build"`
	SPBuild uint64 `json:"spBuild"`
	SPLevel uint64 `json:"spLevel"`
}

// cNumber converts s the way wimlib's node_get_number does: C strtoull
// (leading white space, an optional sign, an optional 0x for base 16), the
// whole string must be consumed, and overflow or the maximum value give 0.
func cNumber(s string, base int) uint64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && s[i+1]|0x20 == 'x' && hexDigit(s[i+2]) >= 0 {
		i += 2
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || d >= base {
			break
		}
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		v = v*uint64(base) + uint64(d)
	}
	if i == start || i != len(s) || overflow {
		return 0
	}
	if neg {
		v = -v
	}
	if v == math.MaxUint64 {
		return 0
	}
	return v
}

// textAt returns the first text of the element at path below n.
func textAt(n *xnode, path ...string) (string, bool) {
	for _, p := range path {
		n = n.child(p, 1)
	}
	return n.firstText()
}

func stringAt(n *xnode, path ...string) string {
	s, _ := textAt(n, path...)
	return s
}

func numberAt(n *xnode, path ...string) uint64 {
	s, _ := textAt(n, path...)
	return cNumber(s, 10)
}

// timestampAt reads a time element: wimlib ORs every HIGHPART (shifted)
// and LOWPART child into the value.
func timestampAt(n *xnode, name string) Filetime {
	var t uint64
	e := n.child(name, 1)
	if e == nil {
		return 0
	}
	for _, c := range e.children {
		if c.kind != xElement {
			continue
		}
		s, _ := c.firstText()
		switch c.name {
		case "HIGHPART":
			t |= cNumber(s, 16) << 32
		case "LOWPART":
			t |= cNumber(s, 16)
		}
	}
	return Filetime(t)
}

// imageInfo reads the typed fields of an IMAGE element.
func imageInfo(n *xnode, index int) ImageInfo {
	info := ImageInfo{
		Index:                index,
		Name:                 stringAt(n, "NAME"),
		Description:          stringAt(n, "DESCRIPTION"),
		DisplayName:          stringAt(n, "DISPLAYNAME"),
		DisplayDescription:   stringAt(n, "DISPLAYDESCRIPTION"),
		Flags:                stringAt(n, "FLAGS"),
		DirCount:             numberAt(n, "DIRCOUNT"),
		FileCount:            numberAt(n, "FILECOUNT"),
		TotalBytes:           numberAt(n, "TOTALBYTES"),
		HardLinkBytes:        numberAt(n, "HARDLINKBYTES"),
		CreationTime:         timestampAt(n, "CREATIONTIME"),
		LastModificationTime: timestampAt(n, "LASTMODIFICATIONTIME"),
		WIMBoot:              numberAt(n, "WIMBOOT") != 0,
	}
	w := n.child("WINDOWS", 1)
	if w == nil {
		return info
	}
	wi := &WindowsInfo{
		Arch:             Arch(numberAt(w, "ARCH")),
		ProductName:      stringAt(w, "PRODUCTNAME"),
		EditionID:        stringAt(w, "EDITIONID"),
		InstallationType: stringAt(w, "INSTALLATIONTYPE"),
		HAL:              stringAt(w, "HAL"),
		ProductType:      stringAt(w, "PRODUCTTYPE"),
		ProductSuite:     stringAt(w, "PRODUCTSUITE"),
		SystemRoot:       stringAt(w, "SYSTEMROOT"),
	}
	if l := w.child("LANGUAGES", 1); l != nil {
		li := &LanguagesInfo{Default: stringAt(l, "DEFAULT")}
		for _, c := range l.children {
			if c.kind == xElement && c.name == "LANGUAGE" {
				s, _ := c.firstText()
				li.Languages = append(li.Languages, s)
			}
		}
		wi.Languages = li
	}
	if v := w.child("VERSION", 1); v != nil {
		wi.Version = &VersionInfo{
			Major:   numberAt(v, "MAJOR"),
			Minor:   numberAt(v, "MINOR"),
			Build:   numberAt(v, "BUILD"),
			SPBuild: numberAt(v, "SPBUILD"),
			SPLevel: numberAt(v, "SPLEVEL"),
		}
	}
	info.Windows = wi
	return info
}

// imageElements validates the root and maps IMAGE elements to image
// indices by their INDEX attribute, as wimlib does: every INDEX must be in
// 1..count and used once.
func (d *xmlDoc) imageElements(base int64, lim Limits) ([]*xnode, error) {
	errAt := func(n *xnode, err error, format string, args ...any) error {
		return formatErr(base+int64(2*n.pos), "xml", err, format, args...)
	}
	if d.root.name != "WIM" {
		return nil, errAt(d.root, ErrFormat, "root element is <%s>, want <WIM>", d.root.name)
	}
	if e := d.root.child("ESD", 1).child("ENCRYPTED", 1); e != nil {
		return nil, errAt(e, ErrUnsupported, "the WIM is an encrypted ESD")
	}
	var imgs []*xnode
	maxIndex := 0
	for _, c := range d.root.children {
		if c.kind != xElement || c.name != "IMAGE" {
			continue
		}
		if len(imgs) >= lim.MaxImages {
			return nil, errAt(c, ErrLimit, "more than %d IMAGE elements", lim.MaxImages)
		}
		v, _ := c.attr("INDEX")
		idx := cNumber(v, 10)
		if idx < 1 || idx > uint64(lim.MaxImages) {
			return nil, errAt(c, ErrFormat, "IMAGE has INDEX %q, want 1..%d", v, lim.MaxImages)
		}
		maxIndex = max(maxIndex, int(idx))
		imgs = append(imgs, c)
	}
	if maxIndex != len(imgs) {
		return nil, errAt(d.root, ErrFormat, "%d IMAGE elements but the highest INDEX is %d", len(imgs), maxIndex)
	}
	byIndex := make([]*xnode, len(imgs))
	for _, c := range imgs {
		v, _ := c.attr("INDEX")
		i := cNumber(v, 10) - 1
		if byIndex[i] != nil {
			return nil, errAt(c, ErrFormat, "two IMAGE elements have INDEX %d", i+1)
		}
		byIndex[i] = c
	}
	return byIndex, nil
}

// pathStep is one component of a property path: NAME or NAME[n].
type pathStep struct {
	name  string
	index int // 1-based
}

// parsePropertyPath parses a path such as "WINDOWS/VERSION/BUILD" or
// "WINDOWS/LANGUAGES/LANGUAGE[2]" with the syntax of wimlib-imagex's
// --image-property. Names must be legal XML names.
func parsePropertyPath(path string) ([]pathStep, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: property path %q: %s", ErrInvalidArgument, path, why)
	}
	if path == "" {
		return nil, bad("empty")
	}
	var steps []pathStep
	for _, comp := range strings.Split(path, "/") {
		name, idx := comp, 1
		if i := strings.IndexByte(comp, '['); i >= 0 {
			name = comp[:i]
			rest := comp[i+1:]
			if !strings.HasSuffix(rest, "]") || len(rest) < 2 {
				return nil, bad("bad index in " + comp)
			}
			digits := rest[:len(rest)-1]
			idx = 0
			for k := 0; k < len(digits); k++ {
				if digits[k] < '0' || digits[k] > '9' || idx > (math.MaxInt32-9)/10 {
					return nil, bad("bad index in " + comp)
				}
				idx = idx*10 + int(digits[k]-'0')
			}
			if idx == 0 {
				return nil, bad("index 0 in " + comp)
			}
		}
		if name == "" {
			return nil, bad("empty element name")
		}
		if !legalName(name) {
			return nil, bad(name + " is not a legal XML element name")
		}
		steps = append(steps, pathStep{name, idx})
	}
	return steps, nil
}

func legalName(s string) bool {
	for i, r := range s {
		c := uint16(r)
		if r >= 0x80 {
			c = 0x80
		}
		if i == 0 && !isNameStart(c) || !isNameChar(c) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// legalValue reports whether s can be stored as XML character data.
func legalValue(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !xmlChar(r) {
			return false
		}
	}
	return true
}

// lookup walks steps below n and returns the element, or nil.
func lookup(n *xnode, steps []pathStep) *xnode {
	for _, s := range steps {
		n = n.child(s.name, s.index)
		if n == nil {
			return nil
		}
	}
	return n
}

// setProperty sets (value non-empty) or removes (value empty) the element at
// steps below n, creating missing elements at the end of their parent, as
// wimlib's xml_set_ttext_by_path does.
func (d *xmlDoc) setProperty(n *xnode, steps []pathStep, value string) error {
	if value == "" {
		if e := lookup(n, steps); e != nil {
			d.remove(e)
		}
		return nil
	}
	// Check that every missing element can be created before changing
	// anything: only the element right after the existing ones can be.
	cur := n
	for _, s := range steps {
		if cur == nil {
			if s.index != 1 {
				return fmt.Errorf("%w: cannot create %s[%d] before %s[%d]", ErrInvalidArgument, s.name, s.index, s.name, s.index-1)
			}
			continue
		}
		next := cur.child(s.name, s.index)
		if next == nil {
			have := 0
			for _, c := range cur.children {
				if c.kind == xElement && c.name == s.name {
					have++
				}
			}
			if s.index != have+1 {
				return fmt.Errorf("%w: cannot create %s[%d]: only %d exist", ErrInvalidArgument, s.name, s.index, have)
			}
		}
		cur = next
	}
	cur = n
	for _, s := range steps {
		next := cur.child(s.name, s.index)
		if next == nil {
			next = d.appendElement(cur, s.name)
		}
		cur = next
	}
	d.setText(cur, value)
	return nil
}
