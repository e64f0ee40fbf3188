package inf_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// lineShape is what a logical line means, for comparing a document with
// the parse of its own bytes.
type lineShape struct {
	Num, Phys        int
	Kind             inf.LineKind
	Name, Text       string
	HasKey           bool
	RawKey, Key      string
	RawFields, Field []string
	Section          string
}

type docShape struct {
	Lines        []lineShape
	Sections     []string // name: header and entry line numbers
	Strings      string
	FinalNewline bool
	Tail         []byte
}

func shapeOf(d *inf.Document) docShape {
	var s docShape
	for l := range d.Lines() {
		ls := lineShape{Num: l.Number(), Phys: l.PhysicalLines(), Kind: l.Kind(), Name: l.Name(), Text: l.Text(),
			HasKey: l.HasKey(), RawKey: l.RawKey(), Key: l.Key(), RawFields: l.RawFields(), Field: l.Fields()}
		if l.Section() != nil {
			ls.Section = strings.ToLower(l.Section().Name())
		}
		s.Lines = append(s.Lines, ls)
	}
	for _, sec := range d.Sections() {
		var nums []string
		for _, h := range sec.Headers() {
			nums = append(nums, fmt.Sprint("h", h.Number()))
		}
		for l := range sec.Lines() {
			nums = append(nums, fmt.Sprint(l.Number()))
		}
		s.Sections = append(s.Sections, sec.Name()+": "+strings.Join(nums, " "))
	}
	if ss := d.StringsSection(); ss != nil {
		s.Strings = ss.Name()
	}
	s.FinalNewline = d.FinalNewline()
	s.Tail = d.Tail()
	return s
}

// reparseOptions are the options that read d's bytes back as d reads
// them: its encoding, dialect and language, and the given limits.
func reparseOptions(d *inf.Document, o *inf.ReadOptions) *inf.ReadOptions {
	enc := d.Encoding()
	r := &inf.ReadOptions{Encoding: &enc, Language: d.Language()}
	if o != nil {
		r.Dialect, r.Limits = o.Dialect, o.Limits
	}
	return r
}

// checkInvariant asserts that parsing d's bytes gives d's lines, sections
// and values, and that every section is found by its name.
func checkInvariant(t testing.TB, d *inf.Document, opts *inf.ReadOptions) {
	t.Helper()
	b := d.Bytes()
	d2, err := inf.Parse(b, reparseOptions(d, opts))
	if err != nil {
		t.Fatalf("the document's bytes do not parse: %v\n%q", err, b)
	}
	got, want := shapeOf(d), shapeOf(d2)
	if !assert.Equal(t, want, got, "in memory vs parsed from %q", b) {
		t.FailNow()
	}
	if !slices.Equal(d2.Bytes(), b) {
		t.Fatalf("round trip of the edited bytes differs")
	}
	for _, s := range d.Sections() {
		if d.Section(s.Name()) != s {
			t.Fatalf("Section(%q) does not find the section", s.Name())
		}
	}
	if d.NumLines() != len(got.Lines) {
		t.Fatalf("NumLines %d, %d lines", d.NumLines(), len(got.Lines))
	}
}

// TestEditAfterTrailingBackslash is the reported case: the last line is a
// lone continuation backslash without line ending. Lines put after it
// would continue it, so such edits are refused until EndLastLine gives
// the backslash an empty physical line to join.
func TestEditAfterTrailingBackslash(t *testing.T) {
	orig := []byte("[]\n\\")
	d, err := inf.Parse(orig, nil)
	require.NoError(t, err)
	last := d.LastLine()
	require.Equal(t, inf.Entry, last.Kind())
	_, err = last.InsertAfter("")
	require.ErrorIs(t, err, inf.ErrDanglingContinuation)
	require.ErrorIs(t, err, inf.ErrInvalidText)
	_, err = d.AddSection("X")
	require.ErrorIs(t, err, inf.ErrDanglingContinuation)
	_, err = d.Section("").AppendLine("k = v")
	require.ErrorIs(t, err, inf.ErrDanglingContinuation)
	testutil.EqualBytes(t, orig, d.Bytes())
	assert.False(t, d.Modified())
	checkInvariant(t, d, nil)

	require.NoError(t, d.EndLastLine())
	assert.Equal(t, "[]\n\\\n\n", string(d.Bytes()))
	assert.Equal(t, 2, last.PhysicalLines())
	assert.Equal(t, []string{""}, last.RawFields(), "the entry reads as before")
	checkInvariant(t, d, nil)
	blank, err := last.InsertAfter("")
	require.NoError(t, err)
	checkInvariant(t, d, nil)
	x, err := d.AddSection("X")
	require.NoError(t, err)
	checkInvariant(t, d, nil)
	assert.Equal(t, 4, d.NumLines(), "header, entry, blank line, [X]")
	assert.Equal(t, "[]\n\\\n\n\n[X]\n", string(d.Bytes()))
	require.NoError(t, x.Remove())
	require.NoError(t, blank.Remove())
	assert.Equal(t, "[]\n\\\n\n", string(d.Bytes()))
	checkInvariant(t, d, nil)
	require.NoError(t, d.Revert())
	testutil.EqualBytes(t, orig, d.Bytes())
}

