package bcd

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// DeviceKind says what a device element describes.
type DeviceKind int

// Device kinds.
const (
	// DeviceUnknown is a descriptor this package does not model (serial,
	// UDP, VMBus, legacy partitions, ...). Raw holds it.
	DeviceUnknown DeviceKind = iota
	// DeviceBoot is the device the boot manager was loaded from (bcdedit
	// "boot").
	DeviceBoot
	// DevicePartition is one partition of a disk, identified by Partition
	// (bcdedit "partition=C:").
	DevicePartition
	// DeviceRamdisk is a RAM disk loaded from the image file Path on
	// Parent; Options names the object with its SDI settings (bcdedit
	// "ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}").
	DeviceRamdisk
	// DeviceVHD is a virtual disk file Path on Parent, located through
	// LocateElement (bcdedit "vhd=[C:]\x.vhd").
	DeviceVHD
	// DeviceFile is the file Path on Parent used as a device (bcdedit
	// "file=[C:]\x.img").
	DeviceFile
	// DeviceLocate tells the boot manager to search every device for the
	// path held by LocateElement (bcdedit "locate").
	DeviceLocate
)

var kindNames = [...]string{"unknown", "boot", "partition", "ramdisk", "vhd", "file", "locate"}

func (k DeviceKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("DeviceKind(%d)", int(k))
}

// PartitionStyle is the partitioning scheme of the disk holding a
// partition.
type PartitionStyle uint32

// Partition styles as the partition descriptor stores them.
const (
	GPT PartitionStyle = 0
	MBR PartitionStyle = 1
)

// Partition identifies a partition the way a BCD stores it: on an MBR disk
// by the disk signature (the 4 bytes at MBR offset 440) and the byte
// offset where the partition starts; on a GPT disk by the disk GUID (GPT
// header) and the partition's unique GUID.
type Partition struct {
	Style         PartitionStyle
	Signature     uint32 // MBR disk signature
	Offset        uint64 // MBR partition start, in bytes
	DiskGUID      GUID   // GPT disk GUID
	PartitionGUID GUID   // GPT unique partition GUID
}

// String returns the explicit identity syntax of this package:
// "mbr:1a2b3c4d:1048576" (signature in hex, offset in decimal bytes) or
// "gpt:{disk guid}:{partition guid}".
func (p Partition) String() string {
	if p.Style == MBR {
		return fmt.Sprintf("mbr:%08x:%d", p.Signature, p.Offset)
	}
	return "gpt:" + p.DiskGUID.String() + ":" + p.PartitionGUID.String()
}

// Device is the value of a device element: an AdditionalOptions GUID and a
// device descriptor (spec §2.5). Which fields matter depends on Kind.
//
// A Device decoded from a store remembers the descriptor it came from:
// encoding it again without changes gives the same bytes, and after a
// change only the changed parts are rebuilt (flags, reserved words, bytes
// after a path's terminating NUL and other details bcdedit leaves in place
// are kept). A Device built in memory is encoded as bcdedit encodes it.
type Device struct {
	Kind DeviceKind

	// Options is the GUID of an object holding more settings for the
	// device ({ramdiskoptions} for a ramdisk); zero for none. Only a
	// top-level device has one: a Parent's Options must be zero.
	Options GUID

	// Partition identifies the partition of a DevicePartition.
	Partition Partition

	// Path is the file on Parent: the image of a DeviceRamdisk, the
	// virtual disk of a DeviceVHD, the file of a DeviceFile.
	Path string

	// Parent is the device holding Path: a DeviceBoot ("[boot]"), a
	// DevicePartition ("[C:]") or a DeviceLocate ("[locate]").
	Parent *Device

	// LocateElement is the element whose path a DeviceLocate searches
	// for, or through which a DeviceVHD locates the partition inside the
	// virtual disk: bcdedit writes 0x12000002 (path) in device elements
	// and 0x22000002 (systemroot) in osdevice elements.
	LocateElement ElementType

	// Raw is the descriptor of a DeviceUnknown, from its DeviceType field
	// to its end (the Options GUID is not included).
	Raw []byte

	orig *node  // descriptor this Device was decoded from (nil: built in memory)
	tail []byte // top level: bytes after the descriptor inside the element
}

// DecodeDevice decodes the data of a device element (REG_BINARY). A
// descriptor this package does not model comes back as a DeviceUnknown; a
// blob that is too short for its own size fields is an error wrapping
// ErrFormat (a *FormatError with the offset).
func DecodeDevice(data []byte) (*Device, error) {
	return decodeDevice(data, DefaultLimits)
}

