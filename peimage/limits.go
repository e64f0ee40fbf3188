package peimage

// Limits bound what a hostile input can make this package do. A zero field
// takes its default from DefaultLimits.
type Limits struct {
	// MaxFileSize is the largest file Open and Parse accept, in bytes.
	// Default 1 GiB; values above 4 GiB - 1 (the most a PE image can
	// describe) are lowered to it.
	MaxFileSize int64

	// MaxSections is the largest NumberOfSections accepted. Default 96, the
	// limit of the Windows loader stated in the PE format specification.
	MaxSections int

	// MaxCertificates is the most WIN_CERTIFICATE entries listed. Default 64.
	MaxCertificates int

	// MaxMatches is the most occurrences Find reports (and Replace patches)
	// for one string and encoding. Default 65536.
	MaxMatches int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxFileSize:     1 << 30,
	MaxSections:     96,
	MaxCertificates: 64,
	MaxMatches:      1 << 16,
}

// maxPESize is the largest size a PE image can have: SizeOfImage, section
// offsets and the certificate table offset are 32-bit.
const maxPESize = 1<<32 - 1

// withDefaults returns l with zero fields replaced by defaults and values
// clamped to what the format allows.
func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	l.MaxFileSize = min(l.MaxFileSize, maxPESize)
	if l.MaxSections <= 0 {
		l.MaxSections = DefaultLimits.MaxSections
	}
	l.MaxSections = min(l.MaxSections, 0xffff)
	if l.MaxCertificates <= 0 {
		l.MaxCertificates = DefaultLimits.MaxCertificates
	}
	if l.MaxMatches <= 0 {
		l.MaxMatches = DefaultLimits.MaxMatches
	}
	return l
}
