package inf

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
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
	s := d.summaryHead()
	d.index()
	// One allocation each for the entries, fields and keys of all
	// sections.
	nent, nfld, nkey := 0, 0, 0
	for _, sec := range d.sections {
		for _, l := range sec.body {
			if l.kind == Entry {
				nent++
				nfld += len(l.fields)
				if l.hasKey && !l.implicitKey {
					nkey++
				}
			}
		}
	}
	if len(d.sections) > 0 {
		s.Sections = make([]SectionSummary, 0, len(d.sections))
	}
	entries := make([]EntrySummary, 0, nent)
	fields := make([]string, 0, nfld)
	keys := make([]string, 0, nkey)
	for _, sec := range d.sections {
		e0 := len(entries)
		for _, l := range sec.body {
			if l.kind != Entry {
				continue
			}
			f0 := len(fields)
			for i := range l.fields {
				fields = append(fields, l.Field(i))
			}
			e := EntrySummary{Line: l.num, Fields: fields[f0:len(fields):len(fields)]}
			if l.hasKey && !l.implicitKey {
				keys = append(keys, l.Key())
				e.Key = &keys[len(keys)-1]
			}
			entries = append(entries, e)
		}
		s.Sections = append(s.Sections, SectionSummary{Name: sec.name, Entries: entries[e0:len(entries):len(entries)]})
	}
	return s
}

// summaryHead is the summary without its sections.
func (d *Document) summaryHead() DocumentSummary {
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
// Go syntax so that spaces and empty fields show). It returns the
// writer's error, or SubstitutionErr's.
func (d *Document) Dump(w io.Writer) error {
	s := d.summaryHead()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# encoding %s, line endings %s, final newline %v, ctrl-z %v, language %s", s.Encoding, s.LineEndings, s.FinalNewline, s.CtrlZ, s.Language)
	if s.Strings != "" {
		fmt.Fprintf(bw, ", strings [%s]", s.Strings)
	}
	bw.WriteString("\n")
	d.index()
	var buf []byte
	for _, sec := range d.sections {
		buf = append(append(append(buf[:0], '['), sec.name...), "]\n"...)
		bw.Write(buf)
		for _, l := range sec.body {
			if l.kind != Entry {
				continue
			}
			buf = strconv.AppendInt(buf[:0], int64(l.num), 10)
			buf = append(buf, ": "...)
			if l.hasKey && !l.implicitKey {
				buf = strconv.AppendQuote(buf, l.Key())
				buf = append(buf, " = "...)
			}
			for i := range l.fields {
				if i > 0 {
					buf = append(buf, ", "...)
				}
				buf = strconv.AppendQuote(buf, l.Field(i))
				if len(buf) >= 4096 { // a long entry goes out in pieces
					bw.Write(buf)
					buf = buf[:0]
				}
			}
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return d.SubstitutionErr()
}
