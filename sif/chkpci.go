package sif

import (
	"bytes"
	"io"
	"io/fs"
	"strings"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

const fileCHKPCI = "CHKPCI.TXT"

// CHKPCI is 0PE's CHKPCI.TXT, the list of PCI IDs whose mass-storage
// driver 0PE loads automatically: for each device a line "$" followed by
// the PCI hardware ID without its &REV_xx part, then a line with the
// upper-cased service name:
//
//	$PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4
//	VIOSTOR
//
// (0PE expects the driver itself as SRS\FREQUENT\<service>.sy_.) The file is
// kept line by line, so lines this model does not understand survive
// edits, and removing what Add added gives the original bytes back.
type CHKPCI struct {
	lines []string // raw lines with their line endings
	eol   string
}

// ParseCHKPCI reads a CHKPCI.TXT. Only a file over Limits.MaxFileSize is
// refused (ErrLimit); any text is otherwise kept as it is.
func ParseCHKPCI(b []byte, opts *ReadOptions) (*CHKPCI, error) {
	if err := checkSize(fileCHKPCI, int64(len(b)), opts.limits().MaxFileSize); err != nil {
		return nil, err
	}
	c := &CHKPCI{eol: "\r\n"}
	if i := bytes.IndexByte(b, '\n'); i >= 0 && (i == 0 || b[i-1] != '\r') {
		c.eol = "\n"
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.lines = append(c.lines, string(b))
			break
		}
		c.lines = append(c.lines, string(b[:i+1]))
		b = b[i+1:]
	}
	return c, nil
}

func trimEOL(s string) string { return strings.TrimRight(s, "\r\n") }

// entryAt returns the entry starting at line i.
func (c *CHKPCI) entryAt(i int) (PCIEntry, bool) {
	t := strings.TrimSpace(trimEOL(c.lines[i]))
	if !strings.HasPrefix(t, "$") {
		return PCIEntry{}, false
	}
	e := PCIEntry{ID: strings.TrimSpace(t[1:])}
	if i+1 < len(c.lines) {
		if n := strings.TrimSpace(trimEOL(c.lines[i+1])); !strings.HasPrefix(n, "$") {
			e.Service = n
		}
	}
	return e, true
}

// Entries returns the entries in file order.
func (c *CHKPCI) Entries() []PCIEntry {
	var out []PCIEntry
	for i := range c.lines {
		if e, ok := c.entryAt(i); ok {
			out = append(out, e)
		}
	}
	return out
}

// Add appends the entries that are missing. An entry whose ID is listed
// already is left alone (EditUnchanged when the service is the same,
// EditKept otherwise, since 0PE uses the first match).
func (c *CHKPCI) Add(entries []PCIEntry) []Edit {
	var edits []Edit
	for _, e := range entries {
		found := false
		for i := range c.lines {
			if cur, ok := c.entryAt(i); ok && strings.EqualFold(cur.ID, e.ID) {
				found = true
				k := EditUnchanged
				note := ""
				if !strings.EqualFold(cur.Service, e.Service) {
					k, note = EditKept, "listed with service "+cur.Service+"; wanted "+e.Service
				}
				edits = append(edits, Edit{Kind: k, File: fileCHKPCI, Line: i + 1, Old: "$" + cur.ID, Note: note})
				break
			}
		}
		if found {
			continue
		}
		n := len(c.lines)
		if n > 0 && !strings.HasSuffix(c.lines[n-1], "\n") {
			// The file ends without a line ending: the new entry ends
			// without one too, so Remove can restore the file exactly.
			c.lines[n-1] += c.eol
			c.lines = append(c.lines, "$"+e.ID+c.eol, e.Service)
		} else {
			c.lines = append(c.lines, "$"+e.ID+c.eol, e.Service+c.eol)
		}
		edits = append(edits, Edit{Kind: EditAdd, File: fileCHKPCI, Line: n + 1, New: "$" + e.ID + " " + e.Service})
	}
	return edits
}

// Remove deletes the entries whose ID and service match (case-insensitively).
func (c *CHKPCI) Remove(entries []PCIEntry) []Edit {
	var edits []Edit
	for _, e := range entries {
		for i := 0; i+1 < len(c.lines); i++ {
			cur, ok := c.entryAt(i)
			if !ok || !strings.EqualFold(cur.ID, e.ID) || !strings.EqualFold(cur.Service, e.Service) || cur.Service == "" {
				continue
			}
			lastNoEOL := i+2 == len(c.lines) && !strings.HasSuffix(c.lines[i+1], "\n")
			c.lines = append(c.lines[:i], c.lines[i+2:]...)
			if lastNoEOL && i > 0 {
				// Undo what Add does to a file without a final line ending.
				c.lines[i-1] = strings.TrimSuffix(c.lines[i-1], c.eol)
			}
			edits = append(edits, Edit{Kind: EditRemove, File: fileCHKPCI, Line: i + 1, Old: "$" + cur.ID + " " + cur.Service})
			break
		}
	}
	return edits
}

// Bytes returns the file's bytes.
func (c *CHKPCI) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range c.lines {
		b.WriteString(l)
	}
	return b.Bytes()
}

// WriteTo writes the file.
func (c *CHKPCI) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(c.Bytes())
	return int64(n), err
}

// WriteFile saves the file to path atomically; perm is used for a new file
// (0 means 0644).
func (c *CHKPCI) WriteFile(path string, perm fs.FileMode) error {
	return atomicfile.WriteTo(path, c, perm)
}

// FormatCHKPCI renders entries as CHKPCI.TXT text with CRLF line endings.
func FormatCHKPCI(entries []PCIEntry) []byte {
	c := &CHKPCI{eol: "\r\n"}
	c.Add(entries)
	return c.Bytes()
}
