package inf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
)

// stampedViostor returns viostor.inx stamped for amd64 with the given
// DriverVer; edit, when set, changes it further.
func stampedViostor(t *testing.T, ver string, edit func(d *inf.Document)) *inf.Document {
	t.Helper()
	d := parseFixture(t, "inf/virtio-win/viostor.inx")
	o := virtioStamp(inf.AMD64)
	dv, err := inf.ParseDriverVer(splitComma(ver)...)
	require.NoError(t, err)
	o.DriverVer = &dv
	require.NoError(t, d.Stamp(o))
	if edit != nil {
		edit(d)
	}
	return d
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestAudit(t *testing.T) {
	o := mustOS(t, "amd64", "10.0.19041")
	bootWim := stampedViostor(t, "01/01/2020,100.80.104.20000", nil)
	same := stampedViostor(t, "01/01/2020,100.80.104.20000", nil)
	newer := stampedViostor(t, "06/01/2021,100.85.104.20800", nil)
	rep, err := inf.Audit([]inf.Package{{Name: "boot.wim/viostor.inf", Doc: bootWim}, {Name: "copy/viostor.inf", Doc: same}}, o)
	require.NoError(t, err)
	require.Len(t, rep.Groups, 1)
	assert.False(t, rep.Groups[0].VersionsDiffer)
	assert.Empty(t, rep.Conflicts())

	rep, err = inf.Audit([]inf.Package{{Name: "boot.wim/viostor.inf", Doc: bootWim}, {Name: "$WinPEDriver$/viostor.inf", Doc: newer}}, o)
	require.NoError(t, err)
	require.Len(t, rep.Groups, 1)
	g := rep.Groups[0]
	assert.Equal(t, "viostor", g.Service)
	assert.Equal(t, "viostor.sys", g.Binary)
	assert.True(t, g.VersionsDiffer)
	require.Len(t, g.Entries, 2)
	require.Len(t, g.Choices, 4, "every hardware ID both packages list")
	for _, ch := range g.Choices {
		assert.Equal(t, "$WinPEDriver$/viostor.inf", ch.Winner.Package, ch.HardwareID)
		assert.False(t, ch.Tied)
		assert.Equal(t, uint32(0x00FF0000), ch.Winner.Rank&0xFFFF0000)
	}

	// A better rank (lower FeatureScore) beats a later date.
	scored := stampedViostor(t, "01/01/2019,1.0.0.0", func(d *inf.Document) {
		s := d.Section("scsi_inst")
		_, err := s.Append("FeatureScore", "0xFE")
		require.NoError(t, err)
	})
	rep, err = inf.Audit([]inf.Package{{Name: "new", Doc: newer}, {Name: "scored", Doc: scored}}, o)
	require.NoError(t, err)
	for _, ch := range rep.Groups[0].Choices {
		assert.Equal(t, "scored", ch.Winner.Package)
		assert.Equal(t, uint32(0x00FE0000), ch.Winner.Rank&0xFFFF0000)
	}
	// A hardware-ID match beats a compatible-ID match.
	compat := stampedViostor(t, "01/01/2030,9.9.9.9", func(d *inf.Document) {
		for _, l := range d.Section("VioStor.NTamd64").Entries() {
			f := l.RawFields()
			require.NoError(t, l.SetFields(f[0], `PCI\VEN_0000&DEV_0000`, f[1], f[2]))
		}
	})
	rep, err = inf.Audit([]inf.Package{{Name: "compat", Doc: compat}, {Name: "boot", Doc: bootWim}}, o)
	require.NoError(t, err)
	for _, ch := range rep.Groups[0].Choices {
		if ch.HardwareID == `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00` {
			assert.Equal(t, "boot", ch.Winner.Package)
			assert.Equal(t, uint32(0x00FF1000), ch.Candidates[1].Rank)
		}
	}
	// Equal in everything: a tie.
	rep, err = inf.Audit([]inf.Package{{Name: "a", Doc: bootWim}, {Name: "b", Doc: same}}, o)
	require.NoError(t, err)
	assert.True(t, rep.Groups[0].Choices[0].Tied)
	// Unsigned (higher signature score) loses to signed.
	rep, err = inf.Audit([]inf.Package{{Name: "unsigned", Doc: newer, SignatureScore: 0x0D}, {Name: "signed", Doc: bootWim}}, o)
	require.NoError(t, err)
	assert.Equal(t, "signed", rep.Groups[0].Choices[0].Winner.Package)
}
