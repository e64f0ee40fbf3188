package bcd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Nesting deeper than MaxDeviceDepth is refused on decode (ErrLimit) and
// on encode.
func TestDeviceDepthLimit(t *testing.T) {
	d := &Device{Kind: DeviceBoot}
	for range 20 {
		d = &Device{Kind: DeviceFile, Path: `\f`, Parent: d}
	}
	_, err := d.MarshalBinary()
	require.NoError(t, err)
	cycle := &Device{Kind: DeviceFile, Path: `\f`}
	cycle.Parent = cycle
	_, err = cycle.MarshalBinary()
	require.ErrorIs(t, err, ErrLimit)

	// Build the 20-deep blob by hand from nodes.
	n := &node{typ: devBoot, kind: nodeBoot, body: make([]byte, partBodySize)}
	for range 20 {
		n = &node{typ: devBlockIO, kind: nodeFile, bio: bioFile, fp: &filePath{version: 1, typ: fpTypeDevice, parent: n, path: []byte{'x', 0, 0, 0}}}
	}
	blob := n.appendTo(make([]byte, 16))
	_, err = DecodeDevice(blob)
	require.ErrorIs(t, err, ErrLimit)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	// With a higher limit it decodes and encodes back.
	dev, err := decodeDevice(blob, Limits{MaxDeviceDepth: 64})
	require.NoError(t, err)
	require.Equal(t, DeviceFile, dev.Kind)
	back, err := dev.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, blob, back)
	// Oversized elements.
	_, err = decodeDevice(make([]byte, 100), Limits{MaxElementSize: 50})
	require.ErrorIs(t, err, ErrLimit)
}
