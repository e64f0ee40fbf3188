package sif_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

var viostorStamp = map[string]string{"INX_SUBSYS_VENDOR_ID": "1AF4", "INX_PLATFORM_DRIVERS_DIR": "12"}

func loadOEM(t testing.TB, rel string) *inf.OEM {
	t.Helper()
	o, err := inf.ParseOEM(testutil.ReadFixture(t, rel), nil)
	require.NoError(t, err)
	return o
}

func parseOEM(t testing.TB, text string) *inf.OEM {
	t.Helper()
	o, err := inf.ParseOEM([]byte(text), nil)
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

// stampedINF returns a virtio-win INX stamped as the inf tests stamp it.
func stampedINF(t testing.TB, rel string, arch inf.Arch) *inf.Document {
	t.Helper()
	d, err := inf.Parse(testutil.ReadFixture(t, rel), nil)
	require.NoError(t, err)
	require.NoError(t, d.Stamp(inf.StampOptions{Arch: arch, Placeholders: viostorStamp}))
	return d
}

// lineDiff returns the lines only in a and only in b, comparing the files as
// lists of raw lines (line endings included) through a longest common
// subsequence, so that it shows exactly which lines an edit inserted or
// deleted.
func lineDiff(a, b []byte) (onlyA, onlyB []string) {
	la, lb := splitKeep(a), splitKeep(b)
	n, m := len(la), len(lb)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
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

// sectionOf returns the section holding the entry whose text is text.
func sectionOf(t testing.TB, b []byte, text string) string {
	t.Helper()
	d, err := inf.Parse(b, nil)
	require.NoError(t, err)
	for l := range d.Lines() {
		if l.Kind() == inf.Entry && l.Text() == text {
			return l.Section().Name()
		}
	}
	t.Fatalf("no entry %q", text)
	return ""
}

var fsErrNotExist = fs.ErrNotExist

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func hiveParse(b []byte) (*hive.Hive, error) { return hive.Parse(b, nil) }
