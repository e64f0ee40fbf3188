package sif_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// TestZeroPEList is issue 6 acceptance 5: the CHKPCI.TXT entries of every
// option of virtio-win's txtsetup.oem, one per distinct PCI ID. The expected
// text is derived here from the file's [HardwareIds.scsi.*] sections by the
// rule (drop &REV_xx, prefix $, upper-cased service on the next line), and
// also kept as a reviewed golden file.
func TestZeroPEList(t *testing.T) {
	oem := loadOEM(t, "inf/virtio-win/txtsetup.oem")
	entries, ws := sif.ZeroPEEntries(oem, "")
	assert.Empty(t, ws)

	rev := regexp.MustCompile(`(?i)&REV_[0-9a-f]+`)
	var want strings.Builder
	seen := map[string]bool{}
	sections := 0
	for _, sec := range oem.Doc.Sections() {
		if !strings.HasPrefix(strings.ToLower(sec.Name()), "hardwareids.scsi.") {
			continue
		}
		sections++
		for _, l := range sec.Entries() {
			id := strings.ToUpper(rev.ReplaceAllString(l.Field(0), ""))
			if seen[id] {
				continue
			}
			seen[id] = true
			want.WriteString("$" + id + "\r\n" + strings.ToUpper(l.Field(1)) + "\r\n")
		}
	}
	require.Equal(t, 4, sections, "all four components")
	got := sif.FormatCHKPCI(entries)
	assert.Equal(t, want.String(), string(got))
	assert.Len(t, entries, 2, "viostor and vioscsi, each listed for x86 and amd64")
	testutil.Golden(t, "chkpci_virtio.golden", got)

	// The slipstream of one option lists its own entries.
	s := newSlip(t, oem, &sif.SlipstreamOptions{ID: "WNET32_SCSI"})
	assert.Equal(t, []sif.PCIEntry{{ID: `PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4`, Service: "VIOSCSI"}}, s.PCI)
}

func TestPCIID(t *testing.T) {
	tests := []struct{ in, want string }{
		{`PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00`, `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4`},
		{`pci\ven_8086&dev_2922&rev_02&cc_0106`, `PCI\VEN_8086&DEV_2922&CC_0106`},
		{`PCI\VEN_1000&DEV_0020`, `PCI\VEN_1000&DEV_0020`},
		{`*PNP0600`, ""},
		{`USB\VID_1234`, ""},
		{`PCI\`, ""},
		{`PCI\REV_01`, ""},
	}
	for _, tc := range tests {
		got, ok := sif.PCIID(tc.in)
		assert.Equal(t, tc.want != "", ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// TestCHKPCIEdit: entries are appended in the file's style, a second Add
// changes nothing, Remove gives the original bytes back, whatever the line
// endings and final newline.
func TestCHKPCIEdit(t *testing.T) {
	add := []sif.PCIEntry{{ID: `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4`, Service: "VIOSTOR"}, {ID: `PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4`, Service: "VIOSCSI"}}
	tests := []struct{ name, in, want string }{
		{"empty", "", "$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\r\nVIOSTOR\r\n$PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4\r\nVIOSCSI\r\n"},
		{"crlf", "$PCI\\VEN_8086&DEV_2922\r\nIASTOR\r\n", "$PCI\\VEN_8086&DEV_2922\r\nIASTOR\r\n$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\r\nVIOSTOR\r\n$PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4\r\nVIOSCSI\r\n"},
		{"lf no final newline", "; list\n$PCI\\VEN_8086&DEV_2922\nIASTOR", "; list\n$PCI\\VEN_8086&DEV_2922\nIASTOR\n$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\nVIOSTOR\n$PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4\nVIOSCSI"},
		{"already listed", "$pci\\ven_1af4&dev_1001&subsys_00021af4\r\nviostor\r\n", "$pci\\ven_1af4&dev_1001&subsys_00021af4\r\nviostor\r\n$PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4\r\nVIOSCSI\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := sif.ParseCHKPCI([]byte(tc.in), nil)
			require.NoError(t, err)
			c.Add(add)
			assert.Equal(t, tc.want, string(c.Bytes()))
			assert.Zero(t, sif.CountChanges(c.Add(add)))
			assert.Equal(t, tc.want, string(c.Bytes()))
			re, err := sif.ParseCHKPCI(c.Bytes(), nil)
			require.NoError(t, err)
			re.Remove(add)
			if tc.name == "already listed" {
				assert.Equal(t, "", string(re.Bytes()), "a listed entry with the same service counts as the slipstream's")
				return
			}
			assert.Equal(t, tc.in, string(re.Bytes()))
		})
	}
	c, err := sif.ParseCHKPCI([]byte("$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\r\nOTHER\r\n"), nil)
	require.NoError(t, err)
	edits := c.Add(add[:1])
	require.Len(t, edits, 1)
	assert.Equal(t, sif.EditKept, edits[0].Kind, "0PE takes the first match; the other service stays")
	assert.Zero(t, sif.CountChanges(c.Remove(add[:1])), "removal leaves another service's entry")
}
