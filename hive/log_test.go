package hive_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// yarpNTUSER is the SHA-256 of the hive that yarp (Maxim Suhanov's
// reference implementation of the registry format, whose recovery follows
// his specification) produces from regipy's transactions_NTUSER.DAT and its
// two logs, as recorded with the same files in a public test suite (TRACE,
// tests/test_regf_log.py), together with 23 entries, sequence 566 to 588,
// taken from the .log1 only.
const yarpNTUSER = "0a7a7b2d1eb24ab63455f5a83e554601d88fe558d0ba1c1068a7e1102c79a092"

type hvle struct {
	off        int
	seq, pages uint32
	size       int
}

// hvleEntries walks the HvLE entries of a log on its own.
func hvleEntries(log []byte) []hvle {
	var out []hvle
	for off := 512; off+40 <= len(log) && string(log[off:off+4]) == "HvLE"; {
		size := int(binary.LittleEndian.Uint32(log[off+4:]))
		out = append(out, hvle{off, binary.LittleEndian.Uint32(log[off+12:]), binary.LittleEndian.Uint32(log[off+20:]), size})
		off += size
	}
	return out
}

func ntuserLogs(t *testing.T) (primary, log1, log2 []byte) {
	return testutil.ReadFixture(t, "hive/regipy_transactions_NTUSER.DAT"),
		testutil.ReadFixture(t, "hive/regipy_transactions_ntuser.dat.log1"),
		testutil.ReadFixture(t, "hive/regipy_transactions_ntuser.dat.log2")
}

func TestReplayNewFormat(t *testing.T) {
	primary, log1, log2 := ntuserLogs(t)
	before, err := hive.Parse(primary, nil)
	require.NoError(t, err)
	require.True(t, before.Dirty())
	// The primary's secondary sequence number is where replay starts; count
	// the pages of the consecutive log1 entries from there.
	start := before.Header().Sequence2
	var wantPages, wantEntries int
	next := start
	for _, e := range hvleEntries(log1) {
		if e.seq == next {
			wantPages += int(e.pages)
			wantEntries++
			next++
		}
	}
	require.Positive(t, wantEntries)

	for _, order := range [][][]byte{{log1, log2}, {log2, log1}} {
		h, err := hive.Parse(primary, nil)
		require.NoError(t, err)
		res, err := h.Replay(order...)
		require.NoError(t, err)
		assert.Equal(t, hive.LogNew, res.Format)
		assert.Equal(t, wantEntries, res.Entries)
		assert.Equal(t, wantPages, res.Pages)
		assert.Equal(t, start, res.FirstSeq)
		assert.Equal(t, next-1, res.Sequence)
		out := h.Bytes()
		sum := sha256.Sum256(out)
		assert.Equal(t, yarpNTUSER, hex.EncodeToString(sum[:]), "recovered hive differs from yarp's")
		assert.False(t, h.Dirty())
		hd := h.Header()
		assert.Equal(t, hd.Sequence1, hd.Sequence2)
		assert.True(t, hd.ChecksumOK)
		assert.Empty(t, h.Check())
	}
	assert.Equal(t, 23, wantEntries)
	assert.Equal(t, uint32(566), start)

	h, err := hive.Parse(primary, nil)
	require.NoError(t, err)
	_, err = h.Replay(log1, log2)
	require.NoError(t, err)
	validateTools(t, saveTemp(t, h, "NTUSER.DAT"))

	// What only the logs held.
	_, err = before.OpenKey(`Software\Microsoft\Payment`)
	require.ErrorIs(t, err, hive.ErrNotFound)
	_, err = h.OpenKey(`Software\Microsoft\Payment\PaymentApps`)
	require.NoError(t, err)
	od, err := before.OpenKey(`Software\Microsoft\OneDrive`)
	require.NoError(t, err)
	_, err = od.Value("StandaloneUpdaterSafeMode")
	require.ErrorIs(t, err, hive.ErrNotFound)
	od, err = h.OpenKey(`Software\Microsoft\OneDrive`)
	require.NoError(t, err)
	_, err = od.Value("StandaloneUpdaterSafeMode")
	require.NoError(t, err)

	// A clean hive is left alone.
	res, err := h.Replay(log1, log2)
	require.NoError(t, err)
	assert.Equal(t, hive.LogNone, res.Format)
}

// A damaged entry stops the replay with an error and nothing changes.
func TestReplayBadHash(t *testing.T) {
	primary, log1, log2 := ntuserLogs(t)
	es := hvleEntries(log1)
	require.Greater(t, len(es), 5)
	tests := []struct {
		name string
		at   int // byte offset to damage inside the fifth entry
	}{
		{"page data (hash-1)", 600},
		{"header (hash-2)", 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(log1)
			bad[es[4].off+tt.at] ^= 0xFF
			h, err := hive.Parse(primary, nil)
			require.NoError(t, err)
			_, err = h.Replay(bad, log2)
			require.ErrorIs(t, err, hive.ErrReplay)
			require.ErrorIs(t, err, hive.ErrChecksum)
			testutil.EqualBytes(t, primary, h.Bytes())
			assert.True(t, h.Dirty())
		})
	}
}

// A damaged primary base block is recovered from the log.
func TestReplayRecoversBaseBlock(t *testing.T) {
	primary, log1, log2 := ntuserLogs(t)
	p := bytes.Clone(primary)
	p[100] ^= 0xFF // inside the file name field: checksum no longer matches
	h, err := hive.Parse(p, nil)
	require.NoError(t, err)
	res, err := h.Replay(log1, log2)
	require.NoError(t, err)
	assert.True(t, res.RecoveredBB)
	assert.Positive(t, res.Entries)
	assert.False(t, h.Dirty())
	assert.Empty(t, h.Check())
}

