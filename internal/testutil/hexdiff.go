package testutil

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// HexDiff describes how got differs from want as hex-dump lines around the
// first differing 16-byte rows (at most maxRows rows are shown). It returns
// "" when the slices are equal.
func HexDiff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	const maxRows = 8
	var sb strings.Builder
	fmt.Fprintf(&sb, "lengths: want %d, got %d\n", len(want), len(got))
	n := max(len(want), len(got))
	rows, first := 0, -1
	for off := 0; off < n && rows < maxRows; off += 16 {
		w, g := row(want, off), row(got, off)
		if bytes.Equal(w, g) && len(w) == len(g) {
			continue
		}
		if first < 0 {
			for i := off; i < n; i++ {
				if i >= len(want) || i >= len(got) || want[i] != got[i] {
					first = i
					break
				}
			}
			fmt.Fprintf(&sb, "first difference at offset %#x\n", first)
		}
		fmt.Fprintf(&sb, "-%08x  %s\n+%08x  %s\n", off, hexRow(w), off, hexRow(g))
		rows++
	}
	if rows == maxRows {
		diffs := 0
		for i := range n {
			if i >= len(want) || i >= len(got) || want[i] != got[i] {
				diffs++
			}
		}
		fmt.Fprintf(&sb, "... (%d differing bytes in all)\n", diffs)
	}
	return sb.String()
}

func row(b []byte, off int) []byte {
	if off >= len(b) {
		return nil
	}
	return b[off:min(off+16, len(b))]
}

func hexRow(b []byte) string {
	var sb strings.Builder
	for i := range 16 {
		if i < len(b) {
			fmt.Fprintf(&sb, "%02x ", b[i])
		} else {
			sb.WriteString("   ")
		}
		if i == 7 {
			sb.WriteByte(' ')
		}
	}
	sb.WriteString(" |")
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('.')
		}
	}
	sb.WriteByte('|')
	return sb.String()
}

// EqualBytes fails the test with a hex-dump diff when got differs from want.
func EqualBytes(t testing.TB, want, got []byte, msgAndArgs ...any) {
	t.Helper()
	if d := HexDiff(want, got); d != "" {
		prefix := "bytes differ"
		if len(msgAndArgs) > 0 {
			if f, ok := msgAndArgs[0].(string); ok {
				prefix = fmt.Sprintf(f, msgAndArgs[1:]...)
			}
		}
		t.Fatalf("%s:\n%s", prefix, d)
	}
}
