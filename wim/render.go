package wim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteInfo writes what "wimlib-imagex info PATH [IMAGE]" prints: with
// image 0 the WIM summary followed by every image ("Available Images"),
// otherwise only that image ("Information for Image N"). path is printed as
// given.
func (rd *Reader) WriteInfo(w io.Writer, path string, image int) error {
	bw := bufio.NewWriter(w)
	if image == 0 {
		rd.writeSummary(bw, path)
		fmt.Fprintln(bw, "Available Images:")
		fmt.Fprintln(bw, "-----------------")
		for i := 1; i <= rd.imageN; i++ {
			writeImageInfo(bw, imageInfo(rd.imageXML[i-1], i), rd.imageXML[i-1])
		}
		return bw.Flush()
	}
	if image < 1 || image > rd.imageN {
		return fmt.Errorf("%w: image %d (the WIM has %d)", ErrNotFound, image, rd.imageN)
	}
	title := fmt.Sprintf("Information for Image %d", image)
	fmt.Fprintln(bw, title)
	fmt.Fprintln(bw, strings.Repeat("-", len(title)))
	writeImageInfo(bw, imageInfo(rd.imageXML[image-1], image), rd.imageXML[image-1])
	return bw.Flush()
}

func (rd *Reader) writeSummary(w io.Writer, path string) {
	h := &rd.hdr
	fmt.Fprintln(w, "WIM Information:")
	fmt.Fprintln(w, "----------------")
	fmt.Fprintf(w, "Path:           %s\n", path)
	fmt.Fprintf(w, "GUID:           0x%s\n", h.GUID)
	fmt.Fprintf(w, "Version:        %d\n", uint32(h.Version))
	fmt.Fprintf(w, "Image Count:    %d\n", rd.imageN)
	fmt.Fprintf(w, "Compression:    %s\n", h.Compression())
	fmt.Fprintf(w, "Chunk Size:     %d bytes\n", h.ChunkSize)
	fmt.Fprintf(w, "Part Number:    %d/%d\n", h.PartNumber, h.TotalParts)
	fmt.Fprintf(w, "Boot Index:     %d\n", rd.BootIndex())
	fmt.Fprintf(w, "Size:           %d bytes\n", rd.TotalBytes())
	fmt.Fprintf(w, "Attributes:     %s\n\n", strings.Join(rd.Attributes(), ", "))
}

// Attributes lists the attributes wimlib-imagex info prints: "Pipable",
// "Integrity info", "Relative path junction", "Resource only", "Metadata
// only", "Readonly".
func (rd *Reader) Attributes() []string {
	h := &rd.hdr
	var a []string
	for _, x := range []struct {
		on   bool
		name string
	}{
		{h.Pipable(), "Pipable"},
		{h.HasIntegrity(), "Integrity info"},
		{h.Flags&FlagRPFix != 0, "Relative path junction"},
		{h.Flags&FlagResourceOnly != 0, "Resource only"},
		{h.Flags&FlagMetadataOnly != 0, "Metadata only"},
		{h.Flags&FlagReadOnly != 0, "Readonly"},
	} {
		if x.on {
			a = append(a, x.name)
		}
	}
	return a
}

// writeImageInfo prints one image as wimlib's xml_print_image_info does.
// n is the IMAGE element, for the presence tests the typed info flattens.
func writeImageInfo(w io.Writer, in ImageInfo, n *xnode) {
	line := func(label, value string) { fmt.Fprintf(w, "%-24s%s\n", label+":", value) }
	opt := func(label string, node *xnode, path ...string) {
		if s, ok := textAt(node, path...); ok {
			line(label, s)
		}
	}
	line("Index", strconv.Itoa(in.Index))
	line("Name", in.Name)
	line("Description", in.Description)
	opt("Display Name", n, "DISPLAYNAME")
	opt("Display Description", n, "DISPLAYDESCRIPTION")
	line("Directory Count", strconv.FormatUint(in.DirCount, 10))
	line("File Count", strconv.FormatUint(in.FileCount, 10))
	line("Total Bytes", strconv.FormatUint(in.TotalBytes, 10))
	line("Hard Link Bytes", strconv.FormatUint(in.HardLinkBytes, 10))
	line("Creation Time", in.CreationTime.String())
	line("Last Modification Time", in.LastModificationTime.String())
	if wi := in.Windows; wi != nil {
		wn := n.child("WINDOWS", 1)
		line("Architecture", wi.Arch.String())
		opt("Product Name", wn, "PRODUCTNAME")
		opt("Edition ID", wn, "EDITIONID")
		opt("Installation Type", wn, "INSTALLATIONTYPE")
		opt("HAL", wn, "HAL")
		opt("Product Type", wn, "PRODUCTTYPE")
		opt("Product Suite", wn, "PRODUCTSUITE")
		if l := wi.Languages; l != nil {
			var b strings.Builder
			for _, s := range l.Languages {
				b.WriteString(s)
				b.WriteByte(' ')
			}
			line("Languages", b.String())
			opt("Default Language", wn, "LANGUAGES", "DEFAULT")
		}
		opt("System Root", wn, "SYSTEMROOT")
		if v := wi.Version; v != nil {
			line("Major Version", strconv.FormatUint(v.Major, 10))
			line("Minor Version", strconv.FormatUint(v.Minor, 10))
			line("Build", strconv.FormatUint(v.Build, 10))
			line("Service Pack Build", strconv.FormatUint(v.SPBuild, 10))
			line("Service Pack Level", strconv.FormatUint(v.SPLevel, 10))
		}
	}
	opt("Flags", n, "FLAGS")
	yes := "no"
	if in.WIMBoot {
		yes = "yes"
	}
	line("WIMBoot compatible", yes)
	fmt.Fprintln(w)
}