func TestReplayErrors(t *testing.T) {
	primary, log1, _ := ntuserLogs(t)
	notLog := testutil.ReadFixture(t, "bcd/bcd_bcdsys_empty_template.bcd")
	badSum := bytes.Clone(log1)
	badSum[508] ^= 1
	tests := []struct {
		name string
		logs [][]byte
		want error
	}{
		{"short", [][]byte{log1[:100]}, hive.ErrReplay},
		{"not regf", [][]byte{make([]byte, 4096)}, hive.ErrReplay},
		{"primary, not a log", [][]byte{notLog}, hive.ErrUnsupported},
		{"log checksum", [][]byte{badSum}, hive.ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hive.Parse(primary, nil)
			require.NoError(t, err)
			_, err = h.Replay(tt.logs...)
			require.ErrorIs(t, err, tt.want)
			testutil.EqualBytes(t, primary, h.Bytes())
		})
	}
	// An empty log file (a .LOG beside .LOG1/.LOG2) is ignored.
	h, err := hive.Parse(primary, nil)
	require.NoError(t, err)
	res, err := h.Replay(nil, log1)
	require.NoError(t, err)
	assert.Equal(t, 23, res.Entries)
}

// buildOldLog writes an old-format log that turns the bins of from into
// those of to: a base block copy (file type 1) with from's timestamp, DIRT
// and the bitmap of differing 512-byte pages, then those pages. It follows
// the format description independently of the package's replay code.
func buildOldLog(t testing.TB, from, to []byte) ([]byte, int) {
	t.Helper()
	toBins := int(binary.LittleEndian.Uint32(to[40:]))
	bb := bytes.Clone(to[:512])
	copy(bb[12:20], from[12:20]) // the primary's last-written time
	binary.LittleEndian.PutUint32(bb[28:], 1)
	setChecksum(bb)
	nbits := toBins / 512
	bitmap := make([]byte, (nbits+7)/8)
	var pages []byte
	for i := range nbits {
		a := 4096 + i*512
		var old []byte
		if a+512 <= len(from) && a < 4096+int(binary.LittleEndian.Uint32(from[40:])) {
			old = from[a : a+512]
		}
		if !bytes.Equal(old, to[a:a+512]) {
			bitmap[i/8] |= 1 << (i % 8)
			pages = append(pages, to[a:a+512]...)
		}
	}
	log := append(bb, []byte("DIRT")...)
	log = append(log, bitmap...)
	for len(log)%512 != 0 {
		log = append(log, 0)
	}
	return append(log, pages...), len(pages) / 512
}

func TestReplayOldFormat(t *testing.T) {
	orig := testutil.ReadFixture(t, "bcd/bcd_ntloader3_bcdedit.bcd")
	h, err := hive.Parse(orig, nil)
	require.NoError(t, err)
	require.NoError(t, h.SetRawValue(`Objects\{11111111-2222-3333-4444-555555555555}\Elements\12000004`, "Element", uint32(hive.String), hive.EncodeString("logged only")))
	require.NoError(t, h.DeleteKey(`Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}`))
	big := bytes.Repeat([]byte{0x5A}, 9000)
	require.NoError(t, h.SetRawValue(`Big`, "blob", uint32(hive.Binary), big)) // grows the bins
	edited := h.Bytes()
	log, npages := buildOldLog(t, orig, edited)
	require.Positive(t, npages)

	// The primary as a crash left it: the old bins, sequence numbers apart.
	primary := bytes.Clone(orig)
	binary.LittleEndian.PutUint32(primary[4:], binary.LittleEndian.Uint32(primary[8:])+1)
	setChecksum(primary)

	p, err := hive.Parse(primary, nil)
	require.NoError(t, err)
	require.True(t, p.Dirty())
	res, err := p.Replay(log)
	require.NoError(t, err)
	assert.Equal(t, hive.LogOld, res.Format)
	assert.Equal(t, npages, res.Pages)
	assert.False(t, p.Dirty())
	assert.Empty(t, p.Check())
	out := p.Bytes()
	bins := binary.LittleEndian.Uint32(edited[40:])
	testutil.EqualBytes(t, edited[4096:4096+bins], out[4096:4096+bins])
	typ, data, ok, err := p.RawValue(`Objects\{11111111-2222-3333-4444-555555555555}\Elements\12000004`, "Element")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint32(hive.String), typ)
	assert.Equal(t, hive.EncodeString("logged only"), data)
	validateTools(t, saveTemp(t, p, "BCD"))

	// A log written for another state of the hive (other timestamp) does
	// not apply.
	other := bytes.Clone(log)
	other[12] ^= 1
	setChecksum(other)
	p2, err := hive.Parse(primary, nil)
	require.NoError(t, err)
	res, err = p2.Replay(other)
	require.NoError(t, err)
	assert.Equal(t, hive.LogNone, res.Format)
	assert.True(t, p2.Dirty())

	// Truncated dirty pages: an error, nothing written.
	p3, err := hive.Parse(primary, nil)
	require.NoError(t, err)
	_, err = p3.Replay(log[:len(log)-512])
	require.ErrorIs(t, err, hive.ErrReplay)
	testutil.EqualBytes(t, primary, p3.Bytes())
}

// setChecksum stores the XOR-32 checksum of a base block's first 508 bytes
// (the spec's algorithm, written out independently of the package).
func setChecksum(bb []byte) {
	var x uint32
	for i := 0; i < 508; i += 4 {
		x ^= binary.LittleEndian.Uint32(bb[i:])
	}
	switch x {
	case 0:
		x = 1
	case 0xFFFFFFFF:
		x = 0xFFFFFFFE
	}
	binary.LittleEndian.PutUint32(bb[508:], x)
}
