package wim

// Limits bounds what a reader accepts from untrusted input. The zero value of
// a field means its default; see DefaultLimits.
type Limits struct {
	// MaxXMLSize is the largest XML resource read, in bytes. Default 16 MiB
	// (the XML of a ten-image install.wim is about 40 KiB).
	MaxXMLSize int64
	// MaxXMLNodes is the most XML nodes (elements, text runs, comments)
	// parsed. Default 1,048,576.
	MaxXMLNodes int
	// MaxXMLDepth is the deepest element nesting accepted. Default 256, the
	// limit of libxml2, which wimlib 1.13 parses the XML with.
	MaxXMLDepth int
	// MaxImages is the largest image count accepted, in the header or the
	// XML. Default 65,535.
	MaxImages int
	// MaxBlobTableSize is the largest blob table read, in bytes. Default
	// 256 MiB (about 5 million entries).
	MaxBlobTableSize int64
	// MaxIntegrityTableSize is the largest integrity table read, in bytes.
	// Default 64 MiB.
	MaxIntegrityTableSize int64
}

// DefaultLimits are the limits used when a field of Limits is zero.
var DefaultLimits = Limits{
	MaxXMLSize:            16 << 20,
	MaxXMLNodes:           1 << 20,
	MaxXMLDepth:           256,
	MaxImages:             65535,
	MaxBlobTableSize:      256 << 20,
	MaxIntegrityTableSize: 64 << 20,
}

// withDefaults returns l with zero fields replaced by their defaults. It
// copies; the caller's struct is never written.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxXMLSize > 0 {
		d.MaxXMLSize = l.MaxXMLSize
	}
	if l.MaxXMLNodes > 0 {
		d.MaxXMLNodes = l.MaxXMLNodes
	}
	if l.MaxXMLDepth > 0 {
		d.MaxXMLDepth = l.MaxXMLDepth
	}
	if l.MaxImages > 0 {
		d.MaxImages = l.MaxImages
	}
	if l.MaxBlobTableSize > 0 {
		d.MaxBlobTableSize = l.MaxBlobTableSize
	}
	if l.MaxIntegrityTableSize > 0 {
		d.MaxIntegrityTableSize = l.MaxIntegrityTableSize
	}
	return d
}
