package inf_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
)

func TestLimits(t *testing.T) {
	many := func(n int) string {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, "[S%d]\nk=v\n", i)
		}
		return sb.String()
	}
	cont := func(lines, width int) string {
		var sb strings.Builder
		sb.WriteString("[S]\nk=")
		for range lines - 1 {
			sb.WriteString(strings.Repeat("a", width) + ",\\\n")
		}
		sb.WriteString("end\n")
		return sb.String()
	}
	tests := []struct {
		name    string
		in      string
		lim     inf.Limits
		wantErr error
		line    int
	}{
		{"file size ok", "[S]\nk=v\n", inf.Limits{MaxFileSize: 8}, nil, 0},
		{"file size", "[S]\nk=v\n!", inf.Limits{MaxFileSize: 8}, inf.ErrLimit, 0},
		{"line length ok", "[S]\n" + strings.Repeat("x", 100), inf.Limits{MaxLineLen: 100}, nil, 0},
		{"line length", "[S]\n" + strings.Repeat("x", 101), inf.Limits{MaxLineLen: 100}, inf.ErrLimit, 2},
		{"continuation lines ok", cont(10, 1), inf.Limits{MaxContinuationLines: 10}, nil, 0},
		{"continuation lines", cont(11, 1), inf.Limits{MaxContinuationLines: 10}, inf.ErrLimit, 12},
		{"continuation length ok", cont(4, 20), inf.Limits{MaxContinuationLen: 200}, nil, 0},
		{"continuation length", cont(20, 20), inf.Limits{MaxContinuationLen: 200}, inf.ErrLimit, 10},
		{"sections ok", many(50), inf.Limits{MaxSections: 50}, nil, 0},
		{"sections", many(51), inf.Limits{MaxSections: 50}, inf.ErrLimit, 101},
		{"duplicate sections count once", strings.Repeat("[S]\nk=v\n", 100), inf.Limits{MaxSections: 1}, nil, 0},
		{"section name", "[" + strings.Repeat("n", 11) + "]", inf.Limits{MaxSectionNameLen: 10}, inf.ErrSectionNameTooLong, 1},
		{"field length ok", "[S]\nk=" + strings.Repeat("é", 16), inf.Limits{MaxFieldLen: 16}, nil, 0},
		{"field length", "[S]\nk=" + strings.Repeat("é", 17), inf.Limits{MaxFieldLen: 16}, inf.ErrLimit, 2},
		{"key length", "[S]\n" + strings.Repeat("k", 17) + "=v", inf.Limits{MaxFieldLen: 16}, inf.ErrLimit, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := tc.lim
			d, err := inf.Parse([]byte(tc.in), &inf.ReadOptions{Limits: &lim})
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.in, string(d.Bytes()))
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorIs(t, err, inf.ErrLimit)
			var fe *inf.FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.line, fe.Line)
		})
	}
	assert.Equal(t, 255, inf.DefaultLimits.MaxSectionNameLen)
	assert.Equal(t, 4096, inf.DefaultLimits.MaxFieldLen)
}

func TestLimitOpen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.inf")
	require.NoError(t, os.WriteFile(p, []byte("[S]\n"+strings.Repeat("k=v\n", 100)), 0o644))
	_, err := inf.Open(p, &inf.ReadOptions{Limits: &inf.Limits{MaxFileSize: 100}})
	require.ErrorIs(t, err, inf.ErrLimit)
	d, err := inf.Open(p, nil)
	require.NoError(t, err)
	assert.Len(t, d.Section("S").Entries(), 100)
	_, err = inf.Open(filepath.Join(t.TempDir(), "missing.inf"), nil)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestLimitSubstitution: a token expanding many times is cut at
// MaxFieldLen characters (SetupAPI's 4096 by default); Substitute reports
// the cut.
func TestLimitSubstitution(t *testing.T) {
	big := strings.Repeat("ä", 400)
	src := "[S]\nk=" + strings.Repeat("%big%", 11) + "\n[Strings]\nbig=" + big + "\n"
	d, err := inf.Parse([]byte(src), nil)
	require.NoError(t, err)
	f := d.Section("S").Find("k").Field(0)
	assert.Equal(t, 4096, utf8.RuneCountInString(f))
	assert.True(t, f == strings.Repeat(big, 11)[:len(strings.Repeat("ä", 4096))], "cut at 4096 characters")
	_, err = d.Substitute(strings.Repeat("%big%", 11))
	require.ErrorIs(t, err, inf.ErrLimit)
	s, err := d.Substitute(strings.Repeat("%big%", 10))
	require.NoError(t, err)
	assert.True(t, s == strings.Repeat(big, 10))
}

// TestHostileInputs: inputs built to stress the parser return quickly with
// a document or a typed error, never a panic.
func TestHostileInputs(t *testing.T) {
	inputs := map[string]string{
		"only backslashes":    "[S]\n" + strings.Repeat("\\\n", 5000),
		"only quotes":         "[S]\n" + strings.Repeat(`"`, 10000),
		"deep brackets":       strings.Repeat("[", 10000),
		"many empty fields":   "[S]\nk=" + strings.Repeat(",", 100000),
		"nul bytes":           "[S]\n" + strings.Repeat("\x00", 1000),
		"percent soup":        "[S]\nk=" + strings.Repeat("%%a%", 1000) + "\n[Strings]\na=" + strings.Repeat("b", 4000),
		"utf16 odd":           "\xff\xfe[\x00S\x00]\x00\n",
		"lone surrogates":     "\xff\xfe[\x00S\x00]\x00\n\x00k\x00=\x00\x00\xd8\x00\xdc",
		"invalid utf8 in bom": "\xef\xbb\xbf[S]\nk=\xff\xfe\xfd\n",
		"ctrl-z first":        "\x1a[S]",
		"cr only lines":       "[S]\rk=v\rx=y\r",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			d, err := inf.Parse([]byte(in), nil)
			if err != nil {
				var fe *inf.FormatError
				require.ErrorAs(t, err, &fe)
				return
			}
			assert.Equal(t, in, string(d.Bytes()))
			for l := range d.Lines() {
				_ = l.Fields()
			}
		})
	}
}
