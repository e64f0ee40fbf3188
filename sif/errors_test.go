package sif_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

const oneDriverOEM = "[Disks]\r\nd1 = \"Disk\",\\tag,\\x86\r\n[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"Adapter A\"\r\n" +
	"[Files.scsi.A]\r\ndriver = d1, %s, a\r\n[HardwareIds.scsi.A]\r\nid = \"PCI\\VEN_1234&DEV_5678\", \"%s\"\r\n"

func oemText(file, svc string) string {
	return sprintf(oneDriverOEM, file, svc)
}

// TestNewSlipstreamErrors is issue 6 acceptance 6 for the txtsetup.oem side:
// each bad input fails with its sentinel before anything is touched.
func TestNewSlipstreamErrors(t *testing.T) {
	tests := []struct {
		name    string
		oem     string
		opts    *sif.SlipstreamOptions
		wantErr error
	}{
		{"unknown ID", oemText("a.sys", "a"), &sif.SlipstreamOptions{ID: "NOPE"}, sif.ErrNotFound},
		{"no defaults and no ID", "[scsi]\r\nA = \"x\"\r\n[Files.scsi.A]\r\ndriver = d1, a.sys\r\n", nil, sif.ErrNotFound},
		{"no driver line", "[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"x\"\r\n[Files.scsi.A]\r\ninf = d1, a.inf\r\n", nil, sif.ErrNoDriver},
		{"no files section", "[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"x\"\r\n", nil, sif.ErrNoDriver},
		{"not 8.3", oemText("verylongname.sys", "verylongname"), nil, sif.ErrInvalid},
		{"path in name", oemText(`..\a.sys`, "a"), nil, sif.ErrInvalid},
		{"bad arch", oemText("a.sys", "a"), &sif.SlipstreamOptions{Arch: inf.ARM64}, sif.ErrInvalid},
		{"not scsi", oemText("a.sys", "a"), &sif.SlipstreamOptions{Component: "computer"}, sif.ErrInvalid},
		{"too many IDs", oemText("a.sys", "a"), &sif.SlipstreamOptions{Limits: sif.Limits{MaxHardwareIDs: 1}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oem := parseOEM(t, tc.oem)
			if tc.wantErr == nil { // the limit case: two IDs against a limit of one
				oem = parseOEM(t, tc.oem+"id = \"PCI\\VEN_1234&DEV_9999\", \"a\"\r\n")
				tc.wantErr = sif.ErrLimit
			}
			_, err := sif.NewSlipstream(oem, tc.opts)
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

// TestApplySIFErrors is issue 6 acceptance 6 for the txtsetup.sif side:
// a conflict or text the file cannot hold is an error and the file is left
// exactly as it was, even when earlier entries would have fit.
func TestApplySIFErrors(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)

	t.Run("SCSI.Load conflict", func(t *testing.T) {
		doc := loadSIF(t, orig)
		_, err := doc.Document().Section("SCSI.Load").Append("viostor", "other.sys", "4")
		require.NoError(t, err)
		before := doc.Bytes()
		_, err = s.ApplySIF(doc)
		require.ErrorIs(t, err, sif.ErrConflict)
		var ee *sif.EntryError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, "SCSI.Load", ee.Section)
		assert.Equal(t, "viostor = other.sys,4", ee.Text)
		testutil.EqualBytes(t, before, doc.Bytes(), "a failed apply leaves the file as it was")
	})

	t.Run("description not representable", func(t *testing.T) {
		oem := parseOEM(t, "[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"驱动程序\"\r\n[Files.scsi.A]\r\ndriver = d1, a.sys, a\r\n")
		cjk := newSlip(t, oem, nil)
		doc := loadSIF(t, orig) // ASCII: read as Windows-1252
		_, err := cjk.ApplySIF(doc)
		require.ErrorIs(t, err, sif.ErrInvalid)
		require.ErrorIs(t, err, inf.ErrEncoding)
		assert.False(t, doc.Modified(), "nothing was applied, not even the [SourceDisksFiles] entry")
		testutil.EqualBytes(t, orig, doc.Bytes())
	})

	t.Run("last line continues", func(t *testing.T) {
		// A last line ending in '\' without a line ending would continue
		// into the lines an edit appends: refused, file unchanged.
		in := []byte("[Version]\r\nSignature = \"$Windows NT$\"\r\nx = a\\")
		doc := loadSIF(t, in)
		_, err := s.ApplySIF(doc)
		require.ErrorIs(t, err, sif.ErrInvalid)
		testutil.EqualBytes(t, in, doc.Bytes())
		h, err := inf.Parse(in, nil)
		require.NoError(t, err)
		_, err = s.ApplyHiveINF(h)
		require.ErrorIs(t, err, sif.ErrInvalid)
		testutil.EqualBytes(t, in, h.Bytes())
	})

	t.Run("existing entries kept", func(t *testing.T) {
		doc := loadSIF(t, orig)
		d := doc.Document()
		_, err := d.Section("SCSI.Load").Append("viostor", "viostor.sys")
		require.NoError(t, err)
		_, err = d.Section("HardwareIdsDatabase").Append(`PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00`, "oldsvc")
		require.NoError(t, err)
		edits, err := s.ApplySIF(doc)
		require.NoError(t, err)
		kinds := map[string]sif.EditKind{}
		for _, e := range edits {
			if e.Section == "SCSI.Load" || e.Section == "HardwareIdsDatabase" {
				kinds[e.Section] = e.Kind
			}
		}
		assert.Equal(t, sif.EditKept, kinds["SCSI.Load"], "same service and file, no destination: kept with a note")
		assert.Equal(t, sif.EditUpdate, kinds["HardwareIdsDatabase"], "the ID is remapped in place")
		assert.Equal(t, `viostor`, doc.Load("SCSI.Load")[len(doc.Load("SCSI.Load"))-1].Service)
		var hw []string
		for _, h := range doc.HardwareIDs() {
			if h.ID == `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00` {
				hw = append(hw, h.Service)
			}
		}
		assert.Equal(t, []string{"viostor"}, hw)
	})
}

// TestMissingSections: a txtsetup.sif without the sections gets them
// created, each noted in the edits, and the result reads back.
func TestMissingSections(t *testing.T) {
	orig := []byte("[Version]\r\nSignature = \"$Windows NT$\"\r\n")
	s := newSlip(t, parseOEM(t, oemText("a.sys", "a")), nil)
	doc := loadSIF(t, orig)
	edits, err := s.ApplySIF(doc)
	require.NoError(t, err)
	var created, notes []string
	for _, e := range edits {
		switch e.Kind {
		case sif.EditCreateSection:
			created = append(created, e.Section)
		case sif.EditNote:
			notes = append(notes, e.Section)
		}
	}
	assert.Equal(t, []string{"SourceDisksFiles.x86", "SCSI.Load", "SCSI", "HardwareIdsDatabase", "FileFlags"}, created)
	assert.Contains(t, notes, "SourceDisksNames", "disk 1 is not defined")
	re := loadSIF(t, doc.Bytes())
	require.Len(t, re.SourceDisksFiles(inf.X86), 1)
	assert.Equal(t, "4_", re.SourceDisksFiles(inf.X86)[0].BootMediaID)
	assert.Equal(t, []sif.LoadEntry{{Service: "a", File: "a.sys", DestDirID: "4", Line: re.Load("SCSI.Load")[0].Line}}, re.Load("SCSI.Load"))
	_, err = s.RemoveSIF(doc)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, doc.Bytes())
}

// TestParseErrors: files that are not INF syntax fail with typed errors.
func TestParseErrors(t *testing.T) {
	_, err := sif.Parse([]byte("a = b\r\n[x]\r\n"), nil)
	require.ErrorIs(t, err, sif.ErrFormat)
	require.ErrorIs(t, err, inf.ErrExpectedSection)
	var fe *sif.FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 1, fe.Line)
	var ife *inf.FormatError
	require.ErrorAs(t, err, &ife)

	_, err = sif.Parse([]byte("[x]\r\na=b\r\n"), &sif.ReadOptions{Limits: sif.Limits{MaxFileSize: 4}})
	require.ErrorIs(t, err, sif.ErrLimit)
	_, err = sif.ParseWinnt([]byte("[SetupData"), nil)
	require.ErrorIs(t, err, sif.ErrFormat)
	_, err = sif.ParseCHKPCI(make([]byte, 10), &sif.ReadOptions{Limits: sif.Limits{MaxFileSize: 9}})
	require.ErrorIs(t, err, sif.ErrLimit)
	_, err = sif.Open("testdata/does-not-exist.sif", nil)
	require.True(t, errors.Is(err, fsErrNotExist), "%v", err)
}

