package inf

import (
	"fmt"
	"sort"
	"strings"
)

// StampOptions say how to turn an INX template into an INF, as the WDK's
// stampinf (and build systems around it) do.
type StampOptions struct {
	// Arch replaces "$ARCH$" (as in "NT$ARCH$") with the architecture
	// name: x86, amd64, arm64, arm or ia64. "" leaves it.
	Arch Arch

	// DriverVer, when set, becomes the DriverVer of Section (added at the
	// end of the section when it has none).
	DriverVer *DriverVer

	// Section holds DriverVer. Default "Version".
	Section string

	// KMDFVersion, UMDFVersion and KMDFCoinstallerVersion replace
	// "$KMDFVERSION$", "$UMDFVERSION$" and "$KMDFCOINSTALLERVERSION$";
	// "" leaves them.
	KMDFVersion, UMDFVersion, KMDFCoinstallerVersion string

	// Placeholders maps other literal text, such as "INX_COMPANY" or
	// "INX_PLATFORM_DRIVERS_DIR", to its replacement. Replacement is
	// textual (comments included), longest placeholder first. A
	// placeholder starting with "INX_" that is glued to a preceding word
	// by an underscore takes that underscore with it, as virtio-win's
	// build does for "SUBSYS_0002_INX_SUBSYS_VENDOR_ID" ->
	// "SUBSYS_00021AF4".
	Placeholders map[string]string
}

type stampRule struct {
	from, to string
	glue     bool
}

// Stamp applies o to the document: every physical line containing a
// placeholder is rewritten (in the file's encoding, keeping its line
// ending); other lines keep their bytes. The document's original bytes are
// kept for Revert. Lines and sections obtained before Stamp are invalid
// afterwards (ErrRemoved).
func (d *Document) Stamp(o StampOptions) error {
	dvSection := o.Section
	if dvSection == "" {
		dvSection = "Version"
	}
	if o.DriverVer != nil && d.Section(dvSection) == nil {
		return fmt.Errorf("%w: no [%s] section for DriverVer", ErrNotFound, dvSection)
	}
	var rules []stampRule
	add := func(from, to string, glue bool) {
		if from != "" {
			rules = append(rules, stampRule{from, to, glue})
		}
	}
	if o.Arch != "" {
		add("$ARCH$", string(o.Arch), false)
	}
	if o.KMDFVersion != "" {
		add("$KMDFVERSION$", o.KMDFVersion, false)
	}
	if o.UMDFVersion != "" {
		add("$UMDFVERSION$", o.UMDFVersion, false)
	}
	if o.KMDFCoinstallerVersion != "" {
		add("$KMDFCOINSTALLERVERSION$", o.KMDFCoinstallerVersion, false)
	}
	for k, v := range o.Placeholders {
		if err := checkText(v); err != nil {
			return err
		}
		add(k, v, strings.HasPrefix(k, "INX_"))
	}
	sort.Slice(rules, func(i, j int) bool {
		if len(rules[i].from) != len(rules[j].from) {
			return len(rules[i].from) > len(rules[j].from)
		}
		return rules[i].from < rules[j].from
	})

	if len(rules) > 0 {
		out := make([]byte, 0, d.size+d.size/8) // room for longer replacements
		changed := false
		out = append(out, d.head...)
		for l := d.first; l != nil; l = l.next {
			for _, p := range l.phys {
				t, ok := stampText(p.text, rules)
				if !ok {
					out = append(out, p.raw...)
					out = append(out, d.codec.eolBytes(p.eol)...)
					continue
				}
				raw, err := d.codec.encode(t)
				if err != nil {
					return fmt.Errorf("%w: stamped line %q", err, t)
				}
				changed = true
				out = append(out, raw...)
				out = append(out, d.codec.eolBytes(p.eol)...)
			}
		}
		out = append(out, d.tail...)
		if changed {
			if err := d.adopt(out, true); err != nil {
				return err
			}
		}
	}
	if o.DriverVer != nil {
		s := d.Section(dvSection)
		if s == nil {
			return fmt.Errorf("%w: no [%s] section for DriverVer", ErrNotFound, dvSection)
		}
		if _, err := s.Set("DriverVer", o.DriverVer.Fields()...); err != nil {
			return err
		}
	}
	return nil
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// stampText applies the rules to one physical line of text.
func stampText(s string, rules []stampRule) (string, bool) {
	hit := false
	for _, r := range rules {
		if strings.Contains(s, r.from) {
			hit = true
			break
		}
	}
	if !hit {
		return s, false
	}
	var b []byte
	for i := 0; i < len(s); {
		matched := false
		for _, r := range rules {
			if !strings.HasPrefix(s[i:], r.from) {
				continue
			}
			if r.glue && i >= 2 && s[i-1] == '_' && isWordByte(s[i-2]) && len(b) > 0 {
				b = b[:len(b)-1] // the '_' goes with the placeholder
			}
			b = append(b, r.to...)
			i += len(r.from)
			matched = true
			break
		}
		if !matched {
			b = append(b, s[i])
			i++
		}
	}
	return string(b), true
}

// adopt replaces the document's content with the parse of b, keeping the
// original bytes for Revert.
func (d *Document) adopt(b []byte, modified bool) error {
	nd, err := Parse(b, &ReadOptions{Encoding: &Encoding{Form: d.enc.Form, CodePage: d.enc.CodePage}, Language: d.lang, Dialect: d.dialect, Limits: &d.lim})
	if err != nil {
		return err
	}
	d.detach()
	orig := d.orig
	*d = *nd
	d.orig = orig
	d.modified = modified
	d.attach()
	return nil
}
