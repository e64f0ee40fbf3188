// Package ramdisk builds and edits what Windows and WinPE boot from RAM:
// SDI files (boot.sdi), the RAM-disk loader options of boot.ini and
// winnt.sif, raw disk images for memdisk, and El Torito ISO images, plus
// the boot menu text that loads them.
//
// # SDI files
//
// [ParseSDI] and [NewSDIReader] read an SDI ("$SDI0001"): the 512-byte
// header with its byte-sum checksum, and the table of 64-byte blob records
// (BOOT, LOAD, PART, DISK, WIM) at 0x400. Blobs are read through an
// io.ReaderAt only when needed. [NewSDI] and [SDI.AddBlob] create one with a
// chosen page alignment; [NewBootSDI] gives Windows' boot.sdi layout (a PART
// blob at the first alignment boundary, an empty WIM record at the end of
// the file). [IsSDI] and [ReadSDIHeader] are cheap probes.
//
// # RAM-disk boot options
//
// [ParseBootOptions] turns an OsLoadOptions string ("/minint /fastdetect
// /rdexportascd /rdpath=\NETPE\NETPE.ISO") into [BootOptions]: ordered
// tokens with typed access to /RDPATH=, /RDIMAGEOFFSET=, /RDIMAGELENGTH=,
// /RDEXPORTASCD, /RDEXPORTASHD, /MININT, /FASTDETECT and /NOGUIBOOT. This is
// the one model the sif package uses too. [ImageOffsetFromDisk] and
// [SDI.PartitionImageOffset] compute RDIMAGEOFFSET; [RAMDiskBCDElements]
// maps the options to the BCD {ramdiskoptions} elements, as data.
//
// # Disk images
//
// [BuildDisk] makes a raw disk image with an MBR and one active FAT32
// partition (FAT16 below about 33 MiB) holding the given files, for
// memdisk or any BIOS loader: real CHS values in the partition entry, a
// partition that ends on a cylinder boundary (memdisk infers the geometry
// from it), BPB hidden sectors and geometry matching the partition, and
// optional MBR and VBR boot code (for example syslinux's mbr.bin). [OpenDisk]
// opens an existing image (partitioned or not); [DiskImage.ReplaceFile],
// [DiskImage.AddFile], [DiskImage.Remove] edit it and [DiskImage.Save]
// writes it. A DiskImage is an io/fs.FS.
//
// The FAT work is done by go-diskfs v1.9.4, with these fixes on top, each
// explained where it is made:
//   - reads, and the validation of every image before go-diskfs sees it, are
//     our own: go-diskfs allocates sizes named by the image and follows
//     cyclic cluster chains forever;
//   - the ".." entries of first-level directories point at cluster 0;
//   - zero-length files get no cluster; removed files' clusters are freed;
//   - FAT16 volumes do not keep cluster 2 reserved for a root directory
//     they do not have;
//   - 8.3 names that lose characters get a numeric tail (a+b.txt is
//     A_B~1.TXT, as Windows does it) and never clash;
//   - the MBR boot code, disk signature and CHS fields, the BPB hidden
//     sectors, geometry, volume ID and VBR boot code, and the FAT32 FSInfo
//     free count are written by this package;
//   - file contents are not written through go-diskfs (which writes one
//     cluster per call) but streamed once into the output.
//
// An edit that fails part-way is rolled back in memory, so the image stays
// as it was before the call. Names must be ASCII and must not start with a
// dot: go-diskfs v1.9.4 writes wrong long-name entries for other
// characters, and an empty 8.3 name for a leading dot.
//
// # ISO images
//
// [OpenISO] reads an ISO 9660 image (Rock Ridge, Joliet or plain names,
// multi-extent files) and its El Torito catalog. Files can be replaced,
// added and removed, and [ISOImage.Save] rebuilds the image with go-diskfs,
// keeping the boot entries (BIOS no-emulation image with its load size,
// UEFI image, also when hidden from the tree), taken from the source or set
// by the caller in [ISOImage.Boot]. After go-diskfs writes the image, its
// Joliet subdirectory records are repointed, the file is padded to the
// volume size, and the boot record is moved to sector 17; directories deeper
// than 8 levels are written in place, not relocated. UDF is not read or
// written.
//
// # Boot menus
//
// [PXELinuxMenu], [IPXEScript] and [Grub4DOSMenu] render menu text that
// loads an image with memdisk or grub4dos map --mem. No loader binaries are
// included.
//
// # Progress
//
// Long writes take [WriteOptions] with a [ProgressFunc], called with
// monotonically increasing byte counts that end at the total.
//
// # Security
//
// Every reader treats its input as hostile. SDI tables, MBRs, BPBs, FAT
// chains and directories, ISO directory records, Rock Ridge entries and El
// Torito catalogs are bounds-checked before use; allocations are bounded by
// the bytes present and by [Limits]; cluster chains and directory trees are
// checked for cycles and cross-links; ISO names that could escape a
// directory ("..", "/") are refused. Errors wrap the sentinels in errors.go
// ([ErrFormat], [ErrLimit], ...) and structural ones are *[FormatError]
// with the offset. Fuzz targets cover the SDI, MBR, BPB, disk image, ISO
// and boot option readers.
//
// Saves go through internal/atomicfile: a temporary file in the target's
// directory, renamed over the target only when complete.
//
// # Round-tripping
//
// An SDI, a disk image or a boot option string that is read and not edited
// is written back byte for byte. Edits change only what they touch: an
// SDI edit lays the blobs out again (keeping reserved header and record
// bytes), a disk image edit changes the directories, FAT entries and
// clusters involved, a boot option edit changes one token. ISO images are
// always rebuilt.
//
// # Limits
//
// [DefaultLimits]: SDI page alignment up to 4096 pages, one FAT up to 64
// MiB, directory trees 64 deep with 1,048,576 entries, one directory up to
// 16 MiB, boot option strings up to 64 KiB. Disk images are 512-byte-sector
// MBR disks up to 2 TiB with files up to 4 GiB - 1; only the first
// partition is used. ISO files are up to 4 GiB - 1 (one extent) when
// written.
//
// [SDI format]: https://skolk.livejournal.com/1320.html
// [El Torito]: https://pdos.csail.mit.edu/6.828/2014/readings/boot-cdrom.pdf
// [memdisk]: https://wiki.syslinux.org/wiki/index.php?title=MEMDISK
// [go-diskfs]: https://github.com/diskfs/go-diskfs
package ramdisk