// Hardware IDs that would not read back as the key of a txtsetup.sif line
// (a comma, a quote, %strkey%, a leading [) are skipped with a warning, so
// that a second ApplySIF still finds the lines the first wrote.
func TestBadHardwareIDs(t *testing.T) {
	oem := parseOEM(t, "[Disks]\r\nd1 = \"Disk\",\\tag,\\x86\r\n[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"Adapter A\"\r\n"+
		"[Files.scsi.A]\r\ndriver = d1, a.sys, a\r\n[HardwareIds.scsi.A]\r\n"+
		"id = \"PCI\\VEN_1,2\", \"a\"\r\nid = \"%x%\", \"a\"\r\nid = \"[PCI\\VEN_3\", \"a\"\r\nid = \"x\"\"y\", \"a\"\r\nid = \"PCI\\VEN_4\", \"a\"\r\n")
	s := newSlip(t, oem, nil)
	assert.Equal(t, []string{`PCI\VEN_4`}, s.HardwareIDs)
	n := 0
	for _, w := range s.Warnings {
		if w.Code == "bad-hardware-id" {
			n++
		}
	}
	assert.Equal(t, 4, n, "%v", s.Warnings)
	doc := loadSIF(t, []byte(exampleSIF))
	_, err := s.ApplySIF(doc)
	require.NoError(t, err)
	once := doc.Bytes()
	edits, err := s.ApplySIF(doc)
	require.NoError(t, err)
	assert.Zero(t, sif.CountChanges(edits))
	assert.Equal(t, once, doc.Bytes())
}
