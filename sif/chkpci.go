package sif

import (
	"bytes"
	"container/heap"
	"io"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"

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
	// The lines share one copy of the text.
	text := string(b)
	c.lines = make([]string, 0, bytes.Count(b, []byte{'\n'})+1)
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			c.lines = append(c.lines, text)
			break
		}
		c.lines = append(c.lines, text[:i+1])
		text = text[i+1:]
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
// EditKept otherwise, since 0PE uses the first match). IDs compare
// case-insensitively (strings.EqualFold); the file is indexed once, so
// adding many entries to a long file takes linear time.
func (c *CHKPCI) Add(entries []PCIEntry) []Edit {
	var edits []Edit
	// The line of the first entry of each folded ID asked for.
	first := map[string]int{}
	want := map[string]bool{}
	for _, e := range entries {
		want[foldKey(e.ID)] = true
	}
	index := func(from int) {
		for i := from; i < len(c.lines); i++ {
			if e, ok := c.entryAt(i); ok {
				k := foldKey(e.ID)
				if _, dup := first[k]; want[k] && !dup {
					first[k] = i
				}
			}
		}
	}
	index(0)
	for _, e := range entries {
		if i, found := first[foldKey(e.ID)]; found {
			cur, _ := c.entryAt(i)
			k := EditUnchanged
			note := ""
			if !strings.EqualFold(cur.Service, e.Service) {
				k, note = EditKept, "listed with service "+cur.Service+"; wanted "+e.Service
			}
			edits = append(edits, Edit{Kind: k, File: fileCHKPCI, Line: i + 1, Old: "$" + cur.ID, Note: note})
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
		index(n)
		edits = append(edits, Edit{Kind: EditAdd, File: fileCHKPCI, Line: n + 1, New: "$" + e.ID + " " + e.Service})
	}
	return edits
}

// Remove deletes, for each entry in turn, the first entry of the file whose
// ID and service match it (case-insensitively) and that has a service
// line. The file is indexed once: removing many entries from a long file
// takes O(n log n) time.
func (c *CHKPCI) Remove(entries []PCIEntry) []Edit {
	want := map[[2]string]bool{}
	for _, e := range entries {
		want[[2]string{foldKey(e.ID), foldKey(e.Service)}] = true
	}
	r := newRemover(c, want)
	var edits []Edit
	for _, e := range entries {
		i, ok := r.first(foldKey(e.ID), foldKey(e.Service))
		if !ok {
			continue
		}
		cur, _ := r.entryAt(i)
		line := r.position(i) + 1
		r.remove(i)
		edits = append(edits, Edit{Kind: EditRemove, File: fileCHKPCI, Line: line, Old: "$" + cur.ID + " " + cur.Service})
	}
	r.apply()
	return edits
}

// remover takes entries out of a CHKPCI: the lines form a linked list (the
// service of an entry is the line after it among those left), a Fenwick
// tree counts the lines left before a line, and for each folded (ID,
// service) pair asked for a heap holds the entries that had that pair when
// pushed; an entry whose service changes (when the entry after it is
// removed) is pushed again under its new pair, and stale heap items are
// dropped when they come up.
type remover struct {
	c          *CHKPCI
	next, prev []int
	alive      []bool
	left       []int // Fenwick tree over alive
	want       map[[2]string]bool
	heaps      map[[2]string]*lineHeap
}

func newRemover(c *CHKPCI, want map[[2]string]bool) *remover {
	n := len(c.lines)
	r := &remover{c: c, next: make([]int, n), prev: make([]int, n), alive: make([]bool, n), left: make([]int, n+1),
		want: want, heaps: map[[2]string]*lineHeap{}}
	for i := range n {
		r.next[i], r.prev[i], r.alive[i] = i+1, i-1, true
		r.add(i, 1)
	}
	if n > 0 {
		r.next[n-1] = -1
	}
	for i := range n {
		r.push(i)
	}
	return r
}

func (r *remover) add(i, d int) {
	for i++; i < len(r.left); i += i & -i {
		r.left[i] += d
	}
}

// position returns how many lines are left before line i.
func (r *remover) position(i int) int {
	n := 0
	for ; i > 0; i -= i & -i {
		n += r.left[i]
	}
	return n
}

// entryAt is CHKPCI.entryAt over the lines left.
func (r *remover) entryAt(i int) (PCIEntry, bool) {
	t := strings.TrimSpace(trimEOL(r.c.lines[i]))
	if !strings.HasPrefix(t, "$") {
		return PCIEntry{}, false
	}
	e := PCIEntry{ID: strings.TrimSpace(t[1:])}
	if j := r.next[i]; j >= 0 {
		if n := strings.TrimSpace(trimEOL(r.c.lines[j])); !strings.HasPrefix(n, "$") {
			e.Service = n
		}
	}
	return e, true
}

// push files line i under its current (ID, service) pair, if it starts an
// entry with a service.
func (r *remover) push(i int) {
	e, ok := r.entryAt(i)
	if !ok || e.Service == "" {
		return
	}
	k := [2]string{foldKey(e.ID), foldKey(e.Service)}
	if !r.want[k] {
		return
	}
	h := r.heaps[k]
	if h == nil {
		h = &lineHeap{}
		r.heaps[k] = h
	}
	heap.Push(h, i)
}

// first returns the first line left that starts an entry with this folded
// ID and service.
func (r *remover) first(id, service string) (int, bool) {
	h := r.heaps[[2]string{id, service}]
	for h != nil && h.Len() > 0 {
		i := (*h)[0]
		if e, ok := r.entryAt(i); ok && r.alive[i] && e.Service != "" && foldKey(e.ID) == id && foldKey(e.Service) == service {
			return i, true
		}
		heap.Pop(h)
	}
	return 0, false
}

// remove takes out the entry at i and its service line, as Remove did
// line by line: when they were the last lines and the service line had no
// line ending, the line before loses its line ending too.
func (r *remover) remove(i int) {
	j := r.next[i]
	last := r.next[j] < 0 && !strings.HasSuffix(r.c.lines[j], "\n")
	p, after := r.prev[i], r.next[j]
	for _, k := range []int{i, j} {
		r.alive[k] = false
		r.add(k, -1)
	}
	if p >= 0 {
		r.next[p] = after
	}
	if after >= 0 {
		r.prev[after] = p
	}
	if p >= 0 {
		if last {
			r.c.lines[p] = strings.TrimSuffix(r.c.lines[p], r.c.eol)
		}
		r.push(p) // its service is now the line after the removed entry
	}
}

// apply keeps the lines left.
func (r *remover) apply() {
	kept := r.c.lines[:0]
	for i, l := range r.c.lines {
		if r.alive[i] {
			kept = append(kept, l)
		}
	}
	r.c.lines = kept
}

// lineHeap is a min-heap of line indexes.
type lineHeap []int

func (h lineHeap) Len() int           { return len(h) }
func (h lineHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h lineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *lineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// foldKey returns a key under which strings equal under simple Unicode case
// folding (strings.EqualFold) are equal: each rune becomes the smallest of
// its folding orbit (invalid UTF-8 decodes to U+FFFD, as in EqualFold).
func foldKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('a' <= c && c <= 'z') {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b = utf8.AppendRune(b, m)
	}
	return string(b)
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
