package bcd

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Friendly names the table does not list with the same number, and why.
var friendlyNotInTable = map[ElementType]string{
	0x17000077: "the TSV lists AllowedInMemorySettings as 0x15000077, an integer-list name with integer format bits; bcdedit stores 17000077 (spec §2.1)",
	0x35000007: "Microsoft Learn lists 0x36000007 (boolean format bits) for a block size; bcdedit stores an integer",
	0x35000008: "Microsoft Learn lists 0x36000008 (boolean format bits) for a window size; bcdedit stores an integer",
	0x25000002: "the TSV's memory tester enum lacks testmix",
}

// Every friendly name stands for an element of the table in the same
// group, and names are unique within a group.
func TestFriendlyTableConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range friendlyTable {
		key := f.name + "/" + string(rune('0'+f.group))
		assert.False(t, seen[key], "duplicate %s", key)
		seen[key] = true
		found := false
		for _, e := range elementTable {
			if e.t == f.t && e.group == f.group {
				found = true
			}
		}
		if _, exc := friendlyNotInTable[f.t]; !exc {
			assert.True(t, found, "%s %s is not in the element table", f.name, f.t.KeyName())
		}
	}
	for _, e := range enumValues {
		_, ok := friendlyName(objectOfGroup(e.group), e.t)
		assert.True(t, ok, "enum values for unnamed element %s", e.t.KeyName())
	}
}

func objectOfGroup(g elementGroup) ObjectType {
	switch g {
	case groupBootMgr:
		return TypeBootMgr
	case groupOSLoader:
		return TypeOSLoader
	case groupResume:
		return TypeResume
	case groupMemDiag:
		return TypeMemDiag
	case groupDevice:
		return TypeDevice
	}
	return TypeOSLoader
}

// The bcdedit names the issue lists, with the numbers of spec §2.3 and
// the object class that gives each its meaning.
func TestRequiredFriendlyNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  ObjectType
		t    ElementType
	}{
		{"device", TypeOSLoader, 0x11000001}, {"path", TypeOSLoader, 0x12000002},
		{"description", TypeBootMgr, 0x12000004}, {"locale", TypeBootMgr, 0x12000005},
		{"inherit", TypeOSLoader, 0x14000006}, {"recoverysequence", TypeOSLoader, 0x14000008},
		{"recoveryenabled", TypeOSLoader, 0x16000009}, {"osdevice", TypeOSLoader, 0x21000001},
		{"systemroot", TypeOSLoader, 0x22000002}, {"resumeobject", TypeOSLoader, 0x23000003},
		{"default", TypeBootMgr, 0x23000003}, {"resumeobject", TypeBootMgr, 0x23000006},
		{"displayorder", TypeBootMgr, 0x24000001}, {"toolsdisplayorder", TypeBootMgr, 0x24000010},
		{"bootsequence", TypeBootMgr, 0x24000002}, {"timeout", TypeBootMgr, 0x25000004},
		{"displaybootmenu", TypeBootMgr, 0x26000020}, {"nointegritychecks", TypeBootMgr, 0x16000048},
		{"nointegritychecks", TypeOSLoader, 0x16000048}, {"testsigning", TypeOSLoader, 0x16000049},
		{"detecthal", TypeOSLoader, 0x26000010}, {"winpe", TypeOSLoader, 0x26000022},
		{"nx", TypeOSLoader, 0x25000020}, {"pae", TypeOSLoader, 0x25000021},
		{"bootmenupolicy", TypeOSLoader, 0x250000c2}, {"loadoptions", TypeOSLoader, 0x12000030},
		{"ramdisksdidevice", TypeDevice, 0x31000003}, {"ramdisksdipath", TypeDevice, 0x32000004},
		{"ramdiskimageoffset", TypeDevice, 0x35000001}, {"ramdiskimagelength", TypeDevice, 0x35000005},
		{"exportascd", TypeDevice, 0x36000006}, {"ramdisktftpblocksize", TypeDevice, 0x35000007},
		{"ramdisktftpwindowsize", TypeDevice, 0x35000008}, {"bootems", TypeInheritLibrary, 0x16000020},
		{"debug", TypeOSLoader, 0x260000a0}, {"hypervisorlaunchtype", TypeOSLoader, 0x250000f0},
		{"filedevice", TypeResume, 0x21000001}, {"filepath", TypeResume, 0x22000002},
		{"detecthal", 0x20200003, 0x26000010},
	} {
		got, err := ParseElementName(tc.obj, tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.t, got, "%s in %v", tc.name, tc.obj)
		assert.Equal(t, tc.name, FriendlyName(tc.obj, tc.t))
	}
	// A class-2 name does not apply to another class of application.
	_, err := ParseElementName(TypeBootMgr, "winpe")
	require.ErrorIs(t, err, ErrUnknownElement)
	_, err = ParseElementName(TypeInheritLibrary, "timeout")
	require.ErrorIs(t, err, ErrUnknownElement)
	assert.Equal(t, "custom:23000003", FriendlyName(TypeInheritLibrary, 0x23000003))
	// Table names depend on the object class too.
	assert.Equal(t, "BcdBootMgrObject_DefaultObject", ElementType(0x23000003).Name(TypeBootMgr))
	assert.Equal(t, "BcdOSLoaderObject_AssociatedResumeObject", ElementType(0x23000003).Name(TypeOSLoader))
	assert.Equal(t, "BcdBootMgrObject_DefaultObject|BcdOSLoaderObject_AssociatedResumeObject", ElementType(0x23000003).String())
	assert.Equal(t, "0x12345678", ElementType(0x12345678).String())
	assert.Equal(t, "", ElementType(0x12345678).Name(TypeOSLoader))
}
