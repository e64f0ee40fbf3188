// Command wiminfo shows and edits the descriptive parts of a WIM file — the
// header, the images' XML information, the boot index and the integrity
// table — like wimlib-imagex info, on any platform and without wimlib.
//
// Usage:
//
//	wiminfo [flags] FILE [IMAGE]
//
// IMAGE is an image number or name. Without flags, wiminfo prints what
// "wimlib-imagex info FILE [IMAGE]" prints. Display flags:
//
//	--header            every header field (wimlib-imagex info --header)
//	--xml               the XML image information, as UTF-8 text
//	--json              header, images, blob table totals and warnings as JSON
//	--dism              the image list of dism /Get-WimInfo
//	--check             verify the integrity table (naming a damaged chunk)
//
// Edit flags change FILE in place (as wimlib-imagex info does), or write an
// edited copy with --output:
//
//	--boot N            make image N bootable (0: none)
//	--name NAME         rename IMAGE
//	--description DESC  set IMAGE's description
//	--property K=V      set an XML property of IMAGE, e.g. WINDOWS/VERSION/BUILD=19041
//	                    (repeatable; an empty V removes the element)
//	--add-integrity     add (or recompute) the integrity table
//	--remove-integrity  remove the integrity table
//	--output PATH       write the edited WIM to PATH and leave FILE unchanged
//
// Examples:
//
//	wiminfo sources/boot.wim
//	wiminfo sources/boot.wim 2 --boot 2 --name "WinPE x64" --property FLAGS=WindowsPE
//	wiminfo install.wim --check
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"

	"github.com/winbootkit/winbootkit/wim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wiminfo:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

// properties collects repeated --property K=V flags.
type properties [][2]string

func (p *properties) String() string { return fmt.Sprint(*p) }

func (p *properties) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("--property %q: want NAME=VALUE", s)
	}
	*p = append(*p, [2]string{k, v})
	return nil
}

type options struct {
	header, xml, json, dism, check bool
	boot                           int
	name, description, output      string
	nameSet, descSet               bool
	props                          properties
	addIntegrity, removeIntegrity  bool
}

func (o *options) editing() bool {
	return o.boot >= 0 || o.nameSet || o.descSet || len(o.props) > 0 || o.addIntegrity || o.removeIntegrity
}

func parseArgs(args []string, stderr io.Writer) (*options, []string, error) {
	o := &options{}
	fs := flag.NewFlagSet("wiminfo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wiminfo [flags] FILE [IMAGE]")
		fs.PrintDefaults()
	}
	fs.BoolVar(&o.header, "header", false, "print every header field")
	fs.BoolVar(&o.xml, "xml", false, "print the XML image information")
	fs.BoolVar(&o.json, "json", false, "print header, images and totals as JSON")
	fs.BoolVar(&o.dism, "dism", false, "print the image list of dism /Get-WimInfo")
	fs.BoolVar(&o.check, "check", false, "verify the integrity table")
	fs.IntVar(&o.boot, "boot", -1, "make image `N` bootable (0: none)")
	fs.Func("name", "rename IMAGE to `NAME`", func(s string) error { o.name, o.nameSet = s, true; return nil })
	fs.Func("description", "set IMAGE's description to `DESC`", func(s string) error { o.description, o.descSet = s, true; return nil })
	fs.Var(&o.props, "property", "set an XML property of IMAGE: `NAME=VALUE` (repeatable)")
	fs.BoolVar(&o.addIntegrity, "add-integrity", false, "add or recompute the integrity table")
	fs.BoolVar(&o.removeIntegrity, "remove-integrity", false, "remove the integrity table")
	fs.StringVar(&o.output, "output", "", "write the edited WIM to `PATH` instead of editing FILE")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < 1 || len(pos) > 2 {
		fs.Usage()
		return nil, nil, errors.New("want FILE and at most one IMAGE")
	}
	if o.addIntegrity && o.removeIntegrity {
		return nil, nil, errors.New("--add-integrity and --remove-integrity exclude each other")
	}
	if o.output != "" && !o.editing() {
		return nil, nil, errors.New("--output needs an edit flag")
	}
	return o, pos, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, pos, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	path := pos[0]
	var f *wim.File
	if o.editing() && o.output == "" {
		f, err = wim.OpenForEdit(path, nil)
	} else {
		f, err = wim.Open(path, nil)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	for _, w := range f.Warnings() {
		fmt.Fprintf(stderr, "wiminfo: warning: %s: %s\n", path, w)
	}

	image := 0
	if len(pos) == 2 {
		im, err := f.ResolveImage(pos[1])
		if err != nil {
			return err
		}
		image = im.Index()
	}
	if o.check {
		if err := f.VerifyIntegrity(); errors.Is(err, wim.ErrNotFound) {
			fmt.Fprintf(stderr, "wiminfo: warning: %s has no integrity table; not checked\n", path)
		} else if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		} else {
			fmt.Fprintf(stdout, "Integrity check of %s: OK\n", path)
		}
	}
	if o.editing() {
		if err := edit(f.Reader, o, image, stdout); err != nil {
			return err
		}
		if o.output != "" {
			if err := f.SaveAs(o.output); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Wrote %s\n", o.output)
			return nil
		}
		if err := f.Commit(); err != nil {
			return err
		}
	}
	return show(f.Reader, o, path, image, stdout)
}

