package bcd

import (
	"bytes"
	"encoding/binary"
)

// The binary layout of device elements (spec §2.5): a 16-byte
// AdditionalOptions GUID, then a device descriptor. Every descriptor starts
// with a 16-byte header {DeviceType, Flags, Size (of the whole descriptor,
// header included), Reserved}; what follows depends on the type, and some
// types nest further descriptors:
//
//	boot (5)          0x38 zero bytes
//	partition ex (6)  partition id (16), 0 (4), style (4: 0 GPT, 1 MBR), disk id (16), zeros (16)
//	block I/O (0)     block I/O type (4), then by type:
//	  ramdisk (3)     image base/size/offset (20), file path
//	  file (5)        file path
//	  vhd (6)         20 bytes, a nested descriptor (block I/O file)
//	locate (8)        locate type (4), element type (4), parent offset from
//	                  the descriptor start (4, 0: none), a UTF-16 string, parent descriptor
//	file path         version (4: 1), length from its start (4), type (4: 5),
//	                  parent device descriptor, UTF-16 path with NUL
//
// The codec below works on that tree (node). It keeps every field, including
// the ones the public Device does not show (flags, reserved words, ramdisk
// image fields, bytes after a path's NUL, bytes after a descriptor inside
// its parent), so decoding and encoding give the input back byte for byte.

// Device types (the DeviceType field).
const (
	devBlockIO     = 0
	devBoot        = 5
	devPartitionEx = 6
	devLocate      = 8
)

// Block I/O types.
const (
	bioRamdisk = 3
	bioFile    = 5
	bioVHD     = 6
)

const (
	hdrSize       = 16   // descriptor header
	partBodySize  = 0x38 // body of a boot or partition descriptor
	filePathFixed = 12   // version, length, type
	fpTypeDevice  = 5    // file path type: parent device + path
	imageFields   = 20   // ramdisk ImageBase, ImageSize, ImageOffset (and the VHD equivalent)
	locateFixed   = 12   // locate type, element type, parent offset
)

type nodeKind uint8

const (
	nodeRaw       nodeKind = iota // body kept as bytes (unknown or unmodelled)
	nodeBoot                      // body kept as bytes (zeros)
	nodePartition                 // body kept as bytes, decoded by partitionOf
	nodeRamdisk                   // block I/O ramdisk: union + file path
	nodeFile                      // block I/O file: file path
	nodeVHD                       // block I/O VHD: union + child descriptor
	nodeLocate                    // locate: string + optional parent
)

// node is one device descriptor.
type node struct {
	typ, flags, reserved uint32
	kind                 nodeKind
	body                 []byte // nodeRaw, nodeBoot, nodePartition: the bytes after the header
	bio                  uint32 // block I/O type
	union                []byte // nodeRamdisk, nodeVHD: the 20 bytes after the block I/O type
	fp                   *filePath
	child                *node  // nodeVHD
	locType, locElem     uint32 // nodeLocate
	locStr               []byte // nodeLocate: bytes from the fixed fields to the parent (or the end)
	parent               *node  // nodeLocate
	tail                 []byte // bytes the size covers after the content
}