// TestEditDanglingContinuation: every way to put a line after a last line
// that ends in a continuation backslash is refused without change; after
// EndLastLine the same edit works and reads back.
func TestEditDanglingContinuation(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(d *inf.Document) error
		want     string
	}{
		{"after a key", "[S]\r\nk = a, \\", func(d *inf.Document) error {
			_, err := d.Section("S").AppendLine("n = 1")
			return err
		}, "[S]\r\nk = a, \\\r\n\r\nn = 1\r\n"},
		{"before a comment", "[S]\nk = a \\ ; note", func(d *inf.Document) error {
			_, err := d.LastLine().InsertAfter("; next")
			return err
		}, "[S]\nk = a \\ ; note\n\n; next\n"},
		{"ctrl-z tail", "[S]\nk=\\\x1agarbage", func(d *inf.Document) error {
			_, err := d.Section("S").Append("n", "1")
			return err
		}, "[S]\nk=\\\n\nn = 1\n\x1agarbage"},
		{"with a final newline", "[S]\nk=\\\n", func(d *inf.Document) error {
			_, err := d.Section("S").Append("n", "1")
			return err
		}, "[S]\nk=\\\n\nn = 1\n"},
		{"new section", "[S]\nk=\\", func(d *inf.Document) error {
			_, err := d.AddSection("T")
			return err
		}, "[S]\nk=\\\n\n\n[T]\n"},
		{"utf-16", "\xff\xfe[\x00S\x00]\x00\r\x00\n\x00k\x00=\x00\\\x00", func(d *inf.Document) error {
			_, err := d.Section("S").Append("n", "1")
			return err
		}, "\xff\xfe[\x00S\x00]\x00\r\x00\n\x00k\x00=\x00\\\x00\r\x00\n\x00\r\x00\n\x00n\x00 \x00=\x00 \x001\x00\r\x00\n\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := inf.Parse([]byte(tc.in), nil)
			require.NoError(t, err)
			require.ErrorIs(t, tc.edit(d), inf.ErrDanglingContinuation)
			assert.Equal(t, tc.in, string(d.Bytes()))
			require.NoError(t, d.EndLastLine())
			require.NoError(t, tc.edit(d))
			assert.Equal(t, tc.want, string(d.Bytes()))
			checkInvariant(t, d, nil)
		})
	}

	// A continuation at its limit cannot take the extra physical line.
	lim := inf.DefaultLimits
	lim.MaxContinuationLines = 2
	d, err := inf.Parse([]byte("[S]\nk=a,\\\nb,\\"), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	require.ErrorIs(t, d.EndLastLine(), inf.ErrLimit)
	assert.Equal(t, "[S]\nk=a,\\\nb,\\", string(d.Bytes()))

	// In txtsetup.oem files a backslash never continues a line.
	opts := &inf.ReadOptions{Dialect: inf.TextSetup}
	d, err = inf.Parse([]byte("[S]\nk = a\\"), opts)
	require.NoError(t, err)
	_, err = d.LastLine().InsertAfter("n = 1")
	require.NoError(t, err)
	assert.Equal(t, "[S]\nk = a\\\nn = 1", string(d.Bytes()))
	checkInvariant(t, d, opts)

	// EndLastLine on a file that has one changes nothing.
	d, err = inf.Parse([]byte("[S]\r\n"), nil)
	require.NoError(t, err)
	require.NoError(t, d.EndLastLine())
	assert.False(t, d.Modified())
}