// WriteHeaderInfo writes what "wimlib-imagex info --header" prints: every
// header field, with the flags by name.
func (rd *Reader) WriteHeaderInfo(w io.Writer) error {
	h := &rd.hdr
	bw := bufio.NewWriter(w)
	f := func(label, format string, args ...any) {
		fmt.Fprintf(bw, "%-28s= "+format+"\n", append([]any{label}, args...)...)
	}
	var magic strings.Builder
	for _, c := range h.Magic {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			magic.WriteByte(c)
		} else {
			fmt.Fprintf(&magic, "\\%o", c)
		}
	}
	f("Magic Characters", "%s", magic.String())
	f("Header Size", "%d", HeaderSize)
	f("Version", "%#x", uint32(h.Version))
	f("Flags", "%#x", uint32(h.Flags))
	for _, n := range headerFlagNames {
		if h.Flags&n.f != 0 {
			fmt.Fprintf(bw, "    WIM_HDR_FLAG_%s is set\n", n.name)
		}
	}
	f("Chunk Size", "%d", h.ChunkSize)
	f("GUID", "%s", h.GUID)
	f("Part Number", "%d", h.PartNumber)
	f("Total Parts", "%d", h.TotalParts)
	f("Image Count", "%d", rd.imageN)
	for _, r := range []struct {
		name string
		orig string // wimlib's spelling of "Original Size" varies by field
		rh   ResourceHeader
	}{
		{"Blob Table", "Original_size", h.BlobTable},
		{"XML Data", "Original Size", h.XMLData},
		{"Boot Metadata", "Original Size", h.BootMetadata},
	} {
		f(r.name+" Size", "%d", r.rh.Size)
		f(r.name+" Flags", "%#x", uint8(r.rh.Flags))
		f(r.name+" Offset", "%d", r.rh.Offset)
		f(r.name+" "+r.orig, "%d", r.rh.UncompressedSize)
	}
	f("Boot Index", "%d", rd.BootIndex())
	f("Integrity Size", "%d", h.Integrity.Size)
	f("Integrity Flags", "%#x", uint8(h.Integrity.Flags))
	f("Integrity Offset", "%d", h.Integrity.Offset)
	f("Integrity Original_size", "%d", h.Integrity.UncompressedSize)
	return bw.Flush()
}

// WriteDISMInfo writes the image list "dism /Get-WimInfo /WimFile:PATH"
// prints (without DISM's banner and closing line): Index, Name, Description
// and Size (the image's TOTALBYTES, with thousands separators) per image.
// A missing name or description prints "<undefined>", as DISM does.
func (rd *Reader) WriteDISMInfo(w io.Writer, path string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Details for image : %s\n\n", path)
	for i := 1; i <= rd.imageN; i++ {
		n := rd.imageXML[i-1]
		undef := func(name string) string {
			if s, ok := textAt(n, name); ok {
				return s
			}
			return "<undefined>"
		}
		fmt.Fprintf(bw, "Index : %d\nName : %s\nDescription : %s\nSize : %s bytes\n\n",
			i, undef("NAME"), undef("DESCRIPTION"), groupThousands(numberAt(n, "TOTALBYTES")))
	}
	return bw.Flush()
}

// groupThousands formats v with commas: 15486658207 -> "15,486,658,207".
func groupThousands(v uint64) string {
	s := strconv.FormatUint(v, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
