package sif_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// diffCases are file pairs for the diff tests: the slipstream of the
// ReactOS txtsetup.sif, and edge cases around final newlines and empty
// files.
func diffCases(t *testing.T) map[string][2][]byte {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	doc := loadSIF(t, orig)
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	_, err := s.ApplySIF(doc)
	require.NoError(t, err)
	return map[string][2][]byte{
		"slipstream":        {orig, doc.Bytes()},
		"removal":           {doc.Bytes(), orig},
		"no final newline":  {[]byte("a\nb\nc"), []byte("a\nb\nc\nd")},
		"newline added":     {[]byte("a\nb"), []byte("a\nb\n")},
		"from empty":        {nil, []byte("x\ny\n")},
		"to empty":          {[]byte("x\ny\n"), nil},
		"far apart":         {[]byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"), []byte("1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nY\n16\n")},
		"seven apart":       {[]byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n"), []byte("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\nZ\n")},
		"six apart":         {[]byte("1\n2\n3\n4\n5\n6\n"), []byte("0\n1\n2\n3\n4\n5\n6\nZ\n")},
		"crlf and lf mixed": {[]byte("a\r\nb\r\nc\r\n"), []byte("a\r\nb\nc\r\n")},
	}
}

// TestUnifiedDiffMatchesDiff: the hunks equal GNU diff -u's, and patch
// turns the old file into the new one with them.
func TestUnifiedDiffMatchesDiff(t *testing.T) {
	diffBin := testutil.Tool(t, "diff")
	patchBin := testutil.Tool(t, "patch")
	for name, c := range diffCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			require.NoError(t, os.WriteFile(a, c[0], 0o644))
			require.NoError(t, os.WriteFile(b, c[1], 0o644))
			got := sif.UnifiedDiff("a", "b", c[0], c[1])
			want, _, _ := testutil.RunErr(diffBin, "-u", a, b) // exit 1: files differ
			assert.Equal(t, hunks(want), hunks(string(got)))
			p := filepath.Join(dir, "p.diff")
			require.NoError(t, os.WriteFile(p, got, 0o644))
			testutil.Run(t, patchBin, "-s", "-o", filepath.Join(dir, "out"), a, p)
			out, err := os.ReadFile(filepath.Join(dir, "out"))
			require.NoError(t, err)
			testutil.EqualBytes(t, c[1], out, "patch reproduces the new file")
		})
	}
	assert.Nil(t, sif.UnifiedDiff("a", "b", []byte("same"), []byte("same")))
}

// hunks drops the two header lines, which hold file names and times.
func hunks(d string) string {
	lines := strings.SplitAfter(d, "\n")
	if len(lines) < 2 {
		return d
	}
	return strings.Join(lines[2:], "")
}

// TestUnifiedDiffRandom applies the diff of random line edits with the
// test's own hunk reader and checks the result.
func TestUnifiedDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a\n", "b\n", "c\n", "d\r\n", "e\n"}
	for i := range 300 {
		var a [][]byte
		for range r.IntN(40) {
			a = append(a, []byte(words[r.IntN(len(words))]))
		}
		b := append([][]byte(nil), a...)
		for range r.IntN(6) {
			switch j := r.IntN(len(b) + 1); r.IntN(3) {
			case 0:
				b = append(b[:j], append([][]byte{[]byte(words[r.IntN(len(words))])}, b[j:]...)...)
			default:
				if j < len(b) {
					b = append(b[:j], b[j+1:]...)
				}
			}
		}
		old, new := bytes.Join(a, nil), bytes.Join(b, nil)
		if r.IntN(4) == 0 && len(new) > 0 {
			new = new[:len(new)-1] // no final newline
		}
		d := sif.UnifiedDiff("a", "b", old, new)
		got := applyUnified(t, old, d)
		require.Equal(t, string(new), string(got), "case %d:\n%s", i, d)
	}
}

// applyUnified applies a unified diff to old.
func applyUnified(t testing.TB, old, d []byte) []byte {
	if d == nil {
		return old
	}
	src := strings.SplitAfter(string(old), "\n")
	if len(src) > 0 && src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	lines := strings.SplitAfter(string(d), "\n")[2:]
	var out []string
	at := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "@@ -") {
			var start int
			spec := strings.Fields(l)[1][1:]
			startStr, cnt, _ := strings.Cut(spec, ",")
			start = atoi(t, startStr)
			if cnt == "0" {
				start++
			}
			for at < start-1 {
				out = append(out, src[at])
				at++
			}
			continue
		}
		text := l[1:]
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], `\ No newline`) {
			text = strings.TrimSuffix(text, "\n")
			i++
		}
		switch l[0] {
		case ' ':
			require.Equal(t, src[at], text)
			out = append(out, text)
			at++
		case '-':
			require.Equal(t, src[at], text)
			at++
		case '+':
			out = append(out, text)
		}
	}
	out = append(out, src[at:]...)
	return []byte(strings.Join(out, ""))
}

func atoi(t testing.TB, s string) int {
	n := 0
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', s)
		n = n*10 + int(c-'0')
	}
	return n
}
