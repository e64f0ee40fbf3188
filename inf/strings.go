package inf

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SetLanguage chooses the LANGID whose strings %strkey% tokens take. Windows
// uses one [Strings*] section for all tokens, chosen in this order: the
// section whose LANGID equals langid exactly ([Strings.0407] for 0x0407);
// the same primary language with SUBLANG_NEUTRAL ([Strings.07]); any section
// of the same primary language (the first in the file); the undecorated
// [Strings]. 0 means DefaultLanguage.
func (d *Document) SetLanguage(langid uint16) {
	if langid == 0 {
		langid = DefaultLanguage
	}
	d.lang = langid
	d.lazy.state.And(^strOK)
}

// Language returns the LANGID used for substitution.
func (d *Document) Language() uint16 { return d.lang }

// StringsLanguage parses a section name of the form "Strings" (ok, 0,
// false) or "Strings.<hex LANGID>" (ok, id, true).
func StringsLanguage(section string) (langid uint16, decorated, ok bool) {
	if len(section) < 7 || !strings.EqualFold(section[:7], "Strings") {
		return 0, false, false
	}
	rest := section[7:]
	if rest == "" {
		return 0, false, true
	}
	if rest[0] != '.' || len(rest) < 2 || len(rest) > 5 {
		return 0, false, false
	}
	v, err := strconv.ParseUint(rest[1:], 16, 16)
	if err != nil {
		return 0, false, false
	}
	return uint16(v), true, true
}

// StringsSection returns the [Strings*] section chosen for the current
// language (see SetLanguage), or nil when the document has none that
// applies.
func (d *Document) StringsSection() *Section {
	d.stringsTable()
	return d.strSec
}

func (d *Document) chooseStrings() *Section {
	var exact, neutral, primary, plain *Section
	want := d.lang
	for _, s := range d.sections {
		id, dec, ok := StringsLanguage(s.name)
		if !ok {
			continue
		}
		switch {
		case !dec:
			if plain == nil {
				plain = s
			}
		case id == want:
			if exact == nil {
				exact = s
			}
		case id == want&0x3FF:
			if neutral == nil {
				neutral = s
			}
		case id&0x3FF == want&0x3FF:
			if primary == nil {
				primary = s
			}
		}
	}
	for _, s := range []*Section{exact, neutral, primary, plain} {
		if s != nil {
			return s
		}
	}
	return nil
}

// buildStrings builds the strings table from the index (see stringsTable)
// and empties the substitution memo, whose results came from the old one.
func (d *Document) buildStrings() {
	d.strs = make(map[string]string)
	d.strSec = d.chooseStrings()
	if d.lazy != nil {
		d.lazy.resetSubst()
	}
	if d.strSec == nil {
		return
	}
	for _, l := range d.strSec.body {
		if l.kind != Entry || !l.hasKey || len(l.fields) == 0 {
			continue
		}
		k := fold(l.key)
		if _, dup := d.strs[k]; !dup { // the first definition wins
			d.strs[k] = l.fields[0]
		}
	}
}

// LookupString returns the value of strkey in the chosen [Strings*]
// section (quotes removed, not itself substituted).
func (d *Document) LookupString(strkey string) (string, bool) {
	return foldLookup(d.stringsTable(), strkey)
}

// Substitute replaces %strkey% tokens in s in one pass, as SetupAPI does:
// "%%" becomes "%", a known token becomes its value (which is not scanned
// again), an unknown token (a DIRID such as %12% included) is left as it
// is, and a '%' without a partner is copied. It fails with ErrLimit when
// the result is longer than Limits.MaxFieldLen characters (returning it
// cut at that length), and when the document's substitution budget has
// run out (returning s unchanged; see SubstitutionErr).
func (d *Document) Substitute(s string) (string, error) {
	r, cut, err := d.substitute(s)
	if err != nil {
		return r, err
	}
	// Text with nothing to replace comes back as it is, however long; the
	// limit holds for it too.
	if !cut {
		r, cut = prefixChars(r, d.fieldMax())
	}
	if cut {
		return r, fmt.Errorf("%w: substituted text longer than %d characters", ErrLimit, d.fieldMax())
	}
	return r, nil
}

// prefixChars returns s cut after n characters (runes; an invalid byte
// counts as one and is kept as it is), and whether it was cut.
func prefixChars(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false // at most n bytes, so at most n characters
	}
	for i := range s {
		if n == 0 {
			return s[:i], true
		}
		n--
	}
	return s, false
}

// fieldMax is Limits.MaxFieldLen, with its default for a zero Document.
func (d *Document) fieldMax() int {
	if d.lim.MaxFieldLen > 0 {
		return d.lim.MaxFieldLen
	}
	return DefaultLimits.MaxFieldLen
}

