// Package bcd reads, creates and edits Windows Boot Configuration Data
// stores (the \Boot\BCD and \EFI\Microsoft\Boot\BCD files bootmgr reads)
// on any operating system, the way bcdedit.exe does, on top of package
// hive.
//
// The layers, bottom up:
//
//   - A [Store] over a registry hive: [Open], [Parse] and [FromHive] read
//     any store (bcdedit's, the Windows system store, WinPE media stores);
//     [New] creates one with exactly the layout of "bcdedit /createstore"
//     (regf 1.3 with lf subkey lists only, root NewStoreRoot,
//     Description\KeyName = BCD00000001, Objects, bcdedit's two security
//     descriptors, see [StoreSecurity]); [Store.Save] writes atomically.
//   - Objects ([Object]): enumerate, look up by GUID or alias
//     ([ParseID], [Store.Lookup]: {bootmgr}, {fwbootmgr}, {ramdiskoptions},
//     {memdiag}, {ntldr}, {globalsettings}, {bootloadersettings},
//     {resumeloadersettings}, {dbgsettings}, {emssettings}, {badmemory},
//     {hypervisorsettings}; {default} through {bootmgr}'s default
//     element), create with a given or random GUID ([Store.Create],
//     [ApplicationType], [InheritType], [TypeDevice]), copy, delete with
//     optional cleanup of references ([Store.Delete]).
//   - Elements typed by their format ([ElementType], [Value]: [String],
//     [GUID], [ObjectList], [Integer], [Boolean], [IntegerList], [*Device],
//     and [Raw] for data kept as stored), with the table names of every
//     element ([ElementType.Name], generated from the element constant
//     table) and bcdedit's names ([FriendlyName], [ParseElementName]),
//     whose meaning depends on the object's class: 0x23000003 is default
//     in {bootmgr} and resumeobject in an osloader.
//   - Device elements ([Device], [DecodeDevice], [ParseDevice],
//     [Device.Text]): boot, partition (MBR signature and offset, GPT disk
//     and partition GUIDs), ramdisk, vhd, file and locate, in binary and in
//     bcdedit's syntax; drive letters through a caller-supplied [Drives]
//     ([DriveMap]), or the explicit identity syntax mbr:SIG:OFFSET /
//     gpt:{DISK}:{PART} ([ParsePartition]).
//   - [Store.Enum], which renders "bcdedit /enum [all|ID] [/v]".
//   - A bcdedit command interpreter, [Interpreter], for tools that embed
//     bcdedit: /createstore, /create, /set, /deletevalue, /delete,
//     /displayorder, /default, /timeout, /toolsdisplayorder, /bootsequence,
//     /enum, /copy, /export, /import, plus /winpe and /vhdboot for the
//     recipes. examples/bcdedit is a thin command around it.
//   - Recipes: [NewWinPEStore] / [Store.AddWinPE] (a WinPE ramdisk entry
//     for PXE, CD or disk boot, BIOS or UEFI) and [Store.AddVHDBoot] (native
//     VHD boot). Each writes what the equivalent bcdedit command sequence
//     writes, byte for byte (tested).
//
// Encodings follow what bcdedit writes (winbootkit's format notes, hive_bcd.md §2): strings
// and object references REG_SZ, object lists REG_MULTI_SZ (an empty list
// is a single NUL character), integers 8-byte REG_BINARY (shorter data, as
// offreg.dll writes, is read zero-extended), booleans 1-byte REG_BINARY,
// devices REG_BINARY descriptors; element keys are 8 lower-case hex digits
// and object keys lower-case braced GUIDs.
//
// Where bcdedit's behaviour could not be checked offline the package
// chooses and documents: [Store.Enum] section titles other than "Windows Boot
// Manager" and "Windows Boot Loader" follow third-party descriptions; the
// binary form of "locate" and "[locate]" (a locate descriptor with no
// parent and an empty string) and of "file=" (a block I/O file descriptor,
// the form found inside bcdedit's vhd= devices) are not confirmed by a
// bcdedit-made sample.
//
// # Round-tripping
//
// A store opened and saved without edits is byte-identical. Edits change
// only the keys and values they touch (the hive keeps every other cell),
// so every element not edited keeps its bytes, including elements this
// package cannot decode, which are listed as [Raw] with [Element].Err
// set. A decoded [Device] remembers its descriptor: encoding it without
// changes gives the same bytes (tested on every device of the fixtures),
// and after a change only the changed part is rebuilt, keeping flags,
// reserved words and bytes after a path's terminating NUL. Descriptors of
// unmodelled types (serial, UDP, VMBus, ...) are kept as [DeviceUnknown]
// with their raw bytes.
//
// # Security
//
// Every store is treated as hostile. The hive layer bounds its reads by
// the bytes present and its own [hive.Limits]; this package adds
// [Limits]: the number of objects and of elements per object, the size of
// an element value decoded, and the nesting depth of device descriptors.
// Device blobs are decoded with every size field checked against the bytes
// that hold it; a blob that is too short is an error wrapping [ErrFormat]
// (a [*FormatError] with the offset), never a panic or an out-of-range
// read, and a Parent chain with a cycle is an [ErrLimit] error on encode.
// Command lines are bounded by [Limits].MaxArgs. Bad arguments come back
// as [*ArgError] values that name the argument and wrap a sentinel
// ([ErrInvalidID], [ErrUnknownElement], [ErrValueType], [ErrDeviceSyntax],
// [ErrUsage], [ErrNotFound], [ErrExists]). [Interpreter.Run] saves the
// store only when the whole command succeeded, through the hive's atomic
// save; [Interpreter.RunStore] may leave part of a failed command's
// changes in the in-memory store.
//
// # Limits
//
// [DefaultLimits]: 65,536 objects, 4,096 elements per object, 1 MiB per
// element value, device descriptors nested 16 deep, 4,096 command-line
// arguments. Exceeding one fails with [ErrLimit]. The hive's limits
// (file size, key depth, name lengths) come from [Options].Hive.
//
// Sources: Microsoft Learn (BcdElementType, BcdObject.Type,
// BcdDeviceObjectElementTypes, SetVhdDeviceElement), winsiderss/phnt
// ntbcd.h (element constants), ReactOS boot/environ (object types, device
// descriptors), Geoff Chappell's BCD notes (bcdedit names), and the
// bcdedit-made stores of grub4dos/ntloader and a1ive/ntloader.
package bcd