// UnmarshalBinary decodes data into d (see DecodeDevice).
func (d *Device) UnmarshalBinary(data []byte) error {
	n, err := DecodeDevice(data)
	if err != nil {
		return err
	}
	*d = *n
	return nil
}

// Format returns FormatDevice.
func (*Device) Format() Format { return FormatDevice }

// MarshalBinary encodes the device element data.
func (d *Device) MarshalBinary() ([]byte, error) {
	n, err := d.node()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 16, 16+256)
	copy(out, d.Options[:])
	out = n.appendTo(out)
	return append(out, d.tail...), nil
}

// deviceOf maps a decoded descriptor to a Device. The Device and its
// parents keep nodes of n as their orig; n must not alias the input (clone
// it once at the top) and is never changed afterwards (buildNode copies
// before it edits).
func deviceOf(n *node) *Device {
	d := &Device{Kind: DeviceUnknown, orig: n}
	switch n.kind {
	case nodeBoot:
		d.Kind = DeviceBoot
	case nodePartition:
		if p, ok := partitionOf(n.body); ok {
			d.Kind, d.Partition = DevicePartition, p
		}
	case nodeRamdisk, nodeFile:
		d.Kind = DeviceRamdisk
		if n.kind == nodeFile {
			d.Kind = DeviceFile
		}
		d.Path = utf16le.DecodeZ(n.fp.path)
		d.Parent = deviceOf(n.fp.parent)
	case nodeLocate:
		switch {
		case n.parent == nil:
			d.Kind, d.LocateElement = DeviceLocate, ElementType(n.locElem)
		case n.parent.kind == nodeVHD && n.parent.child.kind == nodeFile:
			fp := n.parent.child.fp
			d.Kind, d.LocateElement = DeviceVHD, ElementType(n.locElem)
			d.Path = utf16le.DecodeZ(fp.path)
			d.Parent = deviceOf(fp.parent)
		}
	}
	if d.Kind == DeviceUnknown {
		d.Raw = n.appendTo(nil)
	}
	return d
}

// partitionOf decodes the body of a partition descriptor.
func partitionOf(b []byte) (Partition, bool) {
	var p Partition
	switch PartitionStyle(le32(b[0x14:])) {
	case GPT:
		p.Style = GPT
		copy(p.PartitionGUID[:], b[0:16])
		copy(p.DiskGUID[:], b[0x18:0x28])
	case MBR:
		p.Style = MBR
		p.Offset = binary.LittleEndian.Uint64(b[0:])
		p.Signature = le32(b[0x18:])
	default:
		return p, false
	}
	return p, true
}

// partitionBody encodes a partition descriptor body as bcdedit does.
func partitionBody(p Partition) []byte {
	b := make([]byte, partBodySize)
	if p.Style == MBR {
		binary.LittleEndian.PutUint64(b[0:], p.Offset)
		binary.LittleEndian.PutUint32(b[0x14:], uint32(MBR))
		binary.LittleEndian.PutUint32(b[0x18:], p.Signature)
	} else {
		copy(b[0:16], p.PartitionGUID[:])
		copy(b[0x18:0x28], p.DiskGUID[:])
	}
	return b
}

// node builds the descriptor of d, starting from the one it was decoded
// from when it has one.
func (d *Device) node() (*node, error) {
	return d.buildNode(0)
}

// maxEncodeDepth bounds the Parent chain MarshalBinary follows, so that a
// cycle of Parent pointers is an error rather than endless recursion.
const maxEncodeDepth = 1024

