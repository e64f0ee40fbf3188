package inf

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds what the readers on top of a Document (Driver, Install,
// Services, CopyFileList, the registry and txtsetup.oem readers) share to
// keep their allocations in proportion to the input: a bounded warning
// list, section lookups by composed names that do not allocate, key
// indexes for sections searched many times, and arenas that carve many
// small slices out of a few allocations.

// warnings collects the warnings of one reader call, at most
// Limits.MaxWarnings of them.
type warnings struct {
	list    []Warning
	max     int
	dropped int
}

func (d *Document) newWarnings() *warnings { return &warnings{max: d.lim.MaxWarnings} }

// room reports whether one more warning is kept, and counts it as
// dropped when it is not. Callers build a warning's message only when
// room returns true.
func (w *warnings) room() bool {
	if len(w.list) < w.max {
		return true
	}
	w.dropped++
	return false
}

// add keeps x if there is room.
func (w *warnings) add(x Warning) {
	if w.room() {
		w.list = append(w.list, x)
	}
}

const tooManyWarnings = "too-many-warnings"

// result returns the warnings kept, followed, when some were dropped, by
// one warning with code "too-many-warnings" that counts them.
func (w *warnings) result() []Warning {
	if w.dropped > 0 {
		w.list = append(w.list, Warning{Code: tooManyWarnings,
			Msg: fmt.Sprintf("%d more warnings not listed (Limits.MaxWarnings is %d)", w.dropped, w.max)})
	}
	return w.list
}

// sectionOf returns the section named by the concatenation of parts
// (such as base, ".NT", arch), without building the name for short ASCII
// names.
func (d *Document) sectionOf(parts ...string) *Section {
	var buf [128]byte
	b := buf[:0]
	for _, p := range parts {
		var ok bool
		if b, ok = appendLowerASCII(b, p); !ok {
			return d.Section(strings.Join(parts, ""))
		}
	}
	return d.byName[string(b)]
}

// foldKey returns a form of s such that foldKey(a) == foldKey(b) exactly
// when strings.EqualFold(a, b): ASCII letters in lower case, every other
// character replaced by the smallest member of its Unicode simple-folding
// orbit (or by the lower-case ASCII letter in it, for the orbits of K and
// S), invalid bytes by U+FFFD.
func foldKey(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			var sb strings.Builder
			sb.Grow(len(s))
			for _, r := range s {
				sb.WriteRune(canonRune(r))
			}
			return sb.String()
		}
	}
	return fold(s)
}

// lookupFoldKey looks key up in m, whose keys are foldKey forms, without
// allocating for short ASCII keys.
func lookupFoldKey[V any](m map[string]V, key string) (V, bool) {
	return lookupLower(m, key, foldKey)
}

func canonRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return canonRune(f)
		}
		m = min(m, f)
	}
	return m
}

// keyIndex maps the folded (foldKey) substituted keys of a section's
// entries to the first entry with that key, as Section.Find finds it.
type keyIndex map[string]*Line

// smallSection is the entry count up to which a linear Find is used
// rather than an index.
const smallSection = 16

// finder answers Section.Find for sections searched many times in one
// reader call, indexing those that are not small.
type finder struct {
	idx map[*Section]keyIndex
}

// find returns what s.Find(key) returns.
func (f *finder) find(s *Section, key string) *Line {
	body := s.lines()
	if len(body) <= smallSection {
		return s.Find(key)
	}
	ix, ok := f.idx[s]
	if !ok {
		ix = make(keyIndex)
		for _, l := range body {
			if l.kind != Entry || !l.hasKey {
				continue
			}
			k := foldKey(l.Key())
			if _, dup := ix[k]; !dup {
				ix[k] = l
			}
		}
		if f.idx == nil {
			f.idx = make(map[*Section]keyIndex)
		}
		f.idx[s] = ix
	}
	l, _ := lookupFoldKey(ix, key)
	return l
}

// arena hands out slices carved from larger blocks, so that many small
// results (the strings and data of registry values) cost a few
// allocations. Each slice is capped at its length, so that appending to
// it copies rather than overwriting its neighbour.
type arena[T any] struct {
	block []T
	next  int // size of the first block, when the caller knows it
}

// take returns a slice of n elements (zeroed).
func (a *arena[T]) take(n int) []T {
	if n == 0 {
		return nil
	}
	if len(a.block)+n > cap(a.block) {
		size := a.next // the first block takes the size hinted, if any
		if size <= 0 {
			size = min(max(2*cap(a.block), 16), 1<<16)
		}
		a.next = 0
		if n > size/4 { // big enough to stand alone
			return make([]T, n)
		}
		a.block = make([]T, 0, size)
	}
	s := a.block[len(a.block) : len(a.block)+n : len(a.block)+n]
	a.block = a.block[:len(a.block)+n]
	return s
}
