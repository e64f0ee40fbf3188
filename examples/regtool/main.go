// Command regtool inspects and edits Windows registry hive files with the
// winbootkit hive package: it prints a hive's header, exports and imports
// .reg files, compares two hives, checks a hive's integrity and replays
// transaction logs into a clean hive.
//
// Usage:
//
//	regtool info HIVE
//	regtool export [--utf16] [--prefix PATH] HIVE [KEY]
//	regtool import [--version 1.3|1.5] [--prefix PATH] [--root NAME] HIVE REGFILE
//	regtool diff [--ignore-class] A B
//	regtool check HIVE
//	regtool replay HIVE LOG1 [LOG2] -o OUT
//
// import creates HIVE when it does not exist (version 1.5 unless --version
// says otherwise; the root key is named after the last component of the
// .reg file's first key unless --root says otherwise). diff exits with
// status 1 when the hives differ; check when it finds problems. Every file
// is written atomically.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf16"

	"github.com/winbootkit/winbootkit/hive"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "regtool:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  regtool info HIVE
  regtool export [--utf16] [--prefix PATH] HIVE [KEY]
  regtool import [--version 1.3|1.5] [--prefix PATH] [--root NAME] HIVE REGFILE
  regtool diff [--ignore-class] A B
  regtool check HIVE
  regtool replay HIVE LOG1 [LOG2] -o OUT`

// errDiffer and errProblems make the exit status 1 after the report.
var (
	errDiffer   = errors.New("the hives differ")
	errProblems = errors.New("the hive has problems")
)

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command")
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("regtool "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch cmd {
	case "info":
		return withArgs(fs, args, 1, 1, func(a []string) error { return info(a[0], stdout) })
	case "export":
		utf16 := fs.Bool("utf16", false, "write UTF-16LE with a BOM and CRLF, as regedit does")
		prefix := fs.String("prefix", "", "path written for the exported key (default HKEY_LOCAL_MACHINE\\<root>\\<key>)")
		return withArgs(fs, args, 1, 2, func(a []string) error {
			key := ""
			if len(a) == 2 {
				key = a[1]
			}
			return export(a[0], key, *prefix, *utf16, stdout)
		})
	case "import":
		version := fs.String("version", "1.5", "format version of a new hive: 1.3 or 1.5")
		prefix := fs.String("prefix", "", "path in the .reg file that stands for the root key (default: the first key in the file)")
		root := fs.String("root", "", "root key name of a new hive (default: the last component of the file's first key)")
		return withArgs(fs, args, 2, 2, func(a []string) error {
			return importReg(a[0], a[1], *version, *prefix, *root, stdout)
		})
	case "diff":
		ignore := fs.Bool("ignore-class", false, "do not compare class names")
		return withArgs(fs, args, 2, 2, func(a []string) error { return diff(a[0], a[1], *ignore, stdout) })
	case "check":
		return withArgs(fs, args, 1, 1, func(a []string) error { return check(a[0], stdout) })
	case "replay":
		out := fs.String("o", "", "output hive file (required)")
		return withArgs(fs, args, 2, 3, func(a []string) error {
			if *out == "" {
				return errors.New("replay: -o OUT is required")
			}
			return replay(a[0], a[1:], *out, stdout)
		})
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// withArgs parses flags that may come before, between or after the
// positional arguments, checks their number and calls fn.
func withArgs(fs *flag.FlagSet, args []string, minN, maxN int, fn func([]string) error) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < minN || len(pos) > maxN {
		return fmt.Errorf("%s: want %d to %d arguments, got %d\n%s", fs.Name(), minN, maxN, len(pos), usage)
	}
	return fn(pos)
}

func info(path string, w io.Writer) error {
	h, err := hive.Open(path, nil)
	if err != nil {
		return err
	}
	hd := h.Header()
	keys, values := 0, 0
	walkErr := h.Root().Walk(func(_ string, k *hive.Key) error {
		keys++
		values += k.ValueCount()
		return nil
	})
	fmt.Fprintf(w, "file:              %s\n", path)
	fmt.Fprintf(w, "version:           %d.%d\n", hd.Major, hd.Minor)
	fmt.Fprintf(w, "root key:          %s\n", h.Root().Name())
	fmt.Fprintf(w, "sequence numbers:  %d, %d\n", hd.Sequence1, hd.Sequence2)
	fmt.Fprintf(w, "checksum:          %#08x (%s)\n", hd.Checksum, okText(hd.ChecksumOK, "valid", "WRONG"))
	fmt.Fprintf(w, "state:             %s\n", okText(!h.Dirty(), "clean", "dirty (replay its logs: regtool replay)"))
	fmt.Fprintf(w, "last written:      %s\n", hd.LastWritten.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "hive bins size:    %d\n", hd.BinsSize)
	fmt.Fprintf(w, "file name field:   %s\n", hd.FileName)
	fmt.Fprintf(w, "keys:              %d\n", keys)
	fmt.Fprintf(w, "values:            %d\n", values)
	for _, wn := range h.Warnings() {
		fmt.Fprintf(w, "warning:           %s\n", wn)
	}
	return walkErr
}

func okText(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func export(path, key, prefix string, utf16 bool, w io.Writer) error {
	h, err := hive.Open(path, nil)
	if err != nil {
		return err
	}
	k, err := h.OpenKey(key)
	if err != nil {
		return err
	}
	return k.ExportReg(w, &hive.ExportOptions{Prefix: prefix, UTF8: !utf16})
}

func importReg(path, regPath, version, prefix, root string, w io.Writer) error {
	reg, err := os.ReadFile(regPath)
	if err != nil {
		return err
	}
	h, err := hive.Open(path, nil)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		var minor uint32
		switch version {
		case "1.3":
			minor = hive.Version13
		case "1.5":
			minor = hive.Version15
		default:
			return fmt.Errorf("import: --version %q: want 1.3 or 1.5", version)
		}
		if root == "" {
			root = rootNameFor(reg, prefix)
		}
		if h, err = hive.New(root, minor, nil); err != nil {
			return err
		}
		created = true
	} else if err != nil {
		return err
	}
	if err := h.ImportReg(strings.NewReader(string(reg)), &hive.ImportOptions{Prefix: prefix}); err != nil {
		return err
	}
	if err := h.Save(path); err != nil {
		return err
	}
	verb := "updated"
	if created {
		verb = "created"
	}
	fmt.Fprintf(w, "%s %s\n", verb, path)
	return nil
}

// rootNameFor names a new hive's root key after the last component of the
// prefix or of the .reg file's first key ("ROOT" when that is a bare
// HKEY_* name or hivexregedit's "\").
func rootNameFor(reg []byte, prefix string) string {
	p := prefix
	if p == "" {
		p = firstSection(reg)
	}
	p = strings.Trim(p, `\`)
	if i := strings.LastIndex(p, `\`); i >= 0 {
		p = p[i+1:]
	}
	if p == "" || strings.HasPrefix(strings.ToUpper(p), "HKEY_") {
		return "ROOT"
	}
	return p
}

// firstSection returns the path of the first key section of a .reg file
// (UTF-16LE with a BOM, or 8-bit text).
func firstSection(reg []byte) string {
	text := string(reg)
	if len(reg) >= 2 && reg[0] == 0xFF && reg[1] == 0xFE {
		u := make([]uint16, (len(reg)-2)/2)
		for i := range u {
			u[i] = uint16(reg[2+2*i]) | uint16(reg[3+2*i])<<8
		}
		text = string(utf16.Decode(u))
	}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") && !strings.HasPrefix(l, "[-") {
			return l[1 : len(l)-1]
		}
	}
	return ""
}

func diff(a, b string, ignoreClass bool, w io.Writer) error {
	ha, err := hive.Open(a, nil)
	if err != nil {
		return err
	}
	hb, err := hive.Open(b, nil)
	if err != nil {
		return err
	}
	ds, err := hive.Diff(ha.Root(), hb.Root(), &hive.DiffOptions{IgnoreClass: ignoreClass})
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		fmt.Fprintln(w, "no differences")
		return nil
	}
	fmt.Fprint(w, hive.FormatDiff(ds))
	return fmt.Errorf("%w: %d differences", errDiffer, len(ds))
}

func check(path string, w io.Writer) error {
	h, err := hive.Open(path, nil)
	if err != nil {
		return err
	}
	ps := h.Check()
	if len(ps) == 0 {
		fmt.Fprintln(w, "no problems")
		if h.Dirty() {
			fmt.Fprintln(w, "note: the hive is dirty (sequence numbers differ); replay its logs")
		}
		return nil
	}
	for _, p := range ps {
		fmt.Fprintln(w, p)
	}
	return fmt.Errorf("%w: %d", errProblems, len(ps))
}

func replay(path string, logPaths []string, out string, w io.Writer) error {
	h, err := hive.Open(path, nil)
	if err != nil {
		return err
	}
	logs := make([][]byte, len(logPaths))
	for i, p := range logPaths {
		if logs[i], err = os.ReadFile(p); err != nil {
			return err
		}
	}
	if !h.Dirty() {
		fmt.Fprintln(w, "the hive is clean: logs not applied")
	}
	res, err := h.Replay(logs...)
	if err != nil {
		return err
	}
	if res.Format != hive.LogNone {
		used := make([]string, len(res.LogsUsed))
		for i, idx := range res.LogsUsed {
			used[i] = logPaths[idx]
		}
		fmt.Fprintf(w, "replayed %d entries (%d pages, %d bytes) from %s log(s) %s; sequence %d\n",
			res.Entries, res.Pages, res.Bytes, res.Format, strings.Join(used, ", "), res.Sequence)
	} else if h.Dirty() {
		fmt.Fprintln(w, "no log entry applies; the hive stays dirty")
	}
	if err := h.SaveMode(out, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", out)
	return nil
}
