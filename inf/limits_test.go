package inf_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
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
		{"lines ok", "[S]\n" + strings.Repeat("k=v\n", 9), inf.Limits{MaxLines: 10}, nil, 0},
		{"lines ok, no final newline", "[S]\n" + strings.Repeat("k=v\n", 8) + "k=v", inf.Limits{MaxLines: 10}, nil, 0},
		{"lines", "[S]\n" + strings.Repeat("k=v\n", 9) + "k=v", inf.Limits{MaxLines: 10}, inf.ErrLimit, 11},
		{"lines before a Ctrl-Z", "[S]\n" + strings.Repeat("k=v\n", 9) + "k=v\x1a\n\n\n", inf.Limits{MaxLines: 10}, inf.ErrLimit, 11},
		{"lines after a Ctrl-Z", "[S]\n" + strings.Repeat("k=v\n", 9) + "\x1a\n\n\n", inf.Limits{MaxLines: 10}, nil, 0},
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
	// The line count of a UTF-16 file counts LF code units.
	lim := inf.Limits{MaxLines: 3}
	_, err := inf.Parse(append([]byte{0xFF, 0xFE}, encodeUTF16("[S]\r\na\r\nb\r\n", false)...), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	_, err = inf.Parse(append([]byte{0xFF, 0xFE}, encodeUTF16("[S]\r\na\r\nb\r\nc", false)...), &inf.ReadOptions{Limits: &lim})
	require.ErrorIs(t, err, inf.ErrLimit)
	var fe *inf.FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 4, fe.Line)
	assert.Equal(t, int64(2+2*len("[S]\r\na\r\nb\r\n")), fe.Offset)
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

