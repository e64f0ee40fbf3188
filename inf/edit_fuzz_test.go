package inf_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// editTexts are line texts the edit programs use: ordinary lines and the
// ones that stress the lexer (continuations, quotes, comments, headers,
// %strkey% tokens, text that needs quotes, empty text).
var editTexts = []string{
	"", " ", "k = v", "[S]", "[Strings]", "[strings.0407]", "; comment", "# hash", `\`, `k = a \`,
	`k = "x"`, `t = "val"`, `%t% = 1`, `x = %t%,%%`, "é = ü", `"q""q" = "a,b";c`, "a,b,c", "[T] ; c",
	"[]", "=", `k = "open`, "k = v \\ ; c", "  indented = 1", "v\\", `PCI\VEN_1AF4&DEV_1001 = "viostor"`,
}

// editRun applies an edit program to a document and checks, at the
// checkpoints the program asks for and at its end, that the document and
// the parse of its bytes agree.
type editRun struct {
	t     testing.TB
	d     *inf.Document
	opts  *inf.ReadOptions
	lines []*inf.Line    // lines known to the program (some may be removed)
	secs  []*inf.Section // sections known to the program
	extra []string       // texts taken from the fuzz input
}

func newEditRun(t testing.TB, d *inf.Document, opts *inf.ReadOptions, extra []string) *editRun {
	r := &editRun{t: t, d: d, opts: opts, extra: extra}
	for l := range d.Lines() {
		r.lines = append(r.lines, l)
	}
	r.secs = d.Sections()
	return r
}

func (r *editRun) text(b byte) string {
	if int(b) >= len(editTexts) && len(r.extra) > 0 {
		return r.extra[int(b)%len(r.extra)]
	}
	return editTexts[int(b)%len(editTexts)]
}

func (r *editRun) line(b byte) *inf.Line {
	if len(r.lines) == 0 {
		return nil
	}
	return r.lines[int(b)%len(r.lines)]
}

func (r *editRun) sec(b byte) *inf.Section {
	if len(r.secs) == 0 {
		return nil
	}
	return r.secs[int(b)%len(r.secs)]
}

// fieldsOf splits a text into field values for SetFields and friends.
func fieldsOf(s string) []string { return strings.Split(s, ",") }

// step runs one operation. Operations on a removed line or section, or
// with text that cannot be stored, must fail with a typed error and leave
// the bytes as they were.
func (r *editRun) step(op, a, b byte) {
	t, d := r.t, r.d
	before := d.Bytes()
	var err error
	var added *inf.Line
	l, s, text := r.line(a), r.sec(a), r.text(b)
	switch op % 21 {
	case 0:
		if l != nil {
			added, err = l.InsertAfter(text)
		}
	case 1:
		if l != nil {
			added, err = l.InsertBefore(text)
		}
	case 2:
		if l != nil {
			err = l.Remove()
		}
	case 3:
		if l != nil {
			err = l.SetText(text)
		}
	case 4:
		if l != nil {
			err = l.SetFields(fieldsOf(text)...)
		}
	case 5:
		if l != nil {
			err = l.SetFieldsVerbatim(fieldsOf(text)...)
		}
	case 6:
		if l != nil {
			err = l.SetKey(text)
		}
	case 7:
		if l != nil {
			err = l.SetField(int(b%3), text)
		}
	case 8, 9:
		if s != nil {
			want := appendPosition(s)
			if added, err = s.AppendLine(text); err == nil && added.Number() != want {
				t.Fatalf("AppendLine(%q) put the line at %d, want %d", text, added.Number(), want)
			}
		}
	case 10:
		if s != nil {
			f := fieldsOf(text)
			added, err = s.Append(f[0], f[1:]...)
		}
	case 11:
		if s != nil {
			f := fieldsOf(text)
			added, err = s.Set(f[0], f[1:]...)
		}
	case 12:
		var ns *inf.Section
		if ns, err = d.AddSection(strings.Trim(text, "[]")); err == nil {
			r.secs = append(r.secs, ns)
		}
	case 13:
		if s != nil {
			err = s.Remove()
		}
	case 14:
		if s != nil {
			err = s.Rename(strings.Trim(text, "[]"))
		}
	case 15:
		if last := d.LastLine(); last != nil {
			added, err = last.InsertAfter(text)
		}
	case 16:
		// Reads that need the index, between edits.
		if l != nil {
			_ = l.Number()
		}
		if s != nil {
			_ = s.Entries()
			_ = s.Find("k")
		}
	case 17:
		d.SetLanguage([]uint16{0x0409, 0x0407, 0x0807}[int(a)%3])
	case 18:
		if l != nil {
			_ = l.Fields()
			_ = l.Key()
		}
	case 19:
		checkInvariant(t, d, r.opts)
		return
	case 20:
		err = d.EndLastLine()
	}
	if added != nil {
		r.lines = append(r.lines, added)
		if sec := added.Section(); sec != nil {
			r.secs = append(r.secs, sec)
		}
	}
	if err != nil {
		if !errors.Is(err, inf.ErrInvalidText) && !errors.Is(err, inf.ErrRemoved) && !errors.Is(err, inf.ErrEncoding) {
			t.Fatalf("op %d on %q: untyped error %v", op%21, text, err)
		}
		if !bytes.Equal(before, d.Bytes()) {
			t.Fatalf("op %d on %q failed (%v) but changed the document:\n%s", op%21, text, err, testutil.HexDiff(before, d.Bytes()))
		}
	}
}

