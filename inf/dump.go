package inf

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DocumentSummary is a plain rendition of a document for tools and golden
// files: its encoding and every section's entries with keys and fields
// after substitution. It marshals to JSON.
type DocumentSummary struct {
	Encoding     string           `json:"encoding"`
	BOM          bool             `json:"bom"`
	LineEndings  string           `json:"lineEndings"` // "CRLF", "LF", "mixed" or "none"
	FinalNewline bool             `json:"finalNewline"`
	CtrlZ        bool             `json:"ctrlZ"`
	Language     string           `json:"language"`          // LANGID used for substitution, "0x0409"
	Strings      string           `json:"strings,omitempty"` // the [Strings*] section chosen
	Sections     []SectionSummary `json:"sections"`
}

// SectionSummary lists a section's entries.
type SectionSummary struct {
	Name    string         `json:"name"`
	Entries []EntrySummary `json:"entries"`
}

// EntrySummary is one entry: its first physical line number, its key (nil
// when it has none) and its fields, substituted.
type EntrySummary struct {
	Line   int      `json:"line"`
	Key    *string  `json:"key,omitempty"`
	Fields []string `json:"fields"`
}

// Summary renders the document as a DocumentSummary.
func (d *Document) Summary() DocumentSummary {
	s := DocumentSummary{
		Encoding:     d.enc.String(),
		BOM:          d.enc.BOM,
		FinalNewline: d.FinalNewline(),
		CtrlZ:        len(d.tail) > 0 && d.tailHasCtrlZ(),
		Language:     fmt.Sprintf("0x%04x", d.lang),
		LineEndings:  d.lineEndingName(),
	}
	if ss := d.StringsSection(); ss != nil {
		s.Strings = ss.name
	}
	d.index()
	for _, sec := range d.sections {
		ss := SectionSummary{Name: sec.name, Entries: []EntrySummary{}}
		for _, l := range sec.body {
			if l.kind != Entry {
				continue
			}
			e := EntrySummary{Line: l.num, Fields: l.Fields()}
			if l.hasKey && !l.implicitKey {
				k := l.Key()
				e.Key = &k
			}
			ss.Entries = append(ss.Entries, e)
		}
		s.Sections = append(s.Sections, ss)
	}
	return s
}

func (d *Document) tailHasCtrlZ() bool {
	if d.codec.wide() {
		return len(d.tail) >= 2 && d.codec.unit(d.tail, 0) == 0x1A
	}
	return d.tail[0] == 0x1A
}

func (d *Document) lineEndingName() string {
	crlf, lf := d.eolCounts()
	switch {
	case crlf > 0 && lf > 0:
		return "mixed"
	case crlf > 0:
		return "CRLF"
	case lf > 0:
		return "LF"
	}
	return "none"
}

// Dump writes a text rendition of Summary: a header, then each section
// with its entries as `line: key = "field", "field"` (fields quoted with
// Go syntax so that spaces and empty fields show).
func (d *Document) Dump(w io.Writer) error {
	s := d.Summary()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# encoding %s, line endings %s, final newline %v, ctrl-z %v, language %s", s.Encoding, s.LineEndings, s.FinalNewline, s.CtrlZ, s.Language)
	if s.Strings != "" {
		fmt.Fprintf(bw, ", strings [%s]", s.Strings)
	}
	bw.WriteString("\n")
	for _, sec := range s.Sections {
		fmt.Fprintf(bw, "[%s]\n", sec.Name)
		for _, e := range sec.Entries {
			q := make([]string, len(e.Fields))
			for i, f := range e.Fields {
				q[i] = strconv.Quote(f)
			}
			if e.Key != nil {
				fmt.Fprintf(bw, "%d: %s = %s\n", e.Line, strconv.Quote(*e.Key), strings.Join(q, ", "))
			} else {
				fmt.Fprintf(bw, "%d: %s\n", e.Line, strings.Join(q, ", "))
			}
		}
	}
	return bw.Flush()
}