// edit applies the edit flags to the in-memory WIM.
func edit(r *wim.Reader, o *options, image int, stdout io.Writer) error {
	if (o.nameSet || o.descSet || len(o.props) > 0) && image == 0 {
		return errors.New("--name, --description and --property need an IMAGE")
	}
	if o.boot >= 0 {
		if err := r.SetBootIndex(o.boot); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Boot index set to %d\n", o.boot)
	}
	if o.nameSet {
		if err := r.SetName(image, o.name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Image %d renamed to %q\n", image, o.name)
	}
	if o.descSet {
		if err := r.SetDescription(image, o.description); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Image %d description set to %q\n", image, o.description)
	}
	for _, kv := range o.props {
		if err := r.SetImageProperty(image, kv[0], kv[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Image %d property %s set to %q\n", image, kv[0], kv[1])
	}
	if o.addIntegrity {
		r.AddIntegrity()
		fmt.Fprintln(stdout, "Integrity table will be written")
	}
	if o.removeIntegrity {
		r.RemoveIntegrity()
		fmt.Fprintln(stdout, "Integrity table will be removed")
	}
	return nil
}

func show(r *wim.Reader, o *options, path string, image int, stdout io.Writer) error {
	switch {
	case o.header:
		return r.WriteHeaderInfo(stdout)
	case o.xml:
		_, err := io.WriteString(stdout, decodeXML(r.XML()))
		return err
	case o.json:
		return writeJSON(r, path, image, stdout)
	case o.dism:
		return r.WriteDISMInfo(stdout, path)
	case o.check && !o.editing():
		return nil
	}
	return r.WriteInfo(stdout, path, image)
}

// decodeXML turns the UTF-16LE XML (with its byte order mark) into text.
func decodeXML(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	if len(u) > 0 && u[0] == 0xFEFF {
		u = u[1:]
	}
	s := string(utf16.Decode(u))
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

type jsonHeader struct {
	Magic        string             `json:"magic"`
	Version      string             `json:"version"`
	VersionRaw   uint32             `json:"versionRaw"`
	Flags        []string           `json:"flags"`
	Compression  wim.Compression    `json:"compression"`
	ChunkSize    uint32             `json:"chunkSize"`
	GUID         wim.GUID           `json:"guid"`
	PartNumber   uint16             `json:"partNumber"`
	TotalParts   uint16             `json:"totalParts"`
	ImageCount   int                `json:"imageCount"`
	BootIndex    int                `json:"bootIndex"`
	BlobTable    wim.ResourceHeader `json:"blobTable"`
	XMLData      wim.ResourceHeader `json:"xmlData"`
	BootMetadata wim.ResourceHeader `json:"bootMetadata"`
	Integrity    wim.ResourceHeader `json:"integrity"`
}

type jsonOut struct {
	Path       string          `json:"path"`
	Header     jsonHeader      `json:"header"`
	Attributes []string        `json:"attributes"`
	TotalBytes uint64          `json:"totalBytes"`
	Images     []wim.ImageInfo `json:"images"`
	Totals     wim.Totals      `json:"totals"`
	Warnings   []string        `json:"warnings,omitempty"`
}

func writeJSON(r *wim.Reader, path string, image int, stdout io.Writer) error {
	h := r.Header()
	out := jsonOut{
		Path: path,
		Header: jsonHeader{
			Magic: strings.TrimRight(string(h.Magic[:]), "\x00"), Version: h.Version.String(), VersionRaw: uint32(h.Version),
			Flags: h.Flags.Names(), Compression: h.Compression(), ChunkSize: h.ChunkSize, GUID: h.GUID,
			PartNumber: h.PartNumber, TotalParts: h.TotalParts, ImageCount: r.ImageCount(), BootIndex: r.BootIndex(),
			BlobTable: h.BlobTable, XMLData: h.XMLData, BootMetadata: h.BootMetadata, Integrity: h.Integrity,
		},
		Attributes: r.Attributes(),
		TotalBytes: r.TotalBytes(),
		Totals:     r.Totals(),
	}
	if out.Header.Flags == nil {
		out.Header.Flags = []string{}
	}
	for _, im := range r.Images() {
		if image == 0 || im.Index() == image {
			out.Images = append(out.Images, im.Info())
		}
	}
	for _, w := range r.Warnings() {
		out.Warnings = append(out.Warnings, w.String())
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