// appendPosition returns the line number AppendLine should give a line
// added to s: right after the last entry of its last occurrence, or after
// that occurrence's header (0 for a removed section).
func appendPosition(s *inf.Section) int {
	hs := s.Headers()
	if len(hs) == 0 || hs[0].Number() == 0 {
		return 0
	}
	at := hs[len(hs)-1]
	for _, l := range s.Entries() {
		if l.Number() > at.Number() {
			at = l
		}
	}
	return at.Number() + at.PhysicalLines()
}

func (r *editRun) run(prog []byte) {
	for i := 0; i+2 < len(prog); i += 3 {
		r.step(prog[i], prog[i+1], prog[i+2])
	}
	checkInvariant(r.t, r.d, r.opts)
}

// editSeedDocs are small documents that stress the end of the file, the
// section table and the strings table.
var editSeedDocs = []string{
	"[]\n\\",
	"[]\n\\\n",
	"[S]\r\nk=v",
	"",
	"; only a comment",
	"[S]\nk = a, \\",
	"[S]\nk=\\\x1atail",
	"[Strings]\nt = \"x\"\n[S]\n%t% = 1\nv = %t%\n[Strings.0407]\nt = \"y\"\n",
	"; c\r\n[S]\r\nx = \"a\r",
	"[S]\n\n",
	"[A]\na=1\n[B]\nb=2\n[a]\nc=3 ; more\n\n; trailing\n",
	"\xff\xfe[\x00S\x00]\x00\r\x00\n\x00k\x00=\x00\\\x00",
	"\xef\xbb\xbf[S]\nk = \"é\"\n",
	"[S]\nk = a # b\nl = c\\",
}

func editOpts(mode uint8) *inf.ReadOptions {
	if mode%2 == 1 {
		return &inf.ReadOptions{Dialect: inf.TextSetup}
	}
	return nil
}

// FuzzEditInvariant applies a random edit program (inserting, removing,
// rewriting lines and fields, adding, removing and renaming sections,
// changing the language, ending the file, with reads between the edits) to
// a document and
// checks that after every checkpoint Parse(d.Bytes()) gives the document's
// own lines, keys, fields, substituted values, sections and line numbers.
func FuzzEditInvariant(f *testing.F) {
	for i, doc := range editSeedDocs {
		prog := []byte{0, 0, 0, 12, 0, 20, 19, 0, 0, 15, 1, 0, 8, 1, 2, 19, 0, 0, 2, 3, 0, 13, 1, 0, 4, 2, 10}
		f.Add([]byte(doc), prog, uint8(i), "a,b")
		f.Add([]byte(doc), []byte{15, 0, 0, 12, 0, 18, 2, 0, 0, 19, 0, 0, 5, 1, 11, 14, 0, 4, 17, 1, 0, 18, 2, 0}, uint8(i+1), `"x"`)
	}
	f.Add([]byte("[]\n\\"), []byte{0, 1, 0, 12, 0, 20}, uint8(0), "")
	f.Add([]byte("[]\n\\"), []byte{20, 0, 0, 0, 1, 0, 12, 0, 20, 19, 0, 0, 13, 2, 0}, uint8(0), "")
	f.Fuzz(func(t *testing.T, doc, prog []byte, mode uint8, extra string) {
		if len(doc) > 1<<10 || len(prog) > 150 {
			return
		}
		opts := editOpts(mode)
		d, err := inf.Parse(doc, opts)
		if err != nil {
			return
		}
		newEditRun(t, d, opts, strings.Split(extra, "\n")).run(prog)
	})
}

// TestEditInvariantRandom runs random edit programs over the seed
// documents and small fixtures, with a fixed seed so that failures repeat.
func TestEditInvariantRandom(t *testing.T) {
	docs := append([]string(nil), editSeedDocs...)
	for _, rel := range []string{"inf/virtio-win/txtsetup-i386.oem", "inf/reactos/setupreg.inf"} {
		docs = append(docs, string(testutil.ReadFixture(t, rel)))
	}
	rng := rand.New(rand.NewPCG(5, 2026))
	for i := range 3000 {
		doc := docs[i%len(docs)]
		if i%2 == 1 {
			doc = randomDoc(rng)
		}
		mode := uint8(rng.IntN(2))
		opts := editOpts(mode)
		d, err := inf.Parse([]byte(doc), opts)
		if err != nil {
			continue // an entry before the first section, for example
		}
		prog := make([]byte, 3*(1+rng.IntN(40)))
		for j := range prog {
			prog[j] = byte(rng.UintN(256))
		}
		t.Run("", func(t *testing.T) {
			newEditRun(t, d, opts, []string{"z = \\", "[New]", `k = "v"`}).run(prog)
			if t.Failed() {
				t.Logf("doc %q mode %d prog %v", doc, mode, prog)
			}
		})
	}
}

// randomDoc joins random line texts with random line endings, the last
// one often missing.
func randomDoc(rng *rand.Rand) string {
	var sb strings.Builder
	sb.WriteString("[S]")
	for range rng.IntN(8) {
		sb.WriteString([]string{"\n", "\r\n"}[rng.IntN(2)])
		sb.WriteString(editTexts[rng.IntN(len(editTexts))])
	}
	if rng.IntN(2) == 0 {
		sb.WriteString("\n")
	}
	return sb.String()
}
