package inf

// Limits bound what Parse accepts and what the readers on top of a
// Document (substitution, Driver, the registry and txtsetup.oem readers)
// build from it, so that a hostile file cannot make them allocate without
// bound or loop for long. Every limit wraps ErrLimit when exceeded, except
// MaxWarnings, which only shortens a list of warnings. A zero field means
// the default given in its comment.
//
// With the defaults, parsing an input of at most 1 MiB, and then each
// reader call on the document, allocates at most 64 MiB.
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

	// MaxSubstitution bounds the text %strkey% substitution builds for
	// one document, in bytes: results that have to be assembled (a token
	// with text around it, several tokens, "%%"), which are kept and
	// shared by every later read of the same text, each charged its
	// length, the length of its input and 128 bytes. A field that is one
	// token, or in which no token is known, costs nothing: it shares the
	// document's text. The budget starts again after each edit (and
	// SetLanguage). Default 8 MiB; reading every line of each fixture
	// uses at most 1.7 KB (minispy.inf; hivesys.inf 166 bytes).
	MaxSubstitution int64

	// MaxDevices is the most devices Document.Driver (and so Audit)
	// returns for one OS: the models lines of every selected models
	// section, counted once for each manufacturer entry that selects it.
	// Default 100,000 (real driver INFs list at most a few thousand
	// models lines per decoration).
	MaxDevices int

	// MaxWarnings is the most warnings one reader call (Driver, Install,
	// Services, CopyFileList, OEM.Lint, Audit) returns; past it the
	// remaining ones are counted in a last warning with code
	// "too-many-warnings". Default 1,000.
	MaxWarnings int
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
	MaxSubstitution:      8 << 20,
	MaxDevices:           100000,
	MaxWarnings:          1000,
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
	if r.MaxSubstitution <= 0 {
		r.MaxSubstitution = d.MaxSubstitution
	}
	if r.MaxDevices <= 0 {
		r.MaxDevices = d.MaxDevices
	}
	if r.MaxWarnings <= 0 {
		r.MaxWarnings = d.MaxWarnings
	}
	return r
}