// SubstitutionErr returns an error wrapping ErrLimit when %strkey%
// substitution has built Limits.MaxSubstitution bytes since the document
// was parsed or last edited, and nil otherwise. From then on, text whose
// substitution would need building is returned unsubstituted by the
// accessors that have no error result (Line.Key, Field and Fields,
// Section.Find and Value, and the readers built on them: Manufacturers,
// Models, Services, CopyFileList, NewOEM, OEM.Lint, Summary). Readers that
// have an error result (Substitute, Version, Install, Driver, RegOps,
// ApplyRegistry, ApplyHiveINF, ParseOEM, Audit, Dump) return this error
// instead. Real files stay far below the budget; a file that exhausts it
// is hostile.
func (d *Document) SubstitutionErr() error {
	lz := d.lazy
	if lz == nil {
		return nil
	}
	lz.subMu.Lock()
	defer lz.subMu.Unlock()
	return lz.subErr
}

// substErr is SubstitutionErr without taking the lock when the budget
// has not run out, for readers that check after every line.
func (d *Document) substErr() error {
	if d.lazy == nil || !d.lazy.subFull.Load() {
		return nil
	}
	return d.SubstitutionErr()
}

// substResult is a memoized substitution.
type substResult struct {
	s   string
	cut bool
}

// substEntryCost is what a memo entry costs besides its text: its slot in
// the map, with a share of the map's growth.
const substEntryCost = 128

// substitute returns s with its %strkey% tokens replaced, and whether the
// result was cut at MaxFieldLen characters. Results that share the
// document's text (s itself when no token is known, a value when s is one
// token) cost nothing; others are built once, kept in the memo and charged
// to the budget (their length, the length of s and substEntryCost). When
// the budget has run out, it returns s and the error SubstitutionErr
// reports.
func (d *Document) substitute(s string) (string, bool, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, false, nil
	}
	strs := d.stringsTable()
	max := d.fieldMax()
	if len(s) >= 3 && s[0] == '%' && s[len(s)-1] == '%' && strings.IndexByte(s[1:len(s)-1], '%') < 0 {
		if v, ok := foldLookup(strs, s[1:len(s)-1]); ok && len(v) <= max {
			return v, false, nil
		}
	}
	size, changed := substSize(s, strs)
	if !changed {
		return s, false, nil
	}
	lz := d.lazy
	if lz == nil { // a zero Document: no strings, nothing to keep
		r, cut := buildSubst(s, strs, size, max)
		return r, cut, nil
	}
	lz.subMu.Lock()
	defer lz.subMu.Unlock()
	if m, ok := lz.subMemo[s]; ok {
		return m.s, m.cut, nil
	}
	if lz.subErr != nil {
		return s, false, lz.subErr
	}
	cost := int64(min(size, 4*max)) + int64(len(s)) + substEntryCost
	if lz.subUsed+cost > d.lim.MaxSubstitution {
		lz.subErr = fmt.Errorf("%w: %%strkey%% substitution built more than %d bytes", ErrLimit, d.lim.MaxSubstitution)
		lz.subFull.Store(true)
		return s, false, lz.subErr
	}
	r, cut := buildSubst(s, strs, size, max)
	lz.subUsed += cost
	if lz.subMemo == nil {
		lz.subMemo = make(map[string]substResult)
	}
	lz.subMemo[s] = substResult{r, cut}
	return r, cut, nil
}

// substTokens calls fn for each piece of the substitution of s: text
// copied as it is and replacements, in order, until fn returns false.
func substTokens(s string, strs map[string]string, fn func(piece string, replaced bool) bool) {
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			fn(s[i:], false)
			return
		}
		start := i + j
		k := strings.IndexByte(s[start+1:], '%')
		if k < 0 { // unterminated: copied as it is
			fn(s[i:], false)
			return
		}
		if start > i && !fn(s[i:start], false) {
			return
		}
		tok := s[start+1 : start+1+k]
		i = start + k + 2
		if tok == "" {
			if !fn("%", true) {
				return
			}
			continue
		}
		if v, ok := foldLookup(strs, tok); ok {
			if !fn(v, true) {
				return
			}
			continue
		}
		if !fn(s[start:i], false) {
			return
		}
	}
}

// substSize returns the length in bytes of the substitution of s (before
// any cut) and whether it differs from s.
func substSize(s string, strs map[string]string) (size int, changed bool) {
	substTokens(s, strs, func(p string, replaced bool) bool {
		size += len(p)
		changed = changed || replaced
		return true
	})
	return size, changed
}

// buildSubst builds the substitution of s, size bytes before any cut, cut
// at max characters.
func buildSubst(s string, strs map[string]string, size, max int) (string, bool) {
	var sb strings.Builder
	if size <= max { // at most max bytes, so at most max characters
		sb.Grow(size)
		substTokens(s, strs, func(p string, _ bool) bool {
			sb.WriteString(p)
			return true
		})
		return sb.String(), false
	}
	sb.Grow(min(size, 4*max))
	n, cut := 0, false // characters written
	substTokens(s, strs, func(p string, _ bool) bool {
		c := utf8.RuneCountInString(p)
		if n+c <= max {
			sb.WriteString(p)
			n += c
			return true
		}
		head, _ := prefixChars(p, max-n)
		sb.WriteString(head)
		cut = true
		return false
	})
	return sb.String(), cut
}

