package bcd

// Limits bound what the package accepts from stores and command lines.
// A zero field means its default (see DefaultLimits). Every allocation is
// also bounded by the bytes actually present; the hive underneath has its
// own Limits in Options.Hive.
type Limits struct {
	// MaxObjects is the most objects a store may hold for Objects, Enum
	// and the object cleanup of Delete. Default 65,536 (a real system
	// store holds a few dozen).
	MaxObjects int

	// MaxElements is the most elements read from one object. Default
	// 4,096 (the element table has a few hundred types).
	MaxElements int

	// MaxElementSize is the largest element value decoded, in bytes.
	// Default 1 MiB (a device element with a 32,767-character path is
	// about 64 KiB).
	MaxElementSize int

	// MaxDeviceDepth is the deepest nesting of device descriptors decoded
	// (a VHD inside a locate inside a file path is 4 deep). Default 16.
	MaxDeviceDepth int

	// MaxArgs is the most arguments one bcdedit command line may have.
	// Default 4,096.
	MaxArgs int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxObjects:     1 << 16,
	MaxElements:    4096,
	MaxElementSize: 1 << 20,
	MaxDeviceDepth: 16,
	MaxArgs:        4096,
}

// withDefaults returns l with zero fields replaced by their defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxObjects > 0 {
		d.MaxObjects = l.MaxObjects
	}
	if l.MaxElements > 0 {
		d.MaxElements = l.MaxElements
	}
	if l.MaxElementSize > 0 {
		d.MaxElementSize = l.MaxElementSize
	}
	if l.MaxDeviceDepth > 0 {
		d.MaxDeviceDepth = l.MaxDeviceDepth
	}
	if l.MaxArgs > 0 {
		d.MaxArgs = l.MaxArgs
	}
	return d
}
