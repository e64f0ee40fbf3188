package inf

// Limits bound what Parse accepts, so that a hostile file cannot make it
// allocate without bound or loop for long. Every limit wraps ErrLimit when
// exceeded. A zero field means the default given in its comment.
type Limits struct {
	// MaxFileSize is the largest input accepted, in bytes.
	// Default 64 MiB (the biggest real INF seen, hivesft.inf, is 264 KB).
	MaxFileSize int64

	// MaxLineLen is the longest physical line, in bytes of the input.
	// Default 1 MiB.
	MaxLineLen int

	// MaxLines is the largest number of physical lines. Each line costs
	// about 250 bytes of tables, so this bounds what a file of short lines
	// makes Parse allocate. Default 200,000 (hivesft.inf has 4,779).
	MaxLines int

	// MaxContinuationLines is the largest number of physical lines one
	// entry may span through backslash continuations. Default 10,000
	// (ReactOS' ServiceGroupOrder spans 68).
	MaxContinuationLines int

	// MaxContinuationLen is the largest total size, in bytes of the
	// input, of one entry spanning several physical lines. Default 1 MiB.
	MaxContinuationLen int

	// MaxSections is the largest number of distinct section names.
	// Default 100,000.
	MaxSections int

	// MaxSectionNameLen is the longest section name, in characters.
	// Default 255, SetupAPI's limit (ERROR_SECTION_NAME_TOO_LONG).
	MaxSectionNameLen int

	// MaxFieldLen is the longest field, in characters, before and after
	// %strkey% substitution. Default 4096, the documented SetupAPI limit
	// ("General Syntax Rules for INF Files", INF size limits). Longer
	// substitution results are cut at this length.
	MaxFieldLen int
}

// DefaultLimits are the limits used when none are given.
var DefaultLimits = Limits{
	MaxFileSize:          64 << 20,
	MaxLineLen:           1 << 20,
	MaxLines:             200000,
	MaxContinuationLines: 10000,
	MaxContinuationLen:   1 << 20,
	MaxSections:          100000,
	MaxSectionNameLen:    255,
	MaxFieldLen:          4096,
}

// withDefaults returns a copy of l (nil means DefaultLimits) with zero
// fields replaced by their defaults.
func (l *Limits) withDefaults() Limits {
	d := DefaultLimits
	if l == nil {
		return d
	}
	r := *l
	if r.MaxFileSize <= 0 {
		r.MaxFileSize = d.MaxFileSize
	}
	if r.MaxLineLen <= 0 {
		r.MaxLineLen = d.MaxLineLen
	}
	if r.MaxLines <= 0 {
		r.MaxLines = d.MaxLines
	}
	if r.MaxContinuationLines <= 0 {
		r.MaxContinuationLines = d.MaxContinuationLines
	}
	if r.MaxContinuationLen <= 0 {
		r.MaxContinuationLen = d.MaxContinuationLen
	}
	if r.MaxSections <= 0 {
		r.MaxSections = d.MaxSections
	}
	if r.MaxSectionNameLen <= 0 {
		r.MaxSectionNameLen = d.MaxSectionNameLen
	}
	if r.MaxFieldLen <= 0 {
		r.MaxFieldLen = d.MaxFieldLen
	}
	return r
}
