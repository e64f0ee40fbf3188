package sif_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// TestSIFModel reads ReactOS' txtsetup.sif through the typed views.
func TestSIFModel(t *testing.T) {
	b := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	s := loadSIF(t, b)
	testutil.EqualBytes(t, b, s.Bytes(), "lossless")
	assert.False(t, s.Modified())

	files := s.SourceDisksFiles("")
	require.Len(t, files, 50)
	// The 13 named fields are the 13 positions of the line, in order.
	for _, f := range files {
		raw := f.Line.Fields()
		named := []string{f.DiskID, f.Subdir, f.Size, f.Checksum, f.Unused1, f.Unused2, f.BootMediaID, f.DestDirID,
			f.UpgradeDisposition, f.InstallDisposition, f.DestName, f.WinPEDiskID, f.WinPEDirID}
		for i, v := range named {
			want := ""
			if i < len(raw) {
				want = raw[i]
			}
			assert.Equal(t, want, v, "%s field %d", f.Name, i+1)
		}
		assert.Equal(t, raw, f.Fields(), "%s: Fields gives the line back", f.Name)
	}
	assert.Equal(t, sif.SourceDisksFile{Name: "acpi.sys", DiskID: "1", DestDirID: "4", UpgradeDisposition: "1", WinPEDiskID: "1", WinPEDirID: "4", Line: files[0].Line}, files[0])
	assert.Equal(t, "x", files[1].BootMediaID, "ReactOS' load-in-setupldr marker")
	assert.Empty(t, s.SourceDisksFiles(inf.X86))
	assert.Equal(t, "SourceDisksFiles", s.FilesSection(inf.X86), "ReactOS lists drivers in the undecorated section")

	d, ok := s.SourceDisk(inf.X86, "1")
	require.True(t, ok)
	assert.Equal(t, `\reactos`, d.Subdir)
	dir, ok := sif.MediaDirFor(s, inf.AMD64, "")
	require.True(t, ok)
	assert.Equal(t, "amd64", dir)
	assert.Equal(t, "_1", s.SourceDisksNames("")[0].ID)

	assert.Equal(t, "Directories", s.DirectoriesSection())
	p, ok := s.Directory("4")
	assert.True(t, ok)
	assert.Equal(t, `system32\drivers`, p)
	assert.Equal(t, `\`, s.Directories()[0].Path)

	assert.Equal(t, []string{"BootBusExtenders.Load", "InputDevicesSupport.Load", "Keyboard.Load", "BusExtenders.Load", "SCSI.Load"}, s.LoadSections())
	load := s.Load("SCSI.Load")
	require.Len(t, load, 4)
	assert.Equal(t, "uniata", load[0].Service)
	assert.Equal(t, "uniata.sys", load[0].File)
	assert.Equal(t, "", load[0].DestDirID)

	var kbd sif.HardwareIDEntry
	for _, h := range s.HardwareIDs() {
		if h.ID == "HID_DEVICE_SYSTEM_KEYBOARD" {
			kbd = h
		}
	}
	assert.Equal(t, "kbdhid", kbd.Service)
	assert.Equal(t, "{4D36E96B-E325-11CE-BFC1-08002BE10318}", kbd.ClassGUID)
	v, ok := s.SetupData("OsLoadOptions")
	assert.True(t, ok)
	assert.Equal(t, "/NOGUIBOOT /NODEBUG", v)
	assert.Empty(t, s.Descriptions("SCSI"))
	assert.Empty(t, s.FileFlags())
}

// TestDuplicateSourceDisksFiles: the same file listed for two destinations
// (dockur/windows' iaStor.sys) is two entries, and a slipstream of that
// driver recognises its own destination among them.
func TestDuplicateSourceDisksFiles(t *testing.T) {
	b := []byte("[SourceDisksNames.x86]\r\n1 = \"CD\",cdtag,,\\i386\r\n[WinntDirectories]\r\n1 = \"\\\"\r\n4 = system32\\drivers\r\n" +
		"[SourceDisksFiles.x86]\r\niaStor.sys = 1,,,,,,4_,4,1,,,1,4\r\niaStor.sys = 1,,,,,,,1,0,0\r\n" +
		"[FileFlags]\r\niaStor.sys = 0x10\r\n")
	s := loadSIF(t, b)
	files := s.SourceDisksFiles(inf.X86)
	require.Len(t, files, 2)
	assert.Equal(t, []string{"4", "1"}, []string{files[0].DestDirID, files[1].DestDirID})
	assert.Equal(t, []string{"1", "", "", "", "", "", "", "1", "0", "0"}, files[1].Fields())
	flags, ok := s.FileFlags()[0].Value()
	assert.True(t, ok)
	assert.Equal(t, uint32(16), flags)

	oem := parseOEM(t, oemText("iaStor.sys", "iaStor"))
	slip := newSlip(t, oem, nil)
	edits, err := slip.ApplySIF(s)
	require.NoError(t, err)
	got := map[string]sif.EditKind{}
	for _, e := range edits {
		if e.Kind != sif.EditNote {
			got[e.Section] = e.Kind
		}
	}
	assert.Equal(t, sif.EditUnchanged, got["SourceDisksFiles.x86"], "the entry for directory 4 is the driver's")
	assert.Equal(t, sif.EditKept, got["FileFlags"], "0x10 is not written as 16: kept")
	assert.Len(t, s.SourceDisksFiles(inf.X86), 2)
	out, err := slip.RemoveSIF(s)
	require.NoError(t, err)
	assert.Equal(t, 7, sif.CountChanges(out), "4 entries and the 3 sections the apply created: %v", out)
	want := strings.Replace(string(b), "iaStor.sys = 1,,,,,,4_,4,1,,,1,4\r\n", "", 1)
	assert.Equal(t, want, string(s.Bytes()), "removal takes the driver's entry even if it was there before")
}

// TestSourceDisksFileFields: presets and extra fields render as txtsetup.sif
// writes them.
func TestSourceDisksFileFields(t *testing.T) {
	tests := []struct {
		f    sif.SourceDisksFile
		want string
	}{
		{sif.FieldsXP2003, "1,,,,,,4_,4,1,,,1,4"},
		{sif.FieldsNeverCopy, "1,,,,,,4_,4,3,3,,1,4"},
		{sif.FieldsWin2000, "1,,,,,,_x,4,1"},
		{sif.ParseSourceDisksFile("a", []string{"1", "", "", "", "", "", "", "", "", "", "", "", "", "x", ""}), "1,,,,,,,,,,,,,x"},
		{sif.SourceDisksFile{}, ""},
	}
	for _, tc := range tests {
		f := tc.f
		f.Name = "f.sys"
		assert.Equal(t, "f.sys = "+tc.want, f.String())
	}
}

// TestFixturesRoundTrip: every INF-family fixture reads and writes back
// unchanged as a txtsetup.sif.
func TestFixturesRoundTrip(t *testing.T) {
	for _, dir := range []string{"inf/reactos", "inf/virtio-win", "inf/wds"} {
		for _, p := range testutil.Fixtures(t, dir, "*") {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			s, err := sif.Parse(b, nil)
			require.NoError(t, err, p)
			testutil.EqualBytes(t, b, s.Bytes(), p)
		}
	}
}
