package sif_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

func loadOEM(t testing.TB, rel string) *inf.OEM {
	t.Helper()
	o, err := inf.ParseOEM(testutil.ReadFixture(t, rel), nil)
	require.NoError(t, err)
	return o
}

func loadSIF(t testing.TB, b []byte) *sif.SIF {
	t.Helper()
	s, err := sif.Parse(b, nil)
	require.NoError(t, err)
	return s
}

func newSlip(t testing.TB, oem *inf.OEM, o *sif.SlipstreamOptions) *sif.Slipstream {
	t.Helper()
	s, err := sif.NewSlipstream(oem, o)
	require.NoError(t, err)
	return s
}

// lineDiff returns the lines only in a and only in b, comparing the files as
// lists of raw lines (line endings included): an LCS over lines, so that it
// shows exactly which lines an edit inserted or deleted.
func lineDiff(a, b []byte) (onlyA, onlyB []string) {
	la, lb := splitKeep(a), splitKeep(b)
	n, m := len(la), len(lb)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if la[i] == lb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && la[i] == lb[j]:
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			onlyB = append(onlyB, lb[j])
			j++
		default:
			onlyA = append(onlyA, la[i])
			i++
		}
	}
	return onlyA, onlyB
}

func splitKeep(b []byte) []string {
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

func TestScratchAccept1(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	oem := loadOEM(t, "inf/virtio-win/txtsetup-i386.oem")
	s := newSlip(t, oem, &sif.SlipstreamOptions{ID: "WNET32"})
	doc := loadSIF(t, orig)
	edits, err := s.ApplySIF(doc)
	require.NoError(t, err)
	for _, e := range edits {
		t.Log(e)
	}
	a, b := lineDiff(orig, doc.Bytes())
	t.Logf("removed %q\nadded %q", a, b)
	assert.Empty(t, a)
	_ = strings.Join
}
