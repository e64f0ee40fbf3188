package sif

import (
	"bytes"
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines around each change, as in
// diff -u.
const diffContext = 3

// maxDiffEdits bounds the work of the line diff: beyond this many inserted
// and deleted lines, the changed middle of the files is shown as one
// replacement (still a correct diff, not a minimal one).
const maxDiffEdits = 2000

type diffOp struct {
	kind byte // ' ', '-', '+'
	line string
}

// UnifiedDiff returns the changes from a to b in unified format ("diff -u",
// three lines of context), as patch reads it: "--- aName" and "+++ bName"
// headers, then hunks. Lines are compared byte for byte, line endings
// included, and a last line without a line ending is marked "\ No newline
// at end of file". Equal inputs give nil.
func UnifiedDiff(aName, bName string, a, b []byte) []byte {
	if bytes.Equal(a, b) {
		return nil
	}
	ops := diffLines(splitLines(a), splitLines(b))
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	// Walk the script, emitting hunks of changes with their context.
	ai, bi := 0, 0 // line indexes before ops[i]
	type pos struct{ op, a, b int }
	var at []pos
	for i, op := range ops {
		at = append(at, pos{i, ai, bi})
		switch op.kind {
		case ' ':
			ai, bi = ai+1, bi+1
		case '-':
			ai++
		case '+':
			bi++
		}
	}
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk starts diffContext lines before the change and runs
		// until diffContext lines past a change that is followed by more
		// than 2*diffContext unchanged lines (or the end).
		start := max(0, i-diffContext)
		end := i
		for j := i; j < len(ops); {
			if ops[j].kind != ' ' {
				end = j + 1
				j++
				continue
			}
			k := j
			for k < len(ops) && ops[k].kind == ' ' {
				k++
			}
			if k == len(ops) || k-j > 2*diffContext {
				break
			}
			j = k
		}
		stop := min(len(ops), end+diffContext)
		var na, nb int
		for _, op := range ops[start:stop] {
			if op.kind != '+' {
				na++
			}
			if op.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(at[start].a, na), hunkRange(at[start].b, nb))
		for _, op := range ops[start:stop] {
			out.WriteByte(op.kind)
			out.WriteString(op.line)
			if !strings.HasSuffix(op.line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return out.Bytes()
}

// hunkRange formats a hunk range: the 1-based first line and the count,
// with diff's conventions for counts of 1 (no count) and 0 (the line before).
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+1]))
		b = b[i+1:]
	}
	return out
}

// diffLines returns an edit script from a to b: the common prefix and
// suffix, and a shortest script (Myers' algorithm) for the middle.
func diffLines(a, b []string) []diffOp {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	q := 0
	for q < len(a)-p && q < len(b)-p && a[len(a)-1-q] == b[len(b)-1-q] {
		q++
	}
	var ops []diffOp
	for _, l := range a[:p] {
		ops = append(ops, diffOp{' ', l})
	}
	ops = append(ops, myers(a[p:len(a)-q], b[p:len(b)-q])...)
	for _, l := range a[len(a)-q:] {
		ops = append(ops, diffOp{' ', l})
	}
	return ops
}

// myers computes a shortest edit script with Myers' O(ND) algorithm,
// keeping the frontier of every round for the backtrack. Scripts longer
// than maxDiffEdits fall back to deleting a and inserting b.
func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	limit := min(n+m, maxDiffEdits)
	off := limit + 1
	v := make([]int, 2*off+1)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace)
			}
		}
	}
	ops := make([]diffOp, 0, n+m)
	for _, l := range a {
		ops = append(ops, diffOp{'-', l})
	}
	for _, l := range b {
		ops = append(ops, diffOp{'+', l})
	}
	return ops
}

func backtrack(a, b []string, trace [][]int) []diffOp {
	x, y := len(a), len(b)
	var rev []diffOp
	for d := len(trace) - 1; d >= 0; d-- {
		vd := trace[d] // the frontier before round d, k from -d-1 to d+1
		get := func(k int) int { return vd[k+d+1] }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			prevK = k + 1
		}
		prevX := get(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, diffOp{' ', a[x-1]})
			x, y = x-1, y-1
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, diffOp{'+', b[y-1]})
				y--
			} else {
				rev = append(rev, diffOp{'-', a[x-1]})
				x--
			}
		}
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
