package sif_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// driverLines are the txtsetup.sif entries of spec §2.3 for one driver, as
// issue 6 acceptance 1 spells them for viostor.
type driverLines struct {
	file, load, scsi, hwid, flags string
}

var (
	viostorLines = driverLines{
		file:  `viostor.sys = 1,,,,,,4_,4,1,,,1,4`,
		load:  `viostor = viostor.sys,4`,
		scsi:  `viostor = "Red Hat VirtIO BLOCK Disk Device Win2003/32-bit"`,
		hwid:  `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 = "viostor"`,
		flags: `viostor.sys = 16`,
	}
	vioscsiLines = driverLines{
		file:  `vioscsi.sys = 1,,,,,,4_,4,1,,,1,4`,
		load:  `vioscsi = vioscsi.sys,4`,
		scsi:  `vioscsi = "Red Hat VirtIO SCSI Disk Device Win2003/32-bit"`,
		hwid:  `PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00 = "vioscsi"`,
		flags: `vioscsi.sys = 16`,
	}
)

// checkAdded asserts that after differs from before only by the lines
// want (CRLF-terminated, in this order), and that each entry sits in its
// section.
func checkAdded(t *testing.T, before, after []byte, want []string, sections map[string]string) {
	t.Helper()
	removed, added := lineDiff(before, after)
	assert.Empty(t, removed, "no line of the original may change or go")
	var w []string
	for _, l := range want {
		w = append(w, l+"\r\n")
	}
	assert.Equal(t, w, added)
	for text, sec := range sections {
		assert.Equal(t, sec, sectionOf(t, after, text), "section of %s", text)
	}
}

// reparse applies or removes on a fresh parse of b, as a tool working on
// files does, and returns the new bytes.
func reparse(t *testing.T, s *sif.Slipstream, b []byte, remove bool) []byte {
	t.Helper()
	doc := loadSIF(t, b)
	var err error
	if remove {
		_, err = s.RemoveSIF(doc)
	} else {
		_, err = s.ApplySIF(doc)
	}
	require.NoError(t, err)
	return doc.Bytes()
}

// TestSlipstreamReactOS is issue 6 acceptance 1: viostor (WNET32 of
// txtsetup-i386.oem) into ReactOS' txtsetup.sif, then vioscsi (WNET32_SCSI
// of txtsetup.oem) on top; twice gives the same bytes, removal the original.
func TestSlipstreamReactOS(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	viostor := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), &sif.SlipstreamOptions{ID: "WNET32", Arch: inf.X86})
	vioscsi := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup.oem"), &sif.SlipstreamOptions{ID: "WNET32_SCSI", Arch: inf.X86})

	doc := loadSIF(t, orig)
	edits, err := viostor.ApplySIF(doc)
	require.NoError(t, err)
	one := doc.Bytes()
	v := viostorLines
	checkAdded(t, orig, one,
		// [SourceDisksFiles], [HardwareIdsDatabase] and [SCSI.Load] come
		// in file order; [SCSI] and [FileFlags] are new at the end.
		[]string{v.file, v.hwid, v.load, "", "[SCSI]", v.scsi, "", "[FileFlags]", v.flags},
		map[string]string{v.file: "SourceDisksFiles", v.load: "SCSI.Load", v.scsi: "SCSI", v.hwid: "HardwareIdsDatabase", v.flags: "FileFlags"})
	assert.Equal(t, 7, sif.CountChanges(edits), "5 entries and 2 new sections: %v", edits)

	again, err := viostor.ApplySIF(doc)
	require.NoError(t, err)
	assert.Zero(t, sif.CountChanges(again))
	testutil.EqualBytes(t, one, doc.Bytes(), "a second apply changes nothing")
	testutil.EqualBytes(t, one, reparse(t, viostor, one, false), "a second apply on the saved file changes nothing")

	_, err = viostor.RemoveSIF(doc)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, doc.Bytes(), "removal in the same session restores the original")
	testutil.EqualBytes(t, orig, reparse(t, viostor, one, true), "removal from the saved file restores the original")

	// vioscsi alongside viostor.
	two := reparse(t, vioscsi, one, false)
	c := vioscsiLines
	checkAdded(t, one, two, []string{c.file, c.hwid, c.load, c.scsi, c.flags},
		map[string]string{c.file: "SourceDisksFiles", c.load: "SCSI.Load", c.scsi: "SCSI", c.hwid: "HardwareIdsDatabase", c.flags: "FileFlags"})
	testutil.EqualBytes(t, two, reparse(t, vioscsi, two, false), "vioscsi twice")
	testutil.EqualBytes(t, two, reparse(t, viostor, two, false), "viostor again on top")
	testutil.EqualBytes(t, one, reparse(t, vioscsi, two, true), "removing vioscsi gives the viostor file")
	testutil.EqualBytes(t, orig, reparse(t, viostor, reparse(t, vioscsi, two, true), true), "then removing viostor gives the original")
	// The other order: viostor out first, its sections stay for vioscsi.
	onlyScsi := reparse(t, viostor, two, true)
	checkAdded(t, orig, onlyScsi, []string{c.file, c.hwid, c.load, "", "[SCSI]", c.scsi, "", "[FileFlags]", c.flags}, nil)
	testutil.EqualBytes(t, orig, reparse(t, vioscsi, onlyScsi, true), "removing both in the other order")
}

