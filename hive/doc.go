// Package hive reads, edits, creates and checks Windows registry hive files
// (the "regf" format of SYSTEM, SOFTWARE, NTUSER.DAT, BCD stores and
// setupreg.hiv), replays their transaction logs, and converts them to and
// from regedit's .reg text.
//
// A [Hive] holds the whole file in memory. [Open], [Parse] and [OpenReader]
// read format versions 1.2 to 1.6; [New] creates an empty 1.3 hive (lf
// lists, as bcdedit writes BCD stores) or 1.5 hive (lh lists and big data,
// as Windows XP SP2 and later write) with a root key of any name. Keys are
// reached from [Hive.Root] or by backslash-separated paths matched
// case-insensitively the way Windows compares names ([Hive.OpenKey],
// [Key.Subkey]); [Key.Subkeys] and [Key.Values] enumerate in stored order.
// A [Value] gives its type and raw bytes for every type, including unknown
// ones, and typed views: [Value.StringData], [Value.Strings],
// [Value.Uint32], [Value.Uint64].
//
// # Editing
//
// [Key.CreateKey], [Key.Delete] and [Key.DeleteSubkey] (recursive),
// [Key.SetValue] and its typed forms, [Key.DeleteValue], [Key.Rename],
// [Key.SetClass] and [Key.SetSecurity] change the hive in memory; the path
// methods [Hive.CreateKey], [Hive.SetRawValue], [Hive.RawValue],
// [Hive.DeleteValue] and [Hive.DeleteKey] serve callers that think in
// paths (the inf and sif packages' registry targets). [Hive.Save] writes
// the file atomically (temporary file, sync, rename); [Hive.WriteTo] and
// [Hive.Bytes] give the same bytes.
//
// The writer follows the rules Windows' own hive code follows: subkey
// lists sorted by upper-cased name, lf leaves in 1.3/1.4 hives and lh
// leaves from 1.5 (with the lh hash and lf name hints), leaves split under
// an ri index root past about 500 entries; values over 16,344 bytes split
// into big-data (db) segments from version 1.4; the largest-name, -class,
// -value-name and -value-data fields of key nodes kept at least as large as
// the real ones; security descriptors shared between keys through sk cells
// with correct reference counts and list links; cells 8-byte aligned,
// allocated from free space (best fit, split, merged with free neighbours
// when freed, freed data zeroed) before the hive grows; the free cell that
// ends the file is kept for last, and the hive grows by lengthening the last
// bin when it ends in free space (so a value rewritten ever longer grows in
// place) or else by appending a bin; the
// base block's sequence numbers made equal, its time stamp and checksum
// (with the 0 and 0xFFFFFFFF fix-ups) recomputed on every write.
//
// # Round-tripping
//
// A hive opened and written without edits is byte-identical to the input,
// including free cells, slack space, unknown records and any padding after
// the last hive bin. Edits rewrite only the cells they touch, so every
// untouched key, value and list keeps its bytes and its offset; the base
// block gets new sequence numbers, time stamp and checksum, and padding
// after the bins is dropped if the hive has to grow. A dirty hive written
// after edits comes out clean (replay its logs first to keep what they
// hold).
//
// # Checking and recovery
//
// [Hive.Check] verifies what no external tool checks: that cells tile the
// bins, every allocated cell is reachable exactly once, lists are sorted
// with right hashes and hints, sk lists and reference counts agree, the
// largest-length fields are large enough, and counts match their lists. It
// reports each problem with its file offset.
//
// [Hive.Dirty] tells whether a hive was left inconsistent (sequence numbers
// differ or the checksum is wrong); [Hive.Replay] applies its transaction
// logs, new format (HvLE entries, Marvin32-hashed) or old format (DIRT
// bitmap), into a clean hive, or fails without changing anything.
//
// # .reg files
//
// [Key.ExportReg] writes regedit's "Windows Registry Editor Version 5.00"
// format (UTF-16LE like regedit, or UTF-8); [Key.ImportReg] reads that,
// REGEDIT4 files and hivexregedit --export output, including key and value
// deletions, all or nothing. [Diff] compares two key trees semantically.
//
// # Security
//
// Every input is treated as hostile. The reader checks each offset read
// from the file against a map of cell starts before using it, keeps every
// count inside its cell, refuses cycles (a key must be listed under its
// parent, the root under nobody; a list naming a key twice, or a big-data
// record naming a segment twice, is an error), never follows an ri inside
// an ri, bounds value data by the bytes in the file, and bounds every
// allocation by the bytes actually present: a 1 MiB input cannot make it
// allocate 64 MiB. Failures come back as errors wrapping the sentinels in
// errors.go ([ErrFormat], [ErrLimit], ...), structural ones as
// *[FormatError] carrying the file offset; nothing panics. A hive whose
// bins are damaged still opens: the usable part is read, the rest reported
// by [Hive.Warnings] and [Hive.Check]. Log replay checks the Marvin32
// hashes and sizes of every entry it applies and works on a copy.
//
// Note that cells shared between keys (which only damaged or hostile files
// have) are read once per reference.
//
// # Limits
//
// [Limits] (in [Options]) bounds file size (2 GiB), key nesting (512, the
// Windows limit), key names (255 characters), value names (16,383
// characters), value data (1 GiB) and the number of problems Check lists;
// zero fields take [DefaultLimits]. Exceeding one is an error wrapping
// [ErrLimit].
//
// The format is described in Maxim Suhanov's [regf specification] and
// Joachim Metz's [libregf documentation].
//
// [regf specification]: https://github.com/msuhanov/regf/blob/master/Windows%20registry%20file%20format%20specification.md
// [libregf documentation]: https://github.com/libyal/libregf/blob/main/documentation/Windows%20NT%20Registry%20File%20(REGF)%20format.asciidoc
package hive
