// Package peimage patches names inside Windows boot binaries, recomputes PE
// checksums, and handles Authenticode certificate tables, for PXE servers
// that boot several WinPE images, each with its own copy of the boot files.
//
// Open or Parse reads any file into an [Image]. A PE32/PE32+ file (MZ header
// whose e_lfanew leads to "PE\0\0") gets its headers parsed through
// github.com/saferwall/pe (headers and section table only; no certificate or
// signature validation) and exposes format, machine, subsystem, sections,
// the CheckSum field offset, data directory 4 (the certificate table, a file
// offset) and the overlay in [Headers]. Any other file is a raw image:
// startrom.n12, pxeboot.n12, setupldr.bin and ntldr are 16-bit programs
// without a PE checksum; [Image.Find] and [Image.Replace] work on them and
// the checksum methods return [ErrNotPE]. The BIOS \bootmgr (16-bit loader,
// PE stub, compressed bootmgr.exe) is recognised as [KindBIOSBootmgr], and
// its errors ([ErrBIOSBootmgr]) explain that the strings to patch are inside
// the compressed part.
//
// [Image.Find] reports every occurrence of a string as ASCII and/or UTF-16LE,
// optionally ignoring ASCII letter case, with its offset, section, RVA, and
// whether it lies in the headers, the certificate table or the overlay.
// [Image.Replace] applies several [Edit]s as one transaction: a replacement
// may be as long as the original or shorter (NUL-padded), never longer
// ([LengthError] says how many bytes are available); Count and Offsets pin
// down which occurrences change; the [Report] reads like a hex editor's
// change log. After a patch of a PE the checksum is recomputed.
//
// [NewChecksum] computes the PE checksum (CheckSumMappedFile) as a streaming
// hash.Hash32, correct when the CheckSum field is not 4-byte aligned and for
// odd file lengths, the two cases where pefile, saferwall/pe and osslsigncode
// disagree. [Image.VerifyChecksum] and [Image.FixChecksum] check and repair
// the stored value.
//
// A signed file is refused by default ([SignedError]): any patch outside the
// CheckSum field, data directory 4 and the certificate table breaks the
// Authenticode digest, so Secure Boot and code-integrity checks reject the
// result. [SignatureStrip] removes the table first; [SignatureKeep] patches
// and reports the signature invalid. [Image.StripSignature] removes it on its
// own and gives back the unsigned file when the signature was appended to it.
// [Image.Certificates] lists every WIN_CERTIFICATE entry.
//
// The recipes [PE2PXEBoot], [PE2Bootmgr], [PE1Startrom] and [PE1Setupldr]
// are the community hex-editor recipes for multi-image PXE as functions.
//
// # Security
//
// Every input is treated as hostile. The header layout is checked by this
// package before the dependency parses it, so failures are [*FormatError]s
// with the offending offset; allocations are bounded by the file size and the
// [Limits] (file size, section count, certificate entries, matches); a panic
// inside github.com/saferwall/pe on a malformed header is converted into a
// [*FormatError] wrapping [ErrParserPanic] (the only recover in the package,
// around that call alone). Nothing is logged or printed. Certificates are
// listed, never validated: this package does not verify signatures.
//
// # Round-tripping
//
// An Image holds the file's bytes; writing an unedited Image returns them
// unchanged, including the overlay, the certificate table and anything not
// modelled. Edits change only the bytes of the replaced strings and the
// CheckSum field (and, when stripping, the certificate table, its padding and
// data directory 4). [Image.Save] writes through a temporary file and a
// rename, so a failed save leaves the original untouched.
//
// # Limits
//
// [DefaultLimits]: files up to 1 GiB (at most 4 GiB - 1, the largest PE),
// 96 sections (the Windows loader's limit), 64 certificate entries, 65536
// matches per string and encoding. The BIOS bootmgr is recognised from its
// published layout (the PE stub is looked for in the first MiB) but not
// decompressed: patch bootmgr.exe instead.
//
// Specifications: [PE format], [Authenticode].
//
// [PE format]: https://learn.microsoft.com/en-us/windows/win32/debug/pe-format
// [Authenticode]: https://download.microsoft.com/download/9/c/5/9c5b2167-8017-4bae-9fde-d599bac8184a/Authenticode_PE.docx
package peimage