// Common directory IDs (DIRIDs) used in INF files.
const (
	DIRIDAbsolute     = -1    // an absolute path
	DIRIDSourceDir    = 1     // the directory the INF was installed from
	DIRIDWindows      = 10    // %SystemRoot%
	DIRIDSystem32     = 11    // %SystemRoot%\System32
	DIRIDDrivers      = 12    // %SystemRoot%\System32\drivers
	DIRIDDriverStore  = 13    // the package's driver store directory (Windows 10 1709+)
	DIRIDInf          = 17    // %SystemRoot%\INF
	DIRIDHelp         = 18    // %SystemRoot%\Help
	DIRIDFonts        = 20    // %SystemRoot%\Fonts
	DIRIDViewers      = 21    // %SystemRoot%\System32\Viewers
	DIRIDColor        = 23    // %SystemRoot%\System32\spool\drivers\color
	DIRIDSystemDrive  = 24    // root of the system drive
	DIRIDShared       = 25    // shared directory
	DIRIDBootDrive    = 30    // root of the boot drive
	DIRIDSystem       = 50    // %SystemRoot%\System
	DIRIDSpool        = 51    // %SystemRoot%\System32\spool
	DIRIDSpoolDrivers = 52    // %SystemRoot%\System32\spool\drivers
	DIRIDUserProfile  = 53    // the user profile
	DIRIDLoader       = 54    // the directory of the boot loader
	DIRIDProgramFiles = 16422 // %ProgramFiles%
	DIRIDCommonFiles  = 16427 // %CommonProgramFiles%
	DIRIDSysWOW64     = 16425 // %SystemRoot%\SysWOW64
)

var commonDIRIDs = map[int]string{
	DIRIDWindows:      `%SystemRoot%`,
	DIRIDSystem32:     `%SystemRoot%\System32`,
	DIRIDDrivers:      `%SystemRoot%\System32\drivers`,
	DIRIDDriverStore:  `%SystemRoot%\System32\DriverStore\FileRepository\<package>`,
	DIRIDInf:          `%SystemRoot%\INF`,
	DIRIDHelp:         `%SystemRoot%\Help`,
	DIRIDFonts:        `%SystemRoot%\Fonts`,
	DIRIDViewers:      `%SystemRoot%\System32\Viewers`,
	DIRIDColor:        `%SystemRoot%\System32\spool\drivers\color`,
	DIRIDSystemDrive:  `%SystemDrive%\`,
	DIRIDShared:       `%SystemRoot%`,
	DIRIDBootDrive:    `%BootDrive%\`,
	DIRIDSystem:       `%SystemRoot%\System`,
	DIRIDSpool:        `%SystemRoot%\System32\spool`,
	DIRIDSpoolDrivers: `%SystemRoot%\System32\spool\drivers`,
	DIRIDUserProfile:  `%USERPROFILE%`,
	DIRIDLoader:       `%BootDrive%\`,
	DIRIDProgramFiles: `%ProgramFiles%`,
	DIRIDCommonFiles:  `%CommonProgramFiles%`,
	DIRIDSysWOW64:     `%SystemRoot%\SysWOW64`,
}

// DIRID returns the usual location of a common directory ID, written with
// environment variables (12 -> `%SystemRoot%\System32\drivers`).
func DIRID(id int) (string, bool) {
	p, ok := commonDIRIDs[id]
	return p, ok
}

// ExpandDIRIDs replaces numeric %DIRID% tokens left in substituted text
// with lookup(id) (DIRID when lookup is nil). As SetupAPI does, a trailing
// backslash of the replacement is dropped when the token is followed by
// '\'. Unknown IDs are left as they are.
func ExpandDIRIDs(s string, lookup func(id int) (string, bool)) string {
	if lookup == nil {
		lookup = DIRID
	}
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var sb strings.Builder
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			break
		}
		start := i + j
		k := strings.IndexByte(s[start+1:], '%')
		if k < 0 {
			break
		}
		end := start + k + 2
		sb.WriteString(s[i:start])
		id, err := strconv.Atoi(s[start+1 : end-1])
		p, ok := "", false
		if err == nil && k > 0 {
			p, ok = lookup(id)
		}
		if !ok {
			sb.WriteString(s[start:end])
		} else {
			if end < len(s) && s[end] == '\\' {
				p = strings.TrimSuffix(p, `\`)
			}
			sb.WriteString(p)
		}
		i = end
	}
	sb.WriteString(s[i:])
	return sb.String()
}

// SplitDIRID splits a path that starts with a numeric DIRID token, such as
// `%12%\viostor.sys`, into the ID and the rest without its leading
// backslash.
func SplitDIRID(s string) (id int, rest string, ok bool) {
	if len(s) < 3 || s[0] != '%' {
		return 0, s, false
	}
	k := strings.IndexByte(s[1:], '%')
	if k <= 0 {
		return 0, s, false
	}
	id, err := strconv.Atoi(s[1 : 1+k])
	if err != nil {
		return 0, s, false
	}
	return id, strings.TrimPrefix(s[k+2:], `\`), true
}
