package sif_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/sif"
)

// replayRemovals applies removal edits to the lines of before, one after
// the other as their Line numbers say (a removed entry's line; a removed
// section's header and the blank line before it), checking each against
// the text the edit names, and returns the result.
func replayRemovals(t *testing.T, before []byte, edits []sif.Edit) string {
	t.Helper()
	lines := strings.SplitAfter(string(before), "\n")
	del := func(i int) { lines = append(lines[:i], lines[i+1:]...) }
	for _, e := range edits {
		switch e.Kind {
		case sif.EditRemove:
			require.Equal(t, e.Old, strings.TrimRight(lines[e.Line-1], "\r\n"), "%v", e)
			del(e.Line - 1)
		case sif.EditRemoveSection:
			require.Equal(t, "["+e.Section+"]", strings.TrimRight(lines[e.Line-1], "\r\n"), "%v", e)
			del(e.Line - 1)
			if e.Line >= 2 && strings.TrimSpace(lines[e.Line-2]) == "" {
				del(e.Line - 2)
			}
		}
	}
	return strings.Join(lines, "")
}

// The line numbers of removal edits are those each line has when it is
// removed, the removals taken in the order of the edits: replaying them on
// the file gives what RemoveSIF and RemoveHiveINF leave. The entries are
// spread over sections above and below one another, so that removals
// shift the lines of later ones in both directions.
func TestRemoveEditLines(t *testing.T) {
	oem := parseOEM(t, "[Disks]\r\nd1 = \"Disk\",\\tag,\\x86\r\n[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"Adapter A\"\r\n"+
		"[Files.scsi.A]\r\ndriver = d1, a.sys, a\r\n[HardwareIds.scsi.A]\r\n"+
		"id = \"PCI\\VEN_1234&DEV_0001\", \"a\"\r\nid = \"PCI\\VEN_1234&DEV_0002\", \"a\"\r\nid = \"PCI\\VEN_1234&DEV_0003\", \"a\"\r\n")
	s := newSlip(t, oem, nil)
	in := "[FileFlags]\r\nother.sys = 16\r\n" +
		"[HardwareIdsDatabase]\r\nPCI\\VEN_9999 = \"x\"\r\n" +
		"[SCSI.Load]\r\natapi = atapi.sys,4\r\n" +
		"[SourceDisksFiles.x86]\r\natapi.sys = 1,,,,,,3_,4,1,,,1,4\r\n" +
		"[SourceDisksNames.x86]\r\n1 = \"CD\",cdtag,,\\i386\r\n"
	doc := loadSIF(t, []byte(in))
	_, err := s.ApplySIF(doc)
	require.NoError(t, err)
	applied := doc.Bytes()
	edits, err := s.RemoveSIF(doc)
	require.NoError(t, err)
	require.Equal(t, in, string(doc.Bytes()))
	require.Equal(t, in, replayRemovals(t, applied, edits))

	hivesys := "[Version]\r\nSignature = \"$Windows NT$\"\r\n\r\n[AddReg]\r\nHKLM,\"SYSTEM\\Setup\",\"x\",0x00010001,1\r\n"
	d, err := inf.Parse([]byte(hivesys), nil)
	require.NoError(t, err)
	_, err = s.ApplyHiveINF(d)
	require.NoError(t, err)
	// Lines of another value between the slipstream's.
	for l := range d.Lines() {
		if strings.Contains(l.Text(), "Service") {
			_, err := l.InsertAfter(`HKLM,"SYSTEM\Other","y",0x00010001,2`)
			require.NoError(t, err)
		}
	}
	applied = d.Bytes()
	edits, err = s.RemoveHiveINF(d)
	require.NoError(t, err)
	require.Equal(t, string(d.Bytes()), replayRemovals(t, applied, edits))
	require.Contains(t, string(d.Bytes()), `"SYSTEM\Other"`)
}