// TestEditLineEndingsAtEnd covers the other ways the end of the file can
// change; removing the added lines restores the input each time.
func TestEditLineEndingsAtEnd(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(t *testing.T, d *inf.Document) []*inf.Line // returns lines to remove afterwards
		want     string
	}{
		{"text ending in CR", "[S]\nk = \"a\r", func(t *testing.T, d *inf.Document) []*inf.Line {
			l, err := d.LastLine().InsertAfter("n = 1")
			require.NoError(t, err)
			return []*inf.Line{l}
		}, "[S]\nk = \"a\r\r\nn = 1"},
		{"empty line appended to a file without final newline", "[S]\nk=v", func(t *testing.T, d *inf.Document) []*inf.Line {
			l, err := d.LastLine().InsertAfter("")
			require.NoError(t, err)
			return []*inf.Line{l}
		}, "[S]\nk=v\n\n"},
		{"empty line appended, then a section", "[S]\nk=v", func(t *testing.T, d *inf.Document) []*inf.Line {
			l, err := d.LastLine().InsertAfter("")
			require.NoError(t, err)
			s, err := d.AddSection("T")
			require.NoError(t, err)
			return []*inf.Line{s.Headers()[0], l}
		}, "[S]\nk=v\n\n[T]"},
		{"file with final newline keeps it", "[S]\r\nk=v\r\n", func(t *testing.T, d *inf.Document) []*inf.Line {
			l, err := d.Section("S").Append("n", "1")
			require.NoError(t, err)
			return []*inf.Line{l}
		}, "[S]\r\nk=v\r\nn = 1\r\n"},
		{"ctrl-z tail stays after the new line", "[S]\nk=v\x1agarbage", func(t *testing.T, d *inf.Document) []*inf.Line {
			l, err := d.Section("S").Append("n", "1")
			require.NoError(t, err)
			return []*inf.Line{l}
		}, "[S]\nk=v\nn = 1\x1agarbage"},
		{"continued entry in the middle becomes last", "[S]\nk=\\\n\nx=1", func(t *testing.T, d *inf.Document) []*inf.Line {
			require.NoError(t, d.Section("S").Find("x").Remove())
			assert.Equal(t, "[S]\nk=\\\n\n", string(d.Bytes()), "the empty continuation line keeps its line ending")
			_, err := d.Section("S").Append("x", "1")
			require.NoError(t, err)
			return nil
		}, "[S]\nk=\\\n\nx = 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := inf.Parse([]byte(tc.in), nil)
			require.NoError(t, err)
			before := shapeOf(d)
			undo := tc.edit(t, d)
			assert.Equal(t, tc.want, string(d.Bytes()))
			checkInvariant(t, d, nil)
			if undo == nil {
				return
			}
			for _, l := range undo {
				if l.Kind() == inf.Header {
					require.NoError(t, l.Section().Remove())
				} else {
					require.NoError(t, l.Remove())
				}
				checkInvariant(t, d, nil)
			}
			assert.Equal(t, tc.in, string(d.Bytes()), "removing the added lines restores the input")
			assert.Equal(t, before, shapeOf(d))
		})
	}
}

// TestEditRemoveKeepsLinesReal: removing the last line of a file without
// final newline never leaves an empty line that has no bytes.
func TestEditRemoveKeepsLinesReal(t *testing.T) {
	d, err := inf.Parse([]byte("[S]\n\nk=v"), nil)
	require.NoError(t, err)
	require.NoError(t, d.Section("S").Find("k").Remove())
	assert.Equal(t, "[S]\n\n", string(d.Bytes()))
	checkInvariant(t, d, nil)

	d, err = inf.Parse([]byte("[S]\r\nk=v\n"), nil)
	require.NoError(t, err)
	n, err := d.Section("S").Append("n", "1")
	require.NoError(t, err)
	require.NoError(t, n.Remove())
	assert.Equal(t, "[S]\r\nk=v\n", string(d.Bytes()), "the old last line keeps its own line ending")

	d, err = inf.Parse([]byte("[S]\nk=v"), nil)
	require.NoError(t, err)
	require.NoError(t, d.LastLine().SetText(""))
	assert.Equal(t, "[S]\n\n", string(d.Bytes()), "an empty last line needs its line ending")
	checkInvariant(t, d, nil)
}