// TestLimitSubstituteUnchanged: the limit holds for text Substitute has
// nothing to replace in (a fuzz finding: 4,658 characters with two unknown
// tokens came back whole), and a zero Document uses the default limit
// rather than cutting everything at 0.
func TestLimitSubstituteUnchanged(t *testing.T) {
	d, err := inf.Parse([]byte("[Strings]\nknown=v\n"), nil)
	require.NoError(t, err)
	var zero inf.Document
	for _, doc := range []*inf.Document{d, &zero} {
		for _, s := range []string{
			strings.Repeat("é", 4097),
			"%A%%B" + strings.Repeat("\x1b", 4650) + "%",
		} {
			got, err := doc.Substitute(s)
			require.ErrorIs(t, err, inf.ErrLimit)
			assert.Equal(t, 4096, utf8.RuneCountInString(got))
			assert.True(t, strings.HasPrefix(s, got))
		}
		got, err := doc.Substitute("a%%b " + strings.Repeat("x", 4000))
		require.NoError(t, err)
		assert.Equal(t, "a%b "+strings.Repeat("x", 4000), got)
	}
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

// parseAll parses in and walks every line's raw fields and the bytes,
// without %strkey% substitution. It returns the parse error, which must be
// typed.
func parseAll(t *testing.T, in []byte) error {
	t.Helper()
	d, err := inf.Parse(in, nil)
	if err != nil {
		var fe *inf.FormatError
		require.ErrorAs(t, err, &fe)
		require.True(t, errors.Is(err, inf.ErrFormat) || errors.Is(err, inf.ErrLimit), "untyped: %v", err)
		return err
	}
	require.Equal(t, in, d.Bytes(), "lossless")
	for l := range d.Lines() {
		_ = l.RawFields()
	}
	return nil
}

// readAll reads what a caller would from a parsed document: substituted
// fields, the driver for amd64, the OEM view, the hive edits. Errors must
// be typed. These readers allocate in proportion to what they return (a
// substituted field up to MaxFieldLen characters, a record per model or
// registry line), not only to the input.
func readAll(t *testing.T, in []byte) {
	t.Helper()
	d, err := inf.Parse(in, nil)
	if err != nil {
		return
	}
	for l := range d.Lines() {
		_ = l.Fields()
	}
	if _, err := d.Driver(inf.OS{Arch: inf.AMD64, Major: 10}); err != nil {
		require.True(t, errors.Is(err, inf.ErrNotFound) || errors.Is(err, inf.ErrSignature) || errors.Is(err, inf.ErrValue), "untyped: %v", err)
	}
	_ = inf.NewOEM(d).Lint(nil)
	if _, err := inf.ApplyHiveINF(inf.NewMemRegistry(), nil, d); err != nil {
		require.True(t, errors.Is(err, inf.ErrValue) || errors.Is(err, inf.ErrNotFound) || errors.Is(err, inf.ErrLimit), "untyped: %v", err)
	}
}

// TestHostileINFAllocation parses 1 MiB inputs built to make the parser
// allocate (huge counts of sections, lines, fields, tokens, continuations;
// string tokens naming each other): each ends with a document or a typed
// error, allocating at most 64 MiB, and the readers on top (readAll) fail
// only with typed errors.
func TestHostileINFAllocation(t *testing.T) {
	const size = 1 << 20
	fill := func(head, unit, tail string) []byte {
		return []byte(head + strings.Repeat(unit, (size-len(head)-len(tail))/len(unit)) + tail)
	}
	utf16 := func(s []byte) []byte {
		return append([]byte{0xFF, 0xFE}, encodeUTF16(string(s[:len(s)/2-1]), false)...)
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{"sections", fill("", "[s]\n", ""), inf.ErrLimit},
		{"distinct sections", func() []byte {
			var sb strings.Builder
			for i := 0; sb.Len() < size-16; i++ {
				fmt.Fprintf(&sb, "[%x]\n", i)
			}
			return []byte(sb.String())
		}(), inf.ErrLimit},
		{"empty lines", fill("[s]\n", "\n", ""), inf.ErrLimit},
		{"keys", fill("[s]\n", "k=v\n", ""), inf.ErrLimit},
		{"keys up to the line limit", []byte("[s]\n" + strings.Repeat("k=v\n", inf.DefaultLimits.MaxLines-1)), nil},
		{"UTF-16 lines", append([]byte{0xFF, 0xFE}, encodeUTF16(strings.Repeat("\n", size/2-1), false)...), inf.ErrLimit},
		{"fields on one line", fill("[s]\nk=", ",", ""), nil},
		{"quoted fields", fill("[s]\nk=", `"",`, ""), nil},
		{"continuations", fill("[s]\nk=", "a,\\\n", "z"), inf.ErrLimit},
		{"comments", fill("", ";\n", ""), inf.ErrLimit},
		{"string tokens", fill("[Strings]\nb="+strings.Repeat("x", 4000)+"\n[s]\n", "k=%b%\n", ""), nil},
		{"tokens on one line", fill("[Strings]\nb="+strings.Repeat("x", 4000)+"\n[s]\nk=", "%b%", ""), inf.ErrLimit},
		{"tokens naming each other", fill("[Strings]\na=\"%b%\"\nb=\"%a%\"\n[s]\n", "k=%a%,%b%\n", ""), nil},
		{"AddReg lines", fill("[Version]\nSignature=\"$Windows NT$\"\n[AddReg]\n", "HKLM,K,V,1,01,02\n", ""), nil},
		{"hex bytes on one AddReg line", fill("[Version]\nSignature=\"$Windows NT$\"\n[AddReg]\nHKLM,K,V,1", ",ff", ""), nil},
		{"models", fill("[Version]\nSignature=\"$Windows NT$\"\n[Manufacturer]\nm=M\n[M]\n", "d=i,PCI\\X\n", ""), nil},
		{"manufacturers", fill("[Version]\nSignature=\"$Windows NT$\"\n[Manufacturer]\n", "m=M,NTamd64\n", ""), nil},
		{"UTF-16 keys", utf16(fill("[s]\n", "k=v\n", "")), nil},
		{"UTF-16 fields", utf16(fill("[s]\nk=", ",", "")), nil},
		{"brackets", fill("", "[", ""), inf.ErrFormat},
		{"NUL bytes", fill("[s]\n", "\x00", ""), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.in), size)
			var err error
			n := testutil.Allocated(func() { err = parseAll(t, tc.in) })
			t.Logf("%d bytes: allocated %.1f MiB, %v", len(tc.in), float64(n)/(1<<20), err)
			assert.LessOrEqual(t, n, uint64(testutil.MaxHostileAlloc))
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			readAll(t, tc.in)
		})
	}
}

// TestHostileINFTruncated cuts INF files (a driver INF, a hive INF, a
// txtsetup.oem; UTF-8, UTF-16LE and UTF-16BE with BOMs) at every byte, so
// at every field boundary of every line: each cut parses losslessly or
// fails with a typed error, the readers fail only with typed errors, and
// nothing allocates more than 64 MiB.
func TestHostileINFTruncated(t *testing.T) {
	var inputs [][]byte
	for _, s := range []string{exampleINF, hiveSeed, oemSeed} {
		inputs = append(inputs, []byte(s),
			append([]byte{0xFF, 0xFE}, encodeUTF16(s, false)...),
			append([]byte{0xFE, 0xFF}, encodeUTF16(s, true)...))
	}
	var ms runtime.MemStats
	for _, in := range inputs {
		for n := 0; n <= len(in); n++ {
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			err := parseAll(t, in[:n])
			runtime.ReadMemStats(&ms)
			require.LessOrEqual(t, ms.TotalAlloc-before, uint64(testutil.MaxHostileAlloc), "cut at %d", n)
			if err == nil {
				readAll(t, in[:n])
			}
		}
	}
}
