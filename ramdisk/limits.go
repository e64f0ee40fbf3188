package ramdisk

// Limits bounds what the readers accept from untrusted input. The zero value
// of a field means its default; see DefaultLimits.
type Limits struct {
	// MaxPageAlignment is the largest SDI PageAlignment accepted, in 4 KiB
	// pages. Default 4096 (16 MiB); Windows' boot.sdi uses 2.
	MaxPageAlignment uint64
	// MaxFATSize is the largest single FAT read into memory, in bytes.
	// Default 64 MiB (16 million FAT32 clusters, a 64 GiB volume with 4 KiB
	// clusters).
	MaxFATSize int64
	// MaxDepth is the deepest directory nesting walked in a FAT or ISO 9660
	// tree. Default 64.
	MaxDepth int
	// MaxEntries is the most directory entries walked in one volume (all
	// directories together). Default 1,048,576.
	MaxEntries int
	// MaxDirSize is the largest single directory read, in bytes. Default
	// 16 MiB (FAT allows 65,536 entries of 32 bytes, 2 MiB).
	MaxDirSize int64
	// MaxOptionsLen is the longest boot option string parsed, in bytes.
	// Default 65,536 (NTLDR itself stops far below that).
	MaxOptionsLen int
}

// DefaultLimits are the limits used when a field of Limits is zero.
var DefaultLimits = Limits{
	MaxPageAlignment: 4096,
	MaxFATSize:       64 << 20,
	MaxDepth:         64,
	MaxEntries:       1 << 20,
	MaxDirSize:       16 << 20,
	MaxOptionsLen:    64 << 10,
}

// withDefaults returns l with zero fields replaced by their defaults. It
// copies; the caller's struct is never written.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxPageAlignment > 0 {
		d.MaxPageAlignment = l.MaxPageAlignment
	}
	if l.MaxFATSize > 0 {
		d.MaxFATSize = l.MaxFATSize
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxDirSize > 0 {
		d.MaxDirSize = l.MaxDirSize
	}
	if l.MaxOptionsLen > 0 {
		d.MaxOptionsLen = l.MaxOptionsLen
	}
	return d
}
