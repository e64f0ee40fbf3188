// Command pepatch patches names inside Windows boot binaries (pxeboot.n12,
// bootmgr.exe, startrom.n12, setupldr.exe), checks and fixes PE checksums,
// and lists or removes Authenticode signatures. It is a thin command over
// the peimage package.
//
// Usage:
//
//	pepatch info FILE
//	pepatch checksum FILE [--fix]
//	pepatch find FILE STRING [--ascii|--utf16|--both] [-i]
//	pepatch replace IN OUT OLD NEW [--count N] [--offset OFF]... [--ascii|--utf16|--both] [-i] [--signature refuse|strip|keep]
//	pepatch strip-signature IN OUT
//
// Flags may come before or after the file names; "--" ends the flags (for
// strings that start with "-"). Files are written through a temporary file
// and a rename, so OUT may be IN and a failed write never damages it.
//
// Examples (WinPE 2.0+ PXE, a second image called Test):
//
//	pepatch replace pxeboot.n12 pxetest.0 bootmgr.exe testmgr.exe --ascii
//	pepatch replace bootmgr.exe testmgr.exe '\Boot\BCD' '\Test\BCD' --utf16 --signature strip
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/winbootkit/winbootkit/peimage"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pepatch:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  pepatch info FILE
  pepatch checksum FILE [--fix]
  pepatch find FILE STRING [--ascii|--utf16|--both] [-i]
  pepatch replace IN OUT OLD NEW [--count N] [--offset OFF]... [--ascii|--utf16|--both] [-i] [--signature refuse|strip|keep]
  pepatch strip-signature IN OUT`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "info":
		return cmdInfo(args, stdout, stderr)
	case "checksum":
		return cmdChecksum(args, stdout, stderr)
	case "find":
		return cmdFind(args, stdout, stderr)
	case "replace":
		return cmdReplace(args, stdout, stderr)
	case "strip-signature":
		return cmdStrip(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// parse parses flags anywhere among the arguments and returns exactly n
// positional arguments. Everything after "--" is positional.
func parse(fs *flag.FlagSet, args []string, n int, names string) ([]string, error) {
	var pos, rest []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	pos = append(pos, rest...)
	if len(pos) != n {
		return nil, fmt.Errorf("%s: want %s, got %d arguments", fs.Name(), names, len(pos))
	}
	return pos, nil
}

// parseOpen parses the arguments and opens the file named first.
func parseOpen(fs *flag.FlagSet, args []string, n int, names string) ([]string, *peimage.Image, error) {
	pos, err := parse(fs, args, n, names)
	if err != nil {
		return nil, nil, err
	}
	img, err := peimage.Open(pos[0], nil)
	return pos, img, err
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// encodingFlags registers --ascii, --utf16 and --both.
type encodingFlags struct{ ascii, utf16, both *bool }

func addEncodingFlags(fs *flag.FlagSet) encodingFlags {
	return encodingFlags{
		ascii: fs.Bool("ascii", false, "match the string as ASCII bytes only"),
		utf16: fs.Bool("utf16", false, "match the string as UTF-16LE only"),
		both:  fs.Bool("both", false, "match ASCII and UTF-16LE (the default)"),
	}
}

func (e encodingFlags) get() (peimage.Encoding, error) {
	var set []peimage.Encoding
	for _, f := range []struct {
		on  bool
		enc peimage.Encoding
	}{{*e.ascii, peimage.ASCII}, {*e.utf16, peimage.UTF16LE}, {*e.both, peimage.Both}} {
		if f.on {
			set = append(set, f.enc)
		}
	}
	switch len(set) {
	case 0:
		return peimage.Both, nil
	case 1:
		return set[0], nil
	}
	return 0, errors.New("give at most one of --ascii, --utf16, --both")
}

// offsets is a repeatable --offset flag (decimal, 0x hex or 0 octal).
type offsets []int64

func (o *offsets) String() string { return fmt.Sprint(*o) }

func (o *offsets) Set(s string) error {
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return err
	}
	*o = append(*o, v)
	return nil
}

func cmdInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", stderr)
	pos, img, err := parseOpen(fs, args, 1, "FILE")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file:\t%s\n", pos[0])
	fmt.Fprintf(tw, "size:\t%d bytes\n", img.Size())
	fmt.Fprintf(tw, "kind:\t%s\n", img.Kind())
	switch img.Kind() {
	case peimage.KindRaw:
		fmt.Fprintf(tw, "note:\tno PE header: find and replace work on the raw bytes; there is no checksum\n")
	case peimage.KindBIOSBootmgr:
		bm := img.Bootmgr()
		comp := bm.Compression
		if comp == peimage.CompressionUnknown {
			comp = "not identified (XPRESS Huffman on Windows 8 and later)"
		}
		fmt.Fprintf(tw, "PE stub:\t%#x (%d bytes)\n", bm.StubOffset, bm.StubSize)
		fmt.Fprintf(tw, "compressed bootmgr.exe:\tat %#x, %s\n", bm.PayloadOffset, comp)
		fmt.Fprintf(tw, "note:\tthe names to patch are inside the compressed bootmgr.exe; patch bootmgr.exe instead\n")
	case peimage.KindPE:
		if err := peInfo(tw, img); err != nil {
			return err
		}
	}
	for _, w := range img.Warnings {
		fmt.Fprintf(tw, "warning:\t%s\n", w)
	}
	return tw.Flush()
}

func peInfo(tw *tabwriter.Writer, img *peimage.Image) error {
	h := img.Headers()
	stored, err := img.StoredChecksum()
	if err != nil {
		return err
	}
	computed, err := img.ComputeChecksum()
	if err != nil {
		return err
	}
	state := "ok"
	if stored != computed {
		state = "MISMATCH"
	}
	fmt.Fprintf(tw, "format:\t%s\n", h.Format)
	fmt.Fprintf(tw, "machine:\t%s (%#x)\n", h.Machine, uint16(h.Machine))
	fmt.Fprintf(tw, "subsystem:\t%s (%d)\n", h.Subsystem, uint16(h.Subsystem))
	fmt.Fprintf(tw, "e_lfanew:\t%#x\n", h.NTOffset)
	fmt.Fprintf(tw, "checksum:\t%#08x at %#x, computed %#08x: %s\n", stored, h.ChecksumOffset, computed, state)
	if h.CertTable.Size == 0 {
		fmt.Fprintf(tw, "signature:\tnone\n")
	} else {
		fmt.Fprintf(tw, "certificate table:\t%d bytes at %#x (data directory 4 at %#x)\n", h.CertTable.Size, h.CertTable.Offset, h.CertDirOffset)
		certs, err := img.Certificates()
		for i, c := range certs {
			fmt.Fprintf(tw, "  entry %d:\t%#x, %d bytes, revision %s, %s\n", i, c.Offset, c.Length, c.Revision, c.Type)
		}
		if err != nil {
			fmt.Fprintf(tw, "  error:\t%v\n", err)
		}
	}
	if h.Overlay.Size > 0 {
		fmt.Fprintf(tw, "overlay:\t%d bytes at %#x\n", h.Overlay.Size, h.Overlay.Offset)
	}
	fmt.Fprintf(tw, "sections:\t%d\n", len(h.Sections))
	fmt.Fprintf(tw, "  name\trva\tvirtual size\tfile offset\tfile size\n")
	for _, s := range h.Sections {
		fmt.Fprintf(tw, "  %s\t%#x\t%#x\t%#x\t%#x\n", s.Name, s.VirtualAddress, s.VirtualSize, s.Offset, s.Size)
	}
	return nil
}

func cmdChecksum(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("checksum", stderr)
	fix := fs.Bool("fix", false, "write the computed checksum into the file")
	pos, img, err := parseOpen(fs, args, 1, "FILE")
	if err != nil {
		return err
	}
	err = img.VerifyChecksum()
	var ce *peimage.ChecksumError
	switch {
	case err == nil:
		c, _ := img.StoredChecksum()
		fmt.Fprintf(stdout, "%s: checksum %#08x ok\n", pos[0], c)
		return nil
	case !errors.As(err, &ce):
		return err
	case !*fix:
		fmt.Fprintf(stdout, "%s: stored checksum %#08x, computed %#08x\n", pos[0], ce.Stored, ce.Computed)
		return errors.New("checksum mismatch (run with --fix to correct it)")
	}
	res, err := img.FixChecksum()
	if err != nil {
		return err
	}
	if err := img.Save(pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: checksum at %#x fixed: %#08x -> %#08x\n", pos[0], res.Offset, res.Old, res.New)
	return nil
}

func cmdFind(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("find", stderr)
	encf := addEncodingFlags(fs)
	fold := fs.Bool("i", false, "ignore ASCII letter case")
	pos, img, err := parseOpen(fs, args, 2, "FILE STRING")
	if err != nil {
		return err
	}
	enc, err := encf.get()
	if err != nil {
		return err
	}
	matches, err := img.Find(pos[1], &peimage.FindOptions{Encoding: enc, IgnoreCase: *fold})
	if err != nil {
		return err
	}
	for _, m := range matches {
		fmt.Fprintln(stdout, m)
	}
	fmt.Fprintf(stdout, "%d %s of %q (%s) in %s\n", len(matches), plural(len(matches), "match", "matches"), pos[1], enc, img.Kind())
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func cmdReplace(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replace", stderr)
	encf := addEncodingFlags(fs)
	fold := fs.Bool("i", false, "match OLD ignoring ASCII letter case")
	count := fs.Int("count", 0, "require exactly N occurrences (0: any number, at least one)")
	var offs offsets
	fs.Var(&offs, "offset", "patch only the occurrence at this file offset (repeatable)")
	sig := fs.String("signature", "refuse", "for a signed file: refuse, strip or keep (invalid)")
	pos, img, err := parseOpen(fs, args, 4, "IN OUT OLD NEW")
	if err != nil {
		return err
	}
	enc, err := encf.get()
	if err != nil {
		return err
	}
	policy, err := peimage.ParseSignaturePolicy(*sig)
	if err != nil {
		return err
	}
	rep, err := img.Replace([]peimage.Edit{{
		Old: pos[2], New: pos[3], Encoding: enc, IgnoreCase: *fold, Count: *count, Offsets: offs,
	}}, &peimage.PatchOptions{Signature: policy})
	if err != nil {
		return err
	}
	if err := img.Save(pos[1]); err != nil {
		return err
	}
	fmt.Fprint(stdout, rep)
	fmt.Fprintf(stdout, "%d %s, written to %s\n", len(rep.Changes), plural(len(rep.Changes), "change", "changes"), pos[1])
	return nil
}

func cmdStrip(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("strip-signature", stderr)
	pos, img, err := parseOpen(fs, args, 2, "IN OUT")
	if err != nil {
		return err
	}
	res, err := img.StripSignature()
	if err != nil {
		return err
	}
	if err := img.Save(pos[1]); err != nil {
		return err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "removed certificate table: %d bytes at %#x (%d %s) and %d bytes of padding\n",
		res.Table.Size, res.Table.Offset, res.Entries, plural(res.Entries, "entry", "entries"), res.Padding)
	fmt.Fprintf(&sb, "zeroed data directory 4 at %#x; checksum %#08x -> %#08x\n", res.DirOffset, res.Checksum.Old, res.Checksum.New)
	fmt.Fprintf(&sb, "written %d bytes to %s\n", res.NewSize, pos[1])
	_, err = io.WriteString(stdout, sb.String())
	return err
}
