package inf_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
)

// entryCase is one lexical vector: the text of a [Test] section's body and
// what its first entry must read as. The expectations come from the rules
// in ../shared/specs/inf_pe.md §1.1 (Microsoft's "General Syntax Rules for
// INF Files" and SetupAPI's observed behaviour), written for this package.
type entryCase struct {
	name    string
	in      string
	key     string
	noKey   bool     // the entry has no key
	fields  []string // fields before substitution
	subst   []string // fields after substitution, when they differ
	substK  string   // key after substitution, when it differs
	entries int      // number of entries in [Test] (0: don't check)
	second  string   // key of the second entry, when checked
}

const stringsSec = "\n[Strings]\nveg=carrot\nfruit=\"pear, ripe\"\nself=%self2%\nself2=%self%\nN1=1\nN2=2\npct%%key=odd\n"

var entryCases = []entryCase{
	// Keys: text before the first '=' that precedes any ','.
	{name: "key/simple", in: "disk=floppy", key: "disk", fields: []string{"floppy"}},
	{name: "key/several fields", in: "disk=a,b,c,d", key: "disk", fields: []string{"a", "b", "c", "d"}},
	{name: "key/spaces trimmed", in: "  disk   =   floppy  ", key: "disk", fields: []string{"floppy"}},
	{name: "key/inner spaces kept", in: "hard disk = big floppy", key: "hard disk", fields: []string{"big floppy"}},
	{name: "key/tabs", in: "\thard\tdisk\t=\tx\t", key: "hard\tdisk", fields: []string{"x"}},
	{name: "key/comma before equals", in: "one,two=three", noKey: true, fields: []string{"one", "two=three"}},
	{name: "key/empty key", in: "=val,more", key: "", fields: []string{"val", "more"}},
	{name: "key/only equals", in: "=", key: "", fields: []string{""}},
	{name: "key/second equals literal", in: "a=b=c", key: "a", fields: []string{"b=c"}},
	{name: "key/equals after comma", in: ",=,,z", noKey: true, fields: []string{"", "=", "", "z"}},
	{name: "key/empty key empty fields", in: "=,,z", key: "", fields: []string{"", "", "z"}},
	{name: "key/lone CR is whitespace", in: " dev ice\r = val\r", key: "dev ice", fields: []string{"val"}},
	{name: "key/NUL inside is space", in: "k=left\x00right", key: "k", fields: []string{"left right"}},
	{name: "key/NUL at end trimmed", in: "k=tail \x00", key: "k", fields: []string{"tail"}},

	// A line with one field and no '=' has that field as its key.
	{name: "implicit/single field", in: "toaster.sys", key: "toaster.sys", fields: []string{"toaster.sys"}},
	{name: "implicit/spaces", in: "   toaster.sys   ", key: "toaster.sys", fields: []string{"toaster.sys"}},
	{name: "implicit/two fields no key", in: "toaster.sys,,,2", noKey: true, fields: []string{"toaster.sys", "", "", "2"}},
	{name: "implicit/quoted equals", in: `"a=b"`, key: "a=b", fields: []string{"a=b"}},

	// Empty fields are kept; trailing commas make trailing empty fields.
	{name: "empty/middle", in: "k=a,,,b", key: "k", fields: []string{"a", "", "", "b"}},
	{name: "empty/trailing comma", in: "k=a,", key: "k", fields: []string{"a", ""}},
	{name: "empty/value", in: "k=", key: "k", fields: []string{""}},
	{name: "empty/spaces only", in: "k=  ,  ", key: "k", fields: []string{"", ""}},
	{name: "empty/quoted", in: `k=a,"",b," ",c`, key: "k", fields: []string{"a", "", "b", " ", "c"}},

	// Quotes.
	{name: "quote/protects comma", in: `k="x,y"`, key: "k", fields: []string{"x,y"}},
	{name: "quote/protects semicolon", in: `k="x;y" ; real comment`, key: "k", fields: []string{"x;y"}},
	{name: "quote/protects spaces", in: `k="  pad  "`, key: "k", fields: []string{"  pad  "}},
	{name: "quote/protects equals in key", in: `"a,b"=c`, key: "a,b", fields: []string{"c"}},
	{name: "quote/mid token in key", in: `Dri"ver"=x`, key: "Driver", fields: []string{"x"}},
	{name: "quote/doubled inside", in: `k="say ""hi"""`, key: "k", fields: []string{`say "hi"`}},
	{name: "quote/triple", in: `k="""inner"""`, key: "k", fields: []string{`"inner"`}},
	{name: "quote/empty outside quotes", in: `k=ab""cd`, key: "k", fields: []string{"abcd"}},
	{name: "quote/empty string then text", in: `k= "" tail`, key: "k", fields: []string{" tail"}},
	{name: "quote/adjacent", in: `k="a"",""b"`, key: "k", fields: []string{`a","b`}},
	{name: "quote/unterminated", in: `k=ab",cd`, key: "k", fields: []string{"ab,cd"}},
	{name: "quote/unterminated keeps backslash", in: "k=ab\",cd\\\nnext", key: "k", fields: []string{`ab,cd\`}, entries: 2, second: "next"},
	{name: "quote/single quotes plain", in: "HKR,'a b',c", noKey: true, fields: []string{"HKR", "'a b'", "c"}},
	{name: "quote/space between quoted parts", in: `k="x" "y"`, key: "k", fields: []string{"x y"}},
	{name: "quote/quoted key with spaces", in: `"  k "=v`, key: "  k ", fields: []string{"v"}},

	// Comments.
	{name: "comment/after value", in: "k=v ; note", key: "k", fields: []string{"v"}},
	{name: "comment/cuts fields", in: "k=a;b,c", key: "k", fields: []string{"a"}},
	{name: "comment/in key position", in: "alone;rest", key: "alone", fields: []string{"alone"}},
	{name: "comment/after comma", in: "k=a,;x", key: "k", fields: []string{"a", ""}},
	{name: "comment/line skipped", in: "; nothing\nk=v", key: "k", fields: []string{"v"}, entries: 1},
	{name: "comment/wins over strkey", in: "k=%veg;fruit%" + stringsSec, key: "k", fields: []string{"%veg"}, subst: []string{"%veg"}},

	// Backslash continuation.
	{name: "cont/joins key", in: "dri\\\nver=x", key: "driver", fields: []string{"x"}},
	{name: "cont/spaces around", in: "dri  \\  \nver=x", key: "driver", fields: []string{"x"}},
	{name: "cont/next line leading spaces dropped", in: "k=a\\\n      b", key: "k", fields: []string{"ab"}},
	{name: "cont/after comma", in: "k=a,\\\n   b,c", key: "k", fields: []string{"a", "b", "c"}},
	{name: "cont/comment after backslash", in: "k=a \\ ; why\nb", key: "k", fields: []string{"ab"}},
	{name: "cont/double backslash", in: "k=a \\\\ \nb", key: "k", fields: []string{"ab"}},
	{name: "cont/backslash space backslash", in: "k=a \\ \\ \nb", key: "k", fields: []string{"ab"}},
	{name: "cont/literal before text", in: `k=a \ b`, key: "k", fields: []string{`a \ b`}},
	{name: "cont/literal in path", in: `k=C:\dir\file`, key: "k", fields: []string{`C:\dir\file`}},
	{name: "cont/literal doubled", in: `k=x\\y`, key: "k", fields: []string{`x\\y`}},
	{name: "cont/literal before comma keeps space", in: `k=a\ ,b`, key: "k", fields: []string{`a\ `, "b"}},
	{name: "cont/inside quotes literal", in: "k=\"a\\\"\nb", key: "k", fields: []string{`a\`}, entries: 2, second: "b"},
	{name: "cont/in comment does not continue", in: "k=v ; path\\\nnext=1", key: "k", fields: []string{"v"}, entries: 2, second: "next"},
	{name: "cont/at end of input", in: "k=v \\", key: "k", fields: []string{"v"}},
	{name: "cont/chain", in: "k=a \\\n \\\n c", key: "k", fields: []string{"ac"}},
	{name: "cont/literal after continuation", in: "k=a \\\n \\ c", key: "k", fields: []string{`a\ c`}},
	{name: "cont/leading backslash literal", in: `  \ k= \ v`, key: `\ k`, fields: []string{`\ v`}},
	{name: "cont/quoted parts joined", in: "k=\"x\" \\\n \"y\",\"z\"", key: "k", fields: []string{"xy", "z"}},
	{name: "cont/bracket on next line is text", in: "k=\\\n[Other]", key: "k", fields: []string{"[Other]"}, entries: 1},
	{name: "cont/CRLF", in: "k=a,\\\r\n b\r\nz=1\r\n", key: "k", fields: []string{"a", "b"}, entries: 2, second: "z"},

	// %strkey% substitution and %% escapes.
	{name: "subst/value", in: "k=%veg%" + stringsSec, key: "k", fields: []string{"%veg%"}, subst: []string{"carrot"}},
	{name: "subst/key", in: "%veg%=%fruit%" + stringsSec, key: "%veg%", fields: []string{"%fruit%"}, substK: "carrot", subst: []string{"pear, ripe"}},
	{name: "subst/concatenated", in: "%veg%s=%fruit%!" + stringsSec, key: "%veg%s", fields: []string{"%fruit%!"}, substK: "carrots", subst: []string{"pear, ripe!"}},
	{name: "subst/percent escape", in: "k=%%SystemRoot%%\\x" + stringsSec, key: "k", fields: []string{`%%SystemRoot%%\x`}, subst: []string{`%SystemRoot%\x`}},
	{name: "subst/case-insensitive", in: "k=%VEG%" + stringsSec, key: "k", fields: []string{"%VEG%"}, subst: []string{"carrot"}},
	{name: "subst/unknown kept", in: "k=%nope%" + stringsSec, key: "k", fields: []string{"%nope%"}, subst: []string{"%nope%"}},
	{name: "subst/dirid kept", in: "k=%12%\\a.sys" + stringsSec, key: "k", fields: []string{`%12%\a.sys`}, subst: []string{`%12%\a.sys`}},
	{name: "subst/single pass", in: "k=%self%" + stringsSec, key: "k", fields: []string{"%self%"}, subst: []string{"%self2%"}},
	{name: "subst/quotes stripped before lookup", in: "k=%v\"e\"g%" + stringsSec, key: "k", fields: []string{"%veg%"}, subst: []string{"carrot"}},
	{name: "subst/adjacent tokens", in: "k=%N1%%N2%" + stringsSec, key: "k", fields: []string{"%N1%%N2%"}, subst: []string{"12"}},
	{name: "subst/unpaired percent", in: "k=50%" + stringsSec, key: "k", fields: []string{"50%"}, subst: []string{"50%"}},
	{name: "subst/percent then token", in: "k=%% %veg%" + stringsSec, key: "k", fields: []string{"%% %veg%"}, subst: []string{"% carrot"}},

	// Duplicate sections merge in file order.
	{name: "merge/duplicate sections", in: "first=1\n[Other]\nx=y\n[TEST]\nsecond=2", key: "first", fields: []string{"1"}, entries: 2, second: "second"},
}

func TestLexicalEntries(t *testing.T) {
	require.GreaterOrEqual(t, len(entryCases)+len(headerCases), 60)
	for _, tc := range entryCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := inf.Parse([]byte("[Test]\n"+tc.in), nil)
			require.NoError(t, err)
			sec := d.Section("test")
			require.NotNil(t, sec)
			es := sec.Entries()
			require.NotEmpty(t, es)
			l := es[0]
			assert.Equal(t, !tc.noKey, l.HasKey(), "has key")
			if !tc.noKey {
				assert.Equal(t, tc.key, l.RawKey(), "raw key")
				wk := tc.key
				if tc.substK != "" {
					wk = tc.substK
				}
				assert.Equal(t, wk, l.Key(), "key")
			}
			assert.Equal(t, tc.fields, l.RawFields(), "raw fields")
			want := tc.fields
			if tc.subst != nil {
				want = tc.subst
			}
			assert.Equal(t, want, l.Fields(), "fields")
			if tc.entries > 0 {
				assert.Len(t, es, tc.entries)
			}
			if tc.second != "" {
				require.GreaterOrEqual(t, len(es), 2)
				assert.Equal(t, tc.second, es[1].Key())
			}
			// Whatever the layout, the bytes come back unchanged.
			assert.Equal(t, "[Test]\n"+tc.in, string(d.Bytes()))
		})
	}
}

type headerCase struct {
	name     string
	in       string
	sections []string // section names in order
	err      error
	line     int // FormatError line
}

var headerCases = []headerCase{
	{name: "header/trailing text ignored", in: "[Head] ignored [x]\nk=v", sections: []string{"Head"}},
	{name: "header/inner spaces kept", in: " [  Spaced Name  ] x", sections: []string{"  Spaced Name  "}},
	{name: "header/first bracket ends", in: "[Ab[C]d]", sections: []string{"Ab[C"}},
	{name: "header/literal specials", in: `[a"b;c\d]`, sections: []string{`a"b;c\d`}},
	{name: "header/empty name", in: "[]\nk=v", sections: []string{""}},
	{name: "header/unterminated", in: "[ok]\n\n[broken\nk=v", err: inf.ErrBadSectionLine, line: 3},
	{name: "header/ctrl-z ends name", in: "[ok]\n[bro\x1a]\n", err: inf.ErrBadSectionLine, line: 2},
	{name: "header/255 characters", in: "[" + strings.Repeat("n", 255) + "]", sections: []string{strings.Repeat("n", 255)}},
	{name: "header/256 characters", in: "[ok]\n[" + strings.Repeat("n", 256) + "]", err: inf.ErrSectionNameTooLong, line: 2},
	{name: "header/entry before section", in: "; c\n\nstray\n[S]", err: inf.ErrExpectedSection, line: 3},
	{name: "header/comments before section", in: "; c\n  ; d\n\n[S]", sections: []string{"S"}},
	{name: "header/case-insensitive merge", in: "[Sec]\na=1\n[SEC]\nb=2\n[other]", sections: []string{"Sec", "other"}},
	{name: "header/ctrl-z ends file", in: "[A]\n\x1a[B]\n", sections: []string{"A"}},
	{name: "header/not after continuation", in: "[A]\nk=\\\n[B]", sections: []string{"A"}},
}

func TestLexicalHeaders(t *testing.T) {
	for _, tc := range headerCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := inf.Parse([]byte(tc.in), nil)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.True(t, errors.Is(err, inf.ErrFormat) || errors.Is(err, inf.ErrLimit), "every lexical error is also ErrFormat or ErrLimit")
				var fe *inf.FormatError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, tc.line, fe.Line)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, s := range d.Sections() {
				names = append(names, s.Name())
			}
			assert.Equal(t, tc.sections, names)
			for _, n := range tc.sections {
				assert.NotNil(t, d.Section(strings.ToUpper(n)), "lookup is case-insensitive")
			}
			assert.Equal(t, tc.in, string(d.Bytes()))
		})
	}
}

// TestLexicalTextSetup: txtsetup.oem's own rules ('#' comments, no
// continuation), from Microsoft's TxtSetup.oem format pages.
func TestLexicalTextSetup(t *testing.T) {
	src := "# hash comment\n[Disks]\ndisk1 = \"OEM disk 1\",\\disk1.tag,\\\ndisk2 = \"OEM disk 2\",\\disk2.tag,\\ # trailing\nq = \"a#b\",c#d\n"
	d, err := inf.Parse([]byte(src), &inf.ReadOptions{Dialect: inf.TextSetup})
	require.NoError(t, err)
	es := d.Section("Disks").Entries()
	require.Len(t, es, 3)
	assert.Equal(t, []string{"OEM disk 1", `\disk1.tag`, `\`}, es[0].Fields())
	assert.Equal(t, []string{"OEM disk 2", `\disk2.tag`, `\`}, es[1].Fields())
	assert.Equal(t, []string{"a#b", "c"}, es[2].Fields())
	assert.Equal(t, src, string(d.Bytes()))

	// The same text under SetupAPI rules joins the disk lines.
	_, err = inf.Parse([]byte(src), nil)
	require.ErrorIs(t, err, inf.ErrExpectedSection, "'#' is not a comment for SetupAPI")
	d, err = inf.Parse([]byte(src[strings.Index(src, "["):]), nil)
	require.NoError(t, err)
	assert.Len(t, d.Section("Disks").Entries(), 2)
}
