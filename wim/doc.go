// Package wim reads and edits the descriptive parts of Windows Imaging
// (WIM) files — boot.wim, install.wim, ESD and split .swm parts — the way
// wimlib-imagex info does: the 208-byte header, the blob table, the XML
// image information, the boot index and the integrity table. It does not
// read file contents (image metadata resources, XPRESS/LZX/LZMS data).
//
// Reading:
//
//	f, err := wim.Open("boot.wim", nil)
//	...
//	for _, im := range f.Images() {
//		info := im.Info() // Name, Description, Windows.Version.Build, ...
//	}
//	f.WriteInfo(os.Stdout, "boot.wim", 0) // as wimlib-imagex info prints it
//
// NewReader works on any io.ReaderAt. It reads the header (for wimlib's
// pipable format, the copy at the end of the file), the XML and the blob
// table, and for solid resources their 16-byte headers — nothing else, so a
// multi-gigabyte WIM costs the memory of those few structures. The blob
// table entries, the metadata entry of each image and the solid resources
// locate every resource (Reader.RawResource), which is what reading file
// contents will build on.
//
// Editing in place:
//
//	f, err := wim.OpenForEdit("boot.wim", nil)
//	...
//	f.SetBootIndex(2)
//	f.SetName(2, "WinPE x64")
//	f.SetImageProperty(2, "WINDOWS/VERSION/BUILD", "19041")
//	err = f.Commit()
//
// Commit follows wimlib's in-place write (WRITE_IN_PROGRESS set, new XML
// after the blob table, integrity table rewritten when present, header
// written last with the flag cleared), stages a copy first so that a failure
// at any step leaves a file wimlib still opens, and then truncates the stale
// tail wimlib would leave behind. The blob table and everything before it
// are never rewritten. Reader.SaveAs writes the edited WIM to a new file
// instead, through a temporary file that is renamed into place. Split and
// pipable WIMs are refused for edits, as wimlib-imagex refuses them; edits of
// a WIM with the READONLY flag are refused until SetReadOnly(false) clears it.
//
// Integrity: VerifyIntegrity checks the SHA-1 of each chunk of the bytes
// [208, end of blob table) and names the first chunk that differs in an
// *IntegrityError. AddIntegrity and RemoveIntegrity change the table on the
// next save (10 MiB chunks, as wimlib writes them).
//
// # Round-tripping
//
// The XML is parsed by a small processor that keeps the bytes of every
// node, so an unedited document is written back byte for byte (byte order
// mark, declaration, comments, whitespace, elements this package does not
// model and their order, lone surrogates). Edits re-encode only the
// elements they touch; a new element goes at the end of its parent, as
// wimlib adds it. Header fields not edited, the 60 unused header bytes
// included, keep their values, except what wimlib also recomputes on every
// write: the XML and integrity resource headers, the boot-metadata resource
// header (a copy of the boot image's metadata resource header), and the
// WRITE_IN_PROGRESS, RESOURCE_ONLY and METADATA_ONLY flags, which are
// cleared.
//
// # Security
//
// Every input is treated as hostile. Resources must lie inside the file;
// every buffer is sized from resource headers only after they are checked
// against the file size and against Limits (beyond 16 MiB the buffer grows
// only as reads succeed); the XML
// processor bounds its node count and nesting depth, expands no entities
// other than the predefined ones and character references, and fetches
// nothing. Errors are typed: *FormatError (with the offset) wrapping
// ErrFormat, ErrLimit or ErrUnsupported. Nothing panics on malformed input;
// the fuzz targets check this.
//
// # Limits
//
// Limits (DefaultLimits when zero) caps the XML size (16 MiB), XML nodes
// (1,048,576) and depth (256, libxml2's), the image count (65,535), the blob
// table (256 MiB) and the integrity table (64 MiB).
//
// # Compatibility
//
// Values are read as wimlib 1.13 reads them, so that rendering matches
// wimlib-imagex: numbers with C strtoull semantics (an invalid number reads
// as 0), timestamps as the OR of their HIGHPART and LOWPART children,
// metadata resources mapped to images in blob table order, a boot index above
// the image count read as 0. The header is validated more strictly than
// wimlib does: exactly one compression flag must accompany COMPRESSION, and
// LZMS requires version 0xE00.
//
// References: wimlib's include/wimlib/header.h, src/blob_table.c,
// src/integrity.c, src/xml.c and src/write.c ([wimlib]); the WIM format
// notes in the project's shared specs.
//
// [wimlib]: https://wimlib.net/
package wim