// TestSlipstreamPlan: PlanSIF reports the edits ApplySIF makes and changes
// nothing.
func TestSlipstreamPlan(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	doc := loadSIF(t, orig)
	plan, err := s.PlanSIF(doc)
	require.NoError(t, err)
	assert.False(t, doc.Modified())
	got, err := s.ApplySIF(doc)
	require.NoError(t, err)
	assert.Equal(t, plan, got)
	var created []string
	for _, e := range got {
		if e.Kind == sif.EditCreateSection {
			created = append(created, e.Section)
		}
	}
	assert.Equal(t, []string{"SCSI", "FileFlags"}, created, "the plan notes the sections it creates")
}

// TestSlipstreamAMD64: the amd64 option into ReactOS' txtsetup.sif, and an
// option whose disk directory names the other architecture.
func TestSlipstreamAMD64(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	oem := loadOEM(t, "inf/virtio-win/txtsetup-amd64.oem")
	s := newSlip(t, oem, &sif.SlipstreamOptions{Arch: inf.AMD64, DriverINF: stampedINF(t, "inf/virtio-win/viostor.inx", inf.AMD64)})
	assert.Equal(t, "WNET64", s.ID)
	assert.Equal(t, "AMD64/viostor.sys", s.Copies[0].Media)
	assert.NotContains(t, codesOf(s.Warnings), "arch-mismatch")
	doc := loadSIF(t, orig)
	_, err := s.ApplySIF(doc)
	require.NoError(t, err)
	assert.Equal(t, "SourceDisksFiles", sectionOf(t, doc.Bytes(), "viostor.sys = 1,,,,,,4_,4,1,,,1,4"),
		"[SourceDisksFiles.amd64] is empty in ReactOS, so the undecorated section is used")
	dir, _ := sif.MediaDirFor(doc, inf.AMD64, "")
	assert.Equal(t, "amd64/viostor.sys", s.CopyPlan(dir)[0].Media)

	mismatch := newSlip(t, oem, &sif.SlipstreamOptions{Arch: inf.X86})
	assert.Contains(t, codesOf(mismatch.Warnings), "arch-mismatch")

	// An explicit section and field template.
	custom := newSlip(t, oem, &sif.SlipstreamOptions{Arch: inf.AMD64, FilesSection: "SourceDisksFiles.amd64", Fields: &sif.FieldsNeverCopy, NoFileFlags: true})
	doc = loadSIF(t, orig)
	_, err = custom.ApplySIF(doc)
	require.NoError(t, err)
	assert.Equal(t, "SourceDisksFiles.amd64", sectionOf(t, doc.Bytes(), "viostor.sys = 1,,,,,,4_,4,3,3,,1,4"))
	assert.Empty(t, doc.FileFlags())
	_, err = custom.RemoveSIF(doc)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, doc.Bytes())
}

// TestSlipstreamWin2000Note: Windows 2000 media (MinorVersion = 0) get a
// note about the field template.
func TestSlipstreamWin2000Note(t *testing.T) {
	b := []byte("[SetupData]\r\nMinorVersion = 0\r\n[SourceDisksNames]\r\n1 = \"CD\",tag,,\\i386\r\n[WinntDirectories]\r\n4 = system32\\drivers\r\n")
	s := newSlip(t, parseOEM(t, oemText("a.sys", "a")), nil)
	edits, err := s.PlanSIF(loadSIF(t, b))
	require.NoError(t, err)
	var notes []string
	for _, e := range edits {
		if e.Kind == sif.EditNote {
			notes = append(notes, e.Section)
		}
	}
	assert.Equal(t, []string{"SetupData"}, notes)
	s2 := newSlip(t, parseOEM(t, oemText("a.sys", "a")), &sif.SlipstreamOptions{Fields: &sif.FieldsWin2000})
	edits, err = s2.PlanSIF(loadSIF(t, b))
	require.NoError(t, err)
	for _, e := range edits {
		assert.NotEqual(t, sif.EditNote, e.Kind, "%v", e)
	}
}
