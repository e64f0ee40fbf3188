// Package inf reads, edits and writes Windows INF-family text files (driver
// INFs, INX templates, hive INFs such as hivesys.inf, txtsetup.sif and
// txtsetup.oem) without losing a byte, and interprets them the way
// Windows does.
//
// The layers, bottom up:
//
//   - A lossless [Document]: [Parse] or [Open] keep every physical line's
//     bytes, its line ending, the encoding ([UTF16LE]/[UTF16BE] with a BOM,
//     [UTF8] with or without one, or an [ANSI] code page such as
//     Windows-1251 or Shift-JIS given in [ReadOptions]), a trailing Ctrl-Z
//     and whatever follows it, and a missing final newline.
//   - SetupAPI's lexical rules ([SetupAPI] dialect; [TextSetup] for
//     txtsetup.oem): sections merged by case-insensitive name, keys,
//     comma-separated fields, quotes, comments, backslash continuation,
//     %strkey% substitution from the localized Strings section Windows
//     would choose ([Document.SetLanguage]).
//   - Edits on lines and sections ([Line.SetFields],
//     [Line.SetFieldsVerbatim], [Section.Append], [Line.InsertAfter],
//     [Line.Remove], [Document.AddSection], [Section.Rename],
//     [Section.Remove], [Document.Revert]), which re-render only the lines
//     they touch, in the file's own encoding, line-ending style and quoting.
//     Duplicate keys are kept, as txtsetup.sif needs. k edits on an n-line
//     document cost O(k + n): the tables that reads use are rebuilt once,
//     by the first read that needs them.
//   - Driver semantics: [Document.Version] and [DriverVer],
//     [Document.Manufacturers] with TargetOSVersion selection
//     ([Manufacturer.Select]), models, DDInstall variants
//     ([Document.Install]), services, the file list
//     ([Document.CopyFileList]) and [Document.Driver], which puts it all
//     together for one [OS]; [Document.Stamp] turns an INX into an INF as
//     stampinf does.
//   - Registry: AddReg/DelReg lines decoded into typed operations
//     ([ParseRegLine], [RegOp]) and applied to any [RegistryTarget] (a
//     registry hive, for example) by [ApplyOps], [Document.ApplyRegistry]
//     and [ApplyHiveINF], with DelReg before AddReg as ReactOS' mkhive does
//     and a configurable root mapping ([ApplyOptions]).
//   - txtsetup.oem as typed data ([ParseOEM], [OEM]) with a linter
//     ([OEM.Lint]), and a driver version consistency audit across packages
//     ([Audit]).
//
// # Round-tripping
//
// Parse followed by [Document.Bytes] or [Document.WriteTo] without edits
// returns the input exactly, whatever it holds. Lines an edit does not touch
// keep their bytes; touched lines are re-encoded from text (bytes that did
// not decode, such as invalid UTF-8 in a code-page file, survive only on
// untouched lines). A continued entry that is edited becomes one physical
// line. New lines take the file's dominant line ending; a file without
// final newline keeps none. Removing the lines an edit added, or calling
// [Document.Revert], gives the original bytes back. [Document.WriteFile]
// saves atomically.
//
// After any sequence of edits, parsing [Document.Bytes] again with the
// document's encoding, dialect and language gives the same lines (kinds,
// keys, fields, substituted values, text, line numbers) and sections. An
// edit that could not keep that fails with [ErrInvalidText] and changes
// nothing; in particular a line cannot be put after a last line ending in
// a continuation backslash ([ErrDanglingContinuation]) until
// [Document.EndLastLine] ends it. Edits may grow a document past
// [Limits].MaxFileSize and MaxLines, which bound reading only.
//
// # Security
//
// Every input is treated as hostile. Parsing allocates in proportion to
// the input (one copy of it, plus line and field tables), never from counts
// the input claims; it never panics, and it returns errors wrapping the
// sentinels of errors.go, structural ones as [*FormatError] with the byte
// offset and line number.
//
// The readers on top of a Document allocate in proportion to the input
// too, not to what a hostile file could make them return. %strkey%
// substitution is single-pass and its results are cut at
// [Limits].MaxFieldLen characters; a field that is one token, or names no
// known token, shares the document's text, and a result that has to be
// built is built once per document (every later read shares it) and
// charged to [Limits].MaxSubstitution, so that tokens expanding to 4,096
// characters on every line cannot turn a small file into a large one
// ([Document.SubstitutionErr]). Lookups repeated per line (source disks,
// destination directories, service-install sections, models sections
// chosen by several manufacturers, files already resolved) go through
// per-call indexes instead of rescanning sections, results are sized
// before they are built, and warnings stop at [Limits].MaxWarnings. With
// the default limits, parsing an input of at most 1 MiB allocates at
// most 64 MiB, and so does each reader call on the document (Version,
// Manufacturers, Models, Install, Services, CopyFileList, Driver, RegOps,
// ApplyOps, ApplyRegistry, ApplyHiveINF, NewOEM and Lint, Audit, Fields on
// every line, Substitute, Summary, Dump, Stamp); TestHostileReaders
// measures it on adversarial inputs. Registry application only calls the
// target with paths derived from the INF under the caller's root mapping;
// lines whose root is not mapped are reported, not applied, and a section
// is not applied at all when one of its lines does not decode.
//
// # Limits
//
// [Limits] bounds the file size (64 MiB), the physical line length (1 MiB)
// and count (200,000 lines), continuation (10,000 lines, 1 MiB per entry),
// the number of distinct sections (100,000), section names (255
// characters, SetupAPI's limit) and fields (4,096 characters, SetupAPI's
// documented limit, before and after substitution); and, for the readers,
// the text substitution builds per document between edits (8 MiB), the
// devices [Document.Driver] returns (100,000) and the warnings of one call
// (1,000, then one "too-many-warnings"). Exceeding one fails with
// [ErrLimit], except the last, which only shortens the list.
//
// The rules follow Microsoft's INF documentation ([General Syntax Rules for
// INF Files], [INF Strings Section], [INF Manufacturer Section], [INF AddReg
// Directive], [TxtSetup.oem File Format]); where it is silent they follow
// SetupAPI's observed behaviour (Wine's conformance tests, which also run
// on Windows) and ReactOS' mkhive for hive INFs.
//
// [General Syntax Rules for INF Files]: https://learn.microsoft.com/windows-hardware/drivers/install/general-syntax-rules-for-inf-files
// [INF Strings Section]: https://learn.microsoft.com/windows-hardware/drivers/install/inf-strings-section
// [INF Manufacturer Section]: https://learn.microsoft.com/windows-hardware/drivers/install/inf-manufacturer-section
// [INF AddReg Directive]: https://learn.microsoft.com/windows-hardware/drivers/install/inf-addreg-directive
// [TxtSetup.oem File Format]: https://learn.microsoft.com/previous-versions/windows/hardware/drivers/ff553509(v=vs.85)
package inf