// filePath is a FILE_PATH of type 5: a parent device and a path on it.
type filePath struct {
	version, typ uint32
	parent       *node
	path         []byte // UTF-16LE path bytes up to the end of the file path (NUL included)
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// subNode decodes the descriptor at the start of b (off is its offset in
// the element, for errors) and returns it with the bytes after it.
func subNode(b []byte, off, depth int, lim Limits) (*node, []byte, error) {
	if len(b) < hdrSize {
		return nil, nil, formatErr(off, "device descriptor", ErrFormat, "truncated: %d bytes left, a descriptor header needs %d", len(b), hdrSize)
	}
	size := le32(b[8:])
	if size < hdrSize || uint64(size) > uint64(len(b)) {
		return nil, nil, formatErr(off, "device descriptor", ErrFormat, "size %d outside the %d bytes left", size, len(b))
	}
	n, err := decodeNode(b[:size], off, depth, lim)
	if err != nil {
		return nil, nil, err
	}
	return n, b[size:], nil
}

// decodeNode decodes the descriptor b (exactly its Size bytes).
func decodeNode(b []byte, off, depth int, lim Limits) (*node, error) {
	if depth >= lim.MaxDeviceDepth {
		return nil, formatErr(off, "device descriptor", ErrLimit, "nested deeper than MaxDeviceDepth (%d)", lim.MaxDeviceDepth)
	}
	n := &node{typ: le32(b), flags: le32(b[4:]), reserved: le32(b[12:]), kind: nodeRaw, body: b[hdrSize:]}
	body := b[hdrSize:]
	boff := off + hdrSize
	switch n.typ {
	case devBoot:
		n.kind = nodeBoot
	case devPartitionEx:
		if len(body) >= partBodySize {
			n.kind = nodePartition
		}
	case devBlockIO:
		if len(body) < 4 {
			return n, nil
		}
		bio := le32(body)
		switch bio {
		case bioRamdisk, bioFile:
			start := 4
			if bio == bioRamdisk {
				start += imageFields
			}
			if len(body) < start {
				return n, nil
			}
			fp, tail, ok, err := decodeFilePath(body[start:], boff+start, depth, lim)
			if err != nil {
				return nil, err
			}
			if !ok {
				return n, nil
			}
			n.kind, n.bio, n.fp, n.tail, n.body = nodeFile, bio, fp, tail, nil
			if bio == bioRamdisk {
				n.kind, n.union = nodeRamdisk, body[4:start]
			}
		case bioVHD:
			start := 4 + imageFields
			if len(body) < start {
				return n, nil
			}
			child, tail, err := subNode(body[start:], boff+start, depth+1, lim)
			if err != nil {
				return nil, err
			}
			n.kind, n.bio, n.union, n.child, n.tail, n.body = nodeVHD, bio, body[4:start], child, tail, nil
		}
	case devLocate:
		if len(body) < locateFixed {
			return n, nil
		}
		n.locType, n.locElem = le32(body), le32(body[4:])
		poff := le32(body[8:])
		if poff == 0 {
			n.kind, n.locStr, n.body = nodeLocate, body[locateFixed:], nil
			return n, nil
		}
		if poff < hdrSize+locateFixed || uint64(poff) >= uint64(len(b)) {
			return nil, formatErr(boff+8, "locate descriptor", ErrFormat, "parent offset %#x outside the %d-byte descriptor", poff, len(b))
		}
		parent, tail, err := subNode(b[poff:], off+int(poff), depth+1, lim)
		if err != nil {
			return nil, err
		}
		n.kind, n.locStr, n.parent, n.tail, n.body = nodeLocate, b[hdrSize+locateFixed:poff], parent, tail, nil
	}
	return n, nil
}

// decodeFilePath decodes a FILE_PATH at the start of b. ok is false (with
// no error) for a file path type this package does not model.
func decodeFilePath(b []byte, off, depth int, lim Limits) (fp *filePath, tail []byte, ok bool, err error) {
	if len(b) < filePathFixed {
		return nil, nil, false, formatErr(off, "file path", ErrFormat, "truncated: %d bytes left, a file path needs %d", len(b), filePathFixed)
	}
	length := le32(b[4:])
	if length < filePathFixed || uint64(length) > uint64(len(b)) {
		return nil, nil, false, formatErr(off+4, "file path", ErrFormat, "length %d outside the %d bytes left", length, len(b))
	}
	typ := le32(b[8:])
	if typ != fpTypeDevice {
		return nil, nil, false, nil
	}
	parent, path, err := subNode(b[filePathFixed:length], off+filePathFixed, depth+1, lim)
	if err != nil {
		return nil, nil, false, err
	}
	return &filePath{version: le32(b), typ: typ, parent: parent, path: path}, b[length:], true, nil
}

// appendTo appends the encoded descriptor to dst, with Size recomputed.
func (n *node) appendTo(dst []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, n.typ)
	dst = binary.LittleEndian.AppendUint32(dst, n.flags)
	dst = binary.LittleEndian.AppendUint32(dst, 0) // size, below
	dst = binary.LittleEndian.AppendUint32(dst, n.reserved)
	switch n.kind {
	case nodeRaw, nodeBoot, nodePartition:
		dst = append(dst, n.body...)
	case nodeRamdisk, nodeFile:
		dst = binary.LittleEndian.AppendUint32(dst, n.bio)
		dst = append(dst, n.union...)
		dst = n.fp.appendTo(dst)
	case nodeVHD:
		dst = binary.LittleEndian.AppendUint32(dst, n.bio)
		dst = append(dst, n.union...)
		dst = n.child.appendTo(dst)
	case nodeLocate:
		dst = binary.LittleEndian.AppendUint32(dst, n.locType)
		dst = binary.LittleEndian.AppendUint32(dst, n.locElem)
		poffAt := len(dst)
		dst = binary.LittleEndian.AppendUint32(dst, 0)
		dst = append(dst, n.locStr...)
		if n.parent != nil {
			binary.LittleEndian.PutUint32(dst[poffAt:], uint32(len(dst)-start))
			dst = n.parent.appendTo(dst)
		}
	}
	dst = append(dst, n.tail...)
	binary.LittleEndian.PutUint32(dst[start+8:], uint32(len(dst)-start))
	return dst
}