// TestEditLimitsHold: an edit that would make a line break a limit Parse
// enforces fails with ErrLimit and changes nothing; MaxFileSize and
// MaxLines bound reading only.
func TestEditLimitsHold(t *testing.T) {
	in := []byte("[S]\r\nk=v\r\n")
	lim := inf.DefaultLimits
	lim.MaxFileSize, lim.MaxLines, lim.MaxLineLen = 12, 2, 20
	opts := &inf.ReadOptions{Limits: &lim}
	d, err := inf.Parse(in, opts)
	require.NoError(t, err)
	s := d.Section("S")

	_, err = s.AppendLine(strings.Repeat("x", 21))
	require.ErrorIs(t, err, inf.ErrLimit, "line length")
	require.ErrorIs(t, err, inf.ErrInvalidText)
	_, err = s.Append("k", strings.Repeat("y", inf.DefaultLimits.MaxFieldLen+1))
	require.ErrorIs(t, err, inf.ErrLimit, "field length")
	testutil.EqualBytes(t, in, d.Bytes())
	_, err = s.AppendLine("a=1")
	require.NoError(t, err, "the document may grow past MaxFileSize and MaxLines")
	_, err = inf.Parse(d.Bytes(), opts)
	require.ErrorIs(t, err, inf.ErrLimit, "which bound what Parse reads")
	big := lim
	big.MaxFileSize, big.MaxLines = 0, 0
	checkInvariant(t, d, &inf.ReadOptions{Limits: &big})

	lim = inf.DefaultLimits
	lim.MaxSections = 2
	d, err = inf.Parse([]byte("[A]\n[B]\n"), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	_, err = d.AddSection("C")
	require.ErrorIs(t, err, inf.ErrLimit)
	require.NoError(t, d.Section("B").Remove())
	_, err = d.AddSection("C")
	require.NoError(t, err)
}

// TestSetFieldsQuoting: SetFields keeps each field's quotes;
// SetFieldsVerbatim writes the text given.
func TestSetFieldsQuoting(t *testing.T) {
	tests := []struct {
		name, in string
		set      func(l *inf.Line) error
		want     string
		fields   []string
	}{
		{"quoted stays quoted", `BootDevice = "ramdisk(0)"`, func(l *inf.Line) error { return l.SetFields("ramdisk(1)") },
			`BootDevice = "ramdisk(1)"`, []string{"ramdisk(1)"}},
		{"unquoted stays unquoted", `BootDevice = ramdisk(0)`, func(l *inf.Line) error { return l.SetFields("ramdisk(1)") },
			`BootDevice = ramdisk(1)`, []string{"ramdisk(1)"}},
		{"unquoted gets quotes when needed", `k = a`, func(l *inf.Line) error { return l.SetFields("a;b") },
			`k = "a;b"`, []string{"a;b"}},
		{"per field", `k = "a",b,"c" ; note`, func(l *inf.Line) error { return l.SetFields("x", "y", "z", "w") },
			`k = "x",y,"z","w" ; note`, []string{"x", "y", "z", "w"}},
		{"quoted empty", `k = "a"`, func(l *inf.Line) error { return l.SetFields("") },
			`k = ""`, []string{""}},
		{"quotes inside a value are doubled", `k = "a"`, func(l *inf.Line) error { return l.SetFields(`say "hi"`) },
			`k = "say ""hi"""`, []string{`say "hi"`}},
		{"SetFields takes values: a quoted string is a value with quotes", `k = a`, func(l *inf.Line) error { return l.SetFields(inf.Quote("viostor")) },
			`k = """viostor"""`, []string{`"viostor"`}},
		{"verbatim quoted", `key = viostor`, func(l *inf.Line) error { return l.SetFieldsVerbatim(inf.Quote("viostor")) },
			`key = "viostor"`, []string{"viostor"}},
		{"verbatim unquotes", `key = "viostor" ; c`, func(l *inf.Line) error { return l.SetFieldsVerbatim("viostor", `%12%`) },
			`key = viostor,%12% ; c`, []string{"viostor", "%12%"}},
		{"verbatim keeps separator style", `k = a, b`, func(l *inf.Line) error { return l.SetFieldsVerbatim(`"1"`, ` 2 `) },
			`k = "1",  2 `, []string{"1", "2"}},
		{"SetField keeps quotes", `k = "a","b"`, func(l *inf.Line) error { return l.SetField(1, "c") },
			`k = "a","c"`, []string{"a", "c"}},
		{"SetKey keeps a quoted key", `"My Key" = a`, func(l *inf.Line) error { return l.SetKey("Other") },
			`"Other" = a`, []string{"a"}},
		{"keyless quoted field", `"file.sys"`, func(l *inf.Line) error { return l.SetFields("other.sys") },
			`"other.sys"`, []string{"other.sys"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := inf.Parse([]byte("[S]\r\n"+tc.in+"\r\n"), nil)
			require.NoError(t, err)
			l := d.Section("S").Entries()[0]
			require.NoError(t, tc.set(l))
			assert.Equal(t, "[S]\r\n"+tc.want+"\r\n", string(d.Bytes()))
			assert.Equal(t, tc.fields, l.RawFields())
			checkInvariant(t, d, nil)
		})
	}

	d, err := inf.Parse([]byte("[S]\nk = \"a\",b ; c\n"), nil)
	require.NoError(t, err)
	l := d.Section("S").Find("k")
	assert.True(t, l.FieldQuoted(0))
	assert.False(t, l.FieldQuoted(1))
	assert.False(t, l.FieldQuoted(2))
	for _, bad := range [][]string{{"a,b"}, {"a;b"}, {`"open`}, {"x", `a\`}, {"a\nb"}} {
		err := l.SetFieldsVerbatim(bad...)
		require.ErrorIs(t, err, inf.ErrInvalidText, "%q", bad)
	}
	assert.Equal(t, "[S]\nk = \"a\",b ; c\n", string(d.Bytes()), "failed edits change nothing")
	require.NoError(t, l.SetFieldsVerbatim("x", `a\`, "y"), "a backslash before a comma is literal")
	assert.Equal(t, []string{"x", `a\`, "y"}, l.RawFields())

	d, err = inf.Parse([]byte("[S]\nfile.sys\n\"a=b\"\nk = k\n"), nil)
	require.NoError(t, err)
	var implicit []bool
	for _, l := range d.Section("S").Entries() {
		implicit = append(implicit, l.ImplicitKey())
	}
	assert.Equal(t, []bool{true, true, false}, implicit)

	d, err = inf.Parse([]byte("[S]\nk = a # b\n"), &inf.ReadOptions{Dialect: inf.TextSetup})
	require.NoError(t, err)
	require.ErrorIs(t, d.Section("S").Find("k").SetFieldsVerbatim("x#y"), inf.ErrInvalidText, "'#' starts a comment in txtsetup.oem")
}

// TestAppendManyLinesIndexOnce: appending to a section, reading values and
// keys of lines and looking sections up need no rebuild of the line index;
// the first read that needs it rebuilds it once.
func TestAppendManyLinesIndexOnce(t *testing.T) {
	data := largeSIF(2000)
	d, err := inf.Parse(data, nil)
	require.NoError(t, err)
	sec := d.Section("HardwareIdsDatabase")
	var last *inf.Line
	for i := range 500 {
		if last, err = sec.AppendLine(fmt.Sprintf(`PCI\VEN_1AF4&DEV_%04X = "viostor"`, i)); err != nil {
			t.Fatal(err)
		}
		_ = last.Field(0)
		_ = last.Key()
		_ = d.Section("hardwareidsdatabase").Name()
	}
	assert.Equal(t, 0, inf.IndexRebuilds(d))
	assert.Equal(t, 2006+500, last.Number())
	assert.Equal(t, 1, inf.IndexRebuilds(d))
	ents := sec.Entries()
	assert.Equal(t, last, ents[len(ents)-1])
	lines := slices.Collect(d.Lines())
	assert.Equal(t, "; end of the IDs", lines[2506-1+1].Text(), "appended after the last entry, before the comment")
	assert.Equal(t, 1, inf.IndexRebuilds(d))
}

// TestConcurrentReadsAfterEdits: the tables edits leave stale are rebuilt
// safely when several goroutines read at once (run with -race).
func TestConcurrentReadsAfterEdits(t *testing.T) {
	d, err := inf.Parse([]byte("[Strings]\r\nname = \"Old\"\r\n[S]\r\n%name% = a\r\n"), nil)
	require.NoError(t, err)
	_, err = d.Section("Strings").Set("name", "New")
	require.NoError(t, err)
	for i := range 50 {
		_, err = d.Section("S").Append(fmt.Sprintf("k%d", i), "%name%")
		require.NoError(t, err)
	}
	done := make(chan []string)
	for range 4 {
		go func() {
			var got []string
			for l := range d.Lines() {
				got = append(got, fmt.Sprint(l.Number(), l.Key(), l.Fields()))
			}
			for _, s := range d.Sections() {
				got = append(got, fmt.Sprint(s.Name(), len(s.Entries())))
			}
			done <- got
		}()
	}
	first := <-done
	for range 3 {
		assert.Equal(t, first, <-done)
	}
	assert.Equal(t, "4New[a]", strings.ReplaceAll(first[3], " ", ""))
	assert.Equal(t, "S51", first[len(first)-1])
}

// TestEditTablesFollowEdits: the strings table and the place AppendLine
// inserts at follow every edit, without a read in between.
func TestEditTablesFollowEdits(t *testing.T) {
	d, err := inf.Parse([]byte("[Strings]\n[S]\nk = %t%\n[T]\n"), nil)
	require.NoError(t, err)
	k := d.Section("S").Find("k")
	assert.Equal(t, "%t%", k.Field(0))
	def, err := d.Section("Strings").AppendLine(`t = "v"`)
	require.NoError(t, err)
	assert.Equal(t, "v", k.Field(0), "a new string")
	require.NoError(t, def.SetFields("w"))
	assert.Equal(t, "w", k.Field(0), "a changed string")
	_, err = def.InsertBefore(`t = "first"`)
	require.NoError(t, err)
	assert.Equal(t, "first", k.Field(0), "the first definition wins")
	de, err := d.AddSection("Strings.0407")
	require.NoError(t, err)
	_, err = de.AppendLine(`t = "de"`)
	require.NoError(t, err)
	d.SetLanguage(0x0407)
	assert.Equal(t, "de", k.Field(0), "a new localized section")
	require.NoError(t, de.Remove())
	assert.Equal(t, "first", k.Field(0), "the localized section removed")
	require.NoError(t, d.Section("Strings").Rename("Other"))
	assert.Equal(t, "%t%", k.Field(0), "no strings section left")

	// AppendLine follows a new occurrence of the section and entries put
	// after its last one.
	s := d.Section("S")
	a, err := s.AppendLine("a = 1")
	require.NoError(t, err)
	_, err = d.Section("T").Headers()[0].InsertAfter("[S]")
	require.NoError(t, err)
	b, err := s.AppendLine("b = 2")
	require.NoError(t, err)
	assert.Equal(t, "[S]", linesBefore(d, b))
	c, err := b.InsertAfter("; comment")
	require.NoError(t, err)
	e, err := c.InsertAfter("e = 3")
	require.NoError(t, err)
	f, err := s.AppendLine("f = 4")
	require.NoError(t, err)
	assert.Equal(t, e.Text(), linesBefore(d, f))
	require.NoError(t, e.Remove())
	g, err := s.AppendLine("g = 5")
	require.NoError(t, err)
	assert.Equal(t, f.Text(), linesBefore(d, g))
	assert.Equal(t, "k = %t%", linesBefore(d, a))
	checkInvariant(t, d, nil)
}

// linesBefore returns the text of the line before l.
func linesBefore(d *inf.Document, l *inf.Line) string {
	var prev *inf.Line
	for x := range d.Lines() {
		if x == l {
			return prev.Text()
		}
		prev = x
	}
	return ""
}
