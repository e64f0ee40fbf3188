package hive

// Limits bound what the package accepts from files and from callers. A zero
// field means its default (see DefaultLimits). Limits defend against hostile
// input: every allocation the reader makes is also bounded by the bytes
// actually present in the file.
type Limits struct {
	// MaxFileSize is the largest hive or log file read, in bytes.
	// Default 2 GiB, the largest hive Windows loads.
	MaxFileSize int64

	// MaxDepth is the deepest key nesting below the root that walks,
	// recursive deletes and exports follow, and that CreateKey builds.
	// Default 512, the Windows limit.
	MaxDepth int

	// MaxNameLen is the longest key name accepted on writes, in UTF-16 code
	// units. Default 255, the Windows limit.
	MaxNameLen int

	// MaxValueNameLen is the longest value name accepted on writes, in
	// UTF-16 code units. Default 16383, the Windows limit.
	MaxValueNameLen int

	// MaxValueSize is the largest value data accepted on writes and
	// assembled on reads, in bytes. Default 1 GiB (a big-data record holds
	// at most 65535 segments of 16344 bytes).
	MaxValueSize int64

	// MaxProblems is the most problems Check reports before it stops
	// listing them. Default 1000.
	MaxProblems int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxFileSize:     2 << 30,
	MaxDepth:        512,
	MaxNameLen:      255,
	MaxValueNameLen: 16383,
	MaxValueSize:    1 << 30,
	MaxProblems:     1000,
}

// withDefaults returns l with zero fields replaced by defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxFileSize > 0 {
		d.MaxFileSize = l.MaxFileSize
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxNameLen > 0 {
		d.MaxNameLen = l.MaxNameLen
	}
	if l.MaxValueNameLen > 0 {
		d.MaxValueNameLen = l.MaxValueNameLen
	}
	if l.MaxValueSize > 0 {
		d.MaxValueSize = l.MaxValueSize
	}
	if l.MaxProblems > 0 {
		d.MaxProblems = l.MaxProblems
	}
	return d
}
