package bcd_test

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// deviceBlobs returns the data of every device element of a fixture,
// keyed by "{id}\type", read through the hive API.
func deviceBlobs(t *testing.T, rel string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for k, v := range elementValues(t, openFixture(t, rel).Hive()) {
		_, el, _ := bytes.Cut([]byte(k), []byte(`\`))
		if et, ok := bcd.ParseElementKey(string(el)); ok && et.Format() == bcd.FormatDevice {
			out[k] = v.Data
		}
	}
	return out
}

// Acceptance 2: decoding and re-encoding every device element of the
// fixtures gives identical bytes, and every one decodes to a known kind.
func TestDeviceFixtureRoundTrip(t *testing.T) {
	n := 0
	kinds := map[bcd.DeviceKind]int{}
	for _, p := range testutil.Fixtures(t, "bcd", "*.bcd") {
		rel := "bcd/" + filepath.Base(p)
		for k, data := range deviceBlobs(t, rel) {
			d, err := bcd.DecodeDevice(data)
			require.NoError(t, err, "%s %s", rel, k)
			assert.NotEqual(t, bcd.DeviceUnknown, d.Kind, "%s %s", rel, k)
			got, err := d.MarshalBinary()
			require.NoError(t, err)
			testutil.EqualBytes(t, data, got, "%s %s", rel, k)
			// A deep copy encodes the same.
			got, err = d.Clone().MarshalBinary()
			require.NoError(t, err)
			testutil.EqualBytes(t, data, got, "%s %s clone", rel, k)
			kinds[d.Kind]++
			n++
		}
	}
	assert.Positive(t, n)
	for _, k := range []bcd.DeviceKind{bcd.DeviceBoot, bcd.DevicePartition, bcd.DeviceRamdisk, bcd.DeviceVHD} {
		assert.Positive(t, kinds[k], "no %v device in the fixtures", k)
	}
}

// fresh rebuilds d from its exported fields only, as a caller would build
// it in memory (no memory of the decoded bytes).
func fresh(d *bcd.Device) *bcd.Device {
	if d == nil {
		return nil
	}
	return &bcd.Device{Kind: d.Kind, Options: d.Options, Partition: d.Partition, Path: d.Path,
		Parent: fresh(d.Parent), LocateElement: d.LocateElement, Raw: d.Raw}
}

// Devices built in memory encode exactly as bcdedit encoded the same
// devices in the pristine bcdedit store (ramdisk with a partition parent,
// vhd, partition, boot).
func TestDeviceEncodingMatchesBcdedit(t *testing.T) {
	blobs := deviceBlobs(t, ntloader3)
	require.NotEmpty(t, blobs)
	for k, data := range blobs {
		d, err := bcd.DecodeDevice(data)
		require.NoError(t, err)
		got, err := fresh(d).MarshalBinary()
		require.NoError(t, err)
		testutil.EqualBytes(t, data, got, "%s (%v)", k, d.Kind)
	}
}

// The device syntax parses and prints back the same text, and the parsed
// device survives an encode/decode cycle.
func TestParseDevice(t *testing.T) {
	drives := fixtureDrives(t)
	gptPart := bcd.Partition{Style: bcd.GPT,
		DiskGUID:      bcd.MustParseGUID("{11111111-2222-3333-4444-555555555555}"),
		PartitionGUID: bcd.MustParseGUID("{66666666-7777-8888-9999-aaaaaaaaaaaa}")}
	drives["D:"] = gptPart
	sx := &bcd.Syntax{Drives: drives}
	for _, tc := range []struct {
		in, out string // out "" means in
		elem    bcd.ElementType
		kind    bcd.DeviceKind
	}{
		{"boot", "", 0, bcd.DeviceBoot},
		{"BOOT", "boot", 0, bcd.DeviceBoot},
		{"partition=C:", "", 0, bcd.DevicePartition},
		{"partition=c:", "partition=C:", 0, bcd.DevicePartition},
		{"partition=D:", "", 0, bcd.DevicePartition},
		{"partition=mbr:0000abcd:1048576", "", 0, bcd.DevicePartition},
		{"partition=MBR:ABCD:0x100000", "partition=mbr:0000abcd:1048576", 0, bcd.DevicePartition},
		{"partition=gpt:{11111111-2222-3333-4444-555555555555}:{66666666-7777-8888-9999-aaaaaaaaaaaa}", "partition=D:", 0, bcd.DevicePartition},
		{`ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`, "", 0, bcd.DeviceRamdisk},
		{`ramdisk=[C:]\x.wim,{ae5534e0-a924-466c-b836-758539a3ee3a}`, `ramdisk=[C:]\x.wim,{ramdiskoptions}`, 0, bcd.DeviceRamdisk},
		{`ramdisk=[C:]\x.wim,{12345678-1234-1234-1234-123456789abc}`, "", 0, bcd.DeviceRamdisk},
		{`ramdisk=[locate]\x.wim,{ramdiskoptions}`, "", 0, bcd.DeviceRamdisk},
		{`ramdisk=[mbr:00000001:512]\x.wim`, "", 0, bcd.DeviceRamdisk},
		{`vhd=[C:]\x.vhd`, "", bcd.ElemDevice, bcd.DeviceVHD},
		{`vhd=[C:]\x.vhd`, "", bcd.ElemOSDevice, bcd.DeviceVHD},
		{`vhd=[locate]\vhd\win.vhdx`, "", bcd.ElemOSDevice, bcd.DeviceVHD},
		{`vhd=[C:]\x.vhd,locate=custom:12000002`, `vhd=[C:]\x.vhd,locate=custom:12000002`, bcd.ElemOSDevice, bcd.DeviceVHD},
		{`vhd=[C:]\x.vhd,locate=custom:0x22000002`, `vhd=[C:]\x.vhd`, bcd.ElemOSDevice, bcd.DeviceVHD},
		{`file=[C:]\boot\x.img`, "", 0, bcd.DeviceFile},
		{"locate", "", bcd.ElemOSDevice, bcd.DeviceLocate},
		{"locate=custom:12000002", "locate", bcd.ElemDevice, bcd.DeviceLocate},
		{"locate=custom:0x12000002", "locate=custom:12000002", bcd.ElemOSDevice, bcd.DeviceLocate},
	} {
		d, err := bcd.ParseDevice(tc.in, tc.elem, sx)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.kind, d.Kind, tc.in)
		want := tc.out
		if want == "" {
			want = tc.in
		}
		assert.Equal(t, want, d.Text(tc.elem, sx), tc.in)
		b, err := d.MarshalBinary()
		require.NoError(t, err, tc.in)
		back, err := bcd.DecodeDevice(b)
		require.NoError(t, err, tc.in)
		assert.True(t, d.Equal(back), "%s: %v != %v", tc.in, d, back)
		assert.Equal(t, want, back.Text(tc.elem, sx), tc.in)
	}
	// Defaults for the locate element: path for device, systemroot for osdevice.
	d, err := bcd.ParseDevice(`vhd=[C:]\x.vhd`, bcd.ElemOSDevice, sx)
	require.NoError(t, err)
	assert.Equal(t, bcd.ElemSystemRoot, d.LocateElement)
	d, err = bcd.ParseDevice(`vhd=[C:]\x.vhd`, bcd.ElemDevice, sx)
	require.NoError(t, err)
	assert.Equal(t, bcd.ElemPath, d.LocateElement)
	// Without drive letters a partition prints as its identity.
	d, err = bcd.ParseDevice("partition=C:", 0, sx)
	require.NoError(t, err)
	assert.Equal(t, "partition="+drives["C:"].String(), d.String())
}

// A device string that does not parse is an *ArgError naming it.
func TestParseDeviceErrors(t *testing.T) {
	sx := &bcd.Syntax{Drives: fixtureDrives(t)}
	for _, in := range []string{
		"", "bootx", "boot=1", "partition", "partition=Q:", "partition=CC:", "partition=mbr:xyz:1",
		"partition=mbr:1", "partition=mbr:1:-5", "partition=gpt:{1}:{2}", "partition=ntfs:1:2",
		`ramdisk=\x.wim,{ramdiskoptions}`, `ramdisk=[boot\x.wim`, `ramdisk=[boot]`, `ramdisk=[boot],{ramdiskoptions}`,
		`ramdisk=[boot]\x.wim,{nosuch}`, `ramdisk=[boot]\x.wim,{default}`, `ramdisk=[Q:]\x.wim`, `ramdisk=[floppy]\x`,
		`vhd=[C:]\x.vhd,locate=custom:zz`, `vhd`, "locate=custom:", "locate=path", "locate=custom:xyz",
	} {
		_, err := bcd.ParseDevice(in, 0, sx)
		require.ErrorIs(t, err, bcd.ErrDeviceSyntax, "%q", in)
		var ae *bcd.ArgError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, in, ae.Arg)
	}
	// Drive letters need a resolver.
	_, err := bcd.ParseDevice("partition=C:", 0, nil)
	require.ErrorIs(t, err, bcd.ErrDeviceSyntax)
	// An element without a default locate element needs custom:.
	_, err = bcd.ParseDevice("locate", 0x11000099, nil)
	require.ErrorIs(t, err, bcd.ErrDeviceSyntax)
}

// A truncated device blob is a *FormatError wrapping ErrFormat, at every
// length short of the whole.
func TestDecodeDeviceTruncated(t *testing.T) {
	for k, data := range deviceBlobs(t, ntloader3) {
		for n := 0; n < len(data); n++ {
			_, err := bcd.DecodeDevice(data[:n])
			require.ErrorIs(t, err, bcd.ErrFormat, "%s cut at %d", k, n)
			var fe *bcd.FormatError
			require.ErrorAs(t, err, &fe, "%s cut at %d", k, n)
		}
	}
	// A size field pointing past the end of a nested descriptor.
	d, err := bcd.ParseDevice(`ramdisk=[boot]\x.wim`, 0, nil)
	require.NoError(t, err)
	b, err := d.MarshalBinary()
	require.NoError(t, err)
	binary.LittleEndian.PutUint32(b[0x44+8:], 0x1000) // parent descriptor size
	_, err = bcd.DecodeDevice(b)
	var fe *bcd.FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, int64(0x44), fe.Offset)
}

// Edits of a decoded device rebuild only what changed: the bytes a
// patched store keeps after a path's NUL survive a parent change, and a
// path change rewrites the path.
func TestDeviceEditKeepsDetails(t *testing.T) {
	for k, data := range deviceBlobs(t, "bcd/bcd_ntloader_bcdwim.bcd") {
		d, err := bcd.DecodeDevice(data)
		require.NoError(t, err)
		if d.Kind != bcd.DeviceRamdisk {
			continue
		}
		// Change the parent only: the path bytes (with what follows their NUL) stay.
		d.Parent = &bcd.Device{Kind: bcd.DeviceBoot}
		b, err := d.MarshalBinary()
		require.NoError(t, err)
		tail := data[0x44+0x48:]
		assert.True(t, bytes.HasSuffix(b, tail), "%s: path bytes not kept", k)
		assert.Len(t, b, len(data))
		// Change the path: it is encoded afresh.
		d.Path = `\sources\boot.wim`
		b, err = d.MarshalBinary()
		require.NoError(t, err)
		back, err := bcd.DecodeDevice(b)
		require.NoError(t, err)
		assert.Equal(t, `ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`, back.String())
		assert.Len(t, b, 0x8c+2*(len(d.Path)+1), "bcdedit's ramdisk size")
		// The flags word of the original (1 for ramdisks) is kept.
		assert.Equal(t, data[0x14:0x18], b[0x14:0x18])
	}
}

// Descriptors the package does not model are kept as they are.
func TestDeviceUnknownKept(t *testing.T) {
	// A UDP (PXE) descriptor: type 4, 16-byte header, some payload.
	blob := make([]byte, 16+16+8)
	copy(blob, bcd.RamdiskOptions[:])
	binary.LittleEndian.PutUint32(blob[16:], 4)
	binary.LittleEndian.PutUint32(blob[16+8:], 24)
	copy(blob[32:], "payload!")
	d, err := bcd.DecodeDevice(blob)
	require.NoError(t, err)
	assert.Equal(t, bcd.DeviceUnknown, d.Kind)
	assert.Equal(t, blob[16:], d.Raw)
	got, err := d.MarshalBinary()
	require.NoError(t, err)
	testutil.EqualBytes(t, blob, got)
	assert.Equal(t, "unknown:040000000000000018000000000000007061796c6f616421,{ramdiskoptions}", d.String())
	// Bytes after the descriptor inside the element survive too.
	withTail := append(bytes.Clone(blob), 0xde, 0xad)
	d, err = bcd.DecodeDevice(withTail)
	require.NoError(t, err)
	got, err = d.MarshalBinary()
	require.NoError(t, err)
	testutil.EqualBytes(t, withTail, got)
	// A Raw whose size field is not its length cannot be encoded.
	bad := &bcd.Device{Kind: bcd.DeviceUnknown, Raw: []byte{4, 0, 0, 0}}
	_, err = bad.MarshalBinary()
	require.ErrorIs(t, err, bcd.ErrInvalid)
	// Devices that need a parent and have none.
	_, err = (&bcd.Device{Kind: bcd.DeviceRamdisk, Path: `\x`}).MarshalBinary()
	require.ErrorIs(t, err, bcd.ErrInvalid)
	_, err = (&bcd.Device{Kind: bcd.DeviceFile, Path: `\x`, Parent: &bcd.Device{Kind: bcd.DeviceBoot, Options: bcd.RamdiskOptions}}).MarshalBinary()
	require.ErrorIs(t, err, bcd.ErrInvalid)
}

// Layout of what bcdedit writes for a GPT partition (spec §2.5): the
// partition GUID at 0x20, style 0 at 0x34, the disk GUID at 0x38, in GUID
// binary layout.
func TestDeviceGPTLayout(t *testing.T) {
	p := bcd.Partition{Style: bcd.GPT,
		DiskGUID:      bcd.MustParseGUID("{11111111-2222-3333-4444-555555555555}"),
		PartitionGUID: bcd.MustParseGUID("{66666666-7777-8888-9999-aaaaaaaaaaaa}")}
	b, err := (&bcd.Device{Kind: bcd.DevicePartition, Partition: p}).MarshalBinary()
	require.NoError(t, err)
	require.Len(t, b, 88)
	assert.Equal(t, uint32(6), binary.LittleEndian.Uint32(b[0x10:]))
	assert.Equal(t, uint32(0x48), binary.LittleEndian.Uint32(b[0x18:]))
	assert.Equal(t, p.PartitionGUID[:], b[0x20:0x30])
	assert.Equal(t, uint32(0), binary.LittleEndian.Uint32(b[0x34:]))
	assert.Equal(t, p.DiskGUID[:], b[0x38:0x48])
	assert.Equal(t, []byte{0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44}, b[0x38:0x42])
}