func (fp *filePath) appendTo(dst []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, fp.version)
	dst = binary.LittleEndian.AppendUint32(dst, 0) // length, below
	dst = binary.LittleEndian.AppendUint32(dst, fp.typ)
	dst = fp.parent.appendTo(dst)
	dst = append(dst, fp.path...)
	binary.LittleEndian.PutUint32(dst[start+4:], uint32(len(dst)-start))
	return dst
}

// decodeDevice decodes the data of a device element.
func decodeDevice(data []byte, lim Limits) (*Device, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxElementSize {
		return nil, formatErr(0, "device element", ErrLimit, "%d bytes exceed MaxElementSize (%d)", len(data), lim.MaxElementSize)
	}
	if len(data) < 16+hdrSize {
		return nil, formatErr(0, "device element", ErrFormat, "truncated: %d bytes, a device element needs at least %d", len(data), 16+hdrSize)
	}
	n, tail, err := subNode(data[16:], 16, 0, lim)
	if err != nil {
		return nil, err
	}
	d := deviceOf(n.clone())
	copy(d.Options[:], data[:16])
	d.tail = append([]byte(nil), tail...)
	// The codec keeps every byte by construction; this check makes sure a
	// layout it did not foresee is kept raw rather than changed.
	if enc, err := d.MarshalBinary(); err != nil || !bytes.Equal(enc, data) {
		size := le32(data[16+8:])
		d = &Device{Kind: DeviceUnknown, Raw: append([]byte(nil), data[16:16+size]...), tail: d.tail}
		copy(d.Options[:], data[:16])
	}
	return d, nil
}

// shallow returns a copy of n and of its file path that can be edited
// without changing n; byte slices and the nodes below are shared (they are
// only read).
func (n *node) shallow() *node {
	c := *n
	if n.fp != nil {
		fp := *n.fp
		c.fp = &fp
	}
	return &c
}

// clone returns a deep copy of the byte slices of n, so a Device never
// aliases the data it was decoded from.
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	c.body = bytes.Clone(n.body)
	c.union = bytes.Clone(n.union)
	c.locStr = bytes.Clone(n.locStr)
	c.tail = bytes.Clone(n.tail)
	c.child = n.child.clone()
	c.parent = n.parent.clone()
	if n.fp != nil {
		fp := *n.fp
		fp.parent = n.fp.parent.clone()
		fp.path = bytes.Clone(n.fp.path)
		c.fp = &fp
	}
	return &c
}