func (d *Device) buildNode(depth int) (*node, error) {
	if depth > maxEncodeDepth {
		return nil, fmt.Errorf("bcd: device Parent chain deeper than %d (a cycle?): %w", maxEncodeDepth, ErrLimit)
	}
	o := d.orig
	same := func(k nodeKind) bool { return o != nil && o.kind == k }
	switch d.Kind {
	case DeviceUnknown:
		if len(d.Raw) < hdrSize || le32(d.Raw[8:]) != uint32(len(d.Raw)) {
			return nil, fmt.Errorf("bcd: unknown device: Raw must be a descriptor whose size field (at offset 8) is its length: %w", ErrInvalid)
		}
		return &node{typ: le32(d.Raw), flags: le32(d.Raw[4:]), reserved: le32(d.Raw[12:]),
			kind: nodeRaw, body: bytes.Clone(d.Raw[hdrSize:])}, nil
	case DeviceBoot:
		if same(nodeBoot) {
			return o.shallow(), nil
		}
		return &node{typ: devBoot, kind: nodeBoot, body: make([]byte, partBodySize)}, nil
	case DevicePartition:
		if d.Partition.Style != MBR && d.Partition.Style != GPT {
			return nil, fmt.Errorf("bcd: partition style %d: %w", d.Partition.Style, ErrInvalid)
		}
		if same(nodePartition) {
			if p, ok := partitionOf(o.body); ok && p == d.Partition {
				return o.shallow(), nil
			}
			n := o.shallow()
			n.body = partitionBody(d.Partition)
			return n, nil
		}
		return &node{typ: devPartitionEx, kind: nodePartition, body: partitionBody(d.Partition)}, nil
	case DeviceRamdisk, DeviceFile:
		kind := nodeRamdisk
		n := &node{typ: devBlockIO, flags: 1, kind: nodeRamdisk, bio: bioRamdisk, union: make([]byte, imageFields)}
		if d.Kind == DeviceFile {
			kind = nodeFile
			n = &node{typ: devBlockIO, kind: nodeFile, bio: bioFile}
		}
		n.fp = &filePath{version: 1, typ: fpTypeDevice}
		if same(kind) {
			n = o.shallow()
		}
		if err := d.fillPath(n.fp, depth); err != nil {
			return nil, err
		}
		return n, nil
	case DeviceVHD:
		var n *node
		if same(nodeLocate) && o.parent != nil && o.parent.kind == nodeVHD && o.parent.child.kind == nodeFile {
			n = o.shallow()
			n.parent = o.parent.shallow()
			n.parent.child = o.parent.child.shallow()
		} else {
			file := &node{typ: devBlockIO, kind: nodeFile, bio: bioFile, fp: &filePath{version: 1, typ: fpTypeDevice}}
			vhd := &node{typ: devBlockIO, kind: nodeVHD, bio: bioVHD, union: make([]byte, imageFields), child: file}
			n = &node{typ: devLocate, kind: nodeLocate, locStr: []byte{0, 0}, parent: vhd}
		}
		n.locElem = uint32(d.LocateElement)
		if err := d.fillPath(n.parent.child.fp, depth); err != nil {
			return nil, err
		}
		return n, nil
	case DeviceLocate:
		if same(nodeLocate) && o.parent == nil {
			n := o.shallow()
			n.locElem = uint32(d.LocateElement)
			return n, nil
		}
		return &node{typ: devLocate, kind: nodeLocate, locElem: uint32(d.LocateElement), locStr: []byte{0, 0}}, nil
	}
	return nil, fmt.Errorf("bcd: device kind %v: %w", d.Kind, ErrInvalid)
}

// fillPath sets the parent and path of a file path from d, keeping the
// stored path bytes when they decode to d.Path.
func (d *Device) fillPath(fp *filePath, depth int) error {
	if d.Parent == nil {
		return fmt.Errorf("bcd: %v device without a Parent: %w", d.Kind, ErrInvalid)
	}
	if !d.Parent.Options.IsZero() {
		return fmt.Errorf("bcd: the Parent of a %v device cannot have Options: %w", d.Kind, ErrInvalid)
	}
	if strings.ContainsRune(d.Path, 0) || !utf8.ValidString(d.Path) {
		return fmt.Errorf("bcd: %v device path %q has a NUL or is not UTF-8: %w", d.Kind, d.Path, ErrInvalid)
	}
	parent, err := d.Parent.buildNode(depth + 1)
	if err != nil {
		return err
	}
	fp.parent = parent
	if fp.path == nil || utf16le.DecodeZ(fp.path) != d.Path {
		fp.path = utf16le.EncodeZ(d.Path)
	}
	return nil
}

// Clone returns a deep copy of d.
func (d *Device) Clone() *Device {
	if d == nil {
		return nil
	}
	c := *d
	c.Parent = d.Parent.Clone()
	c.Raw = bytes.Clone(d.Raw)
	c.orig = d.orig.clone()
	c.tail = bytes.Clone(d.tail)
	return &c
}

// Equal reports whether d and e describe the same device: same kind and
// fields, compared recursively (not the bytes they were decoded from).
func (d *Device) Equal(e *Device) bool {
	if d == nil || e == nil {
		return d == e
	}
	return d.Kind == e.Kind && d.Options == e.Options && d.Partition == e.Partition &&
		d.Path == e.Path && d.LocateElement == e.LocateElement && bytes.Equal(d.Raw, e.Raw) &&
		d.Parent.Equal(e.Parent)
}
