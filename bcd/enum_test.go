package bcd_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func enum(t *testing.T, s *bcd.Store, what string, opts *bcd.EnumOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, s.Enum(&buf, what, opts))
	return buf.String()
}

// Acceptance 1: Enum all /v of the bcdedit-made store, kept as a golden
// file (our rendering, reviewed against spec §2.7).
func TestEnumGolden(t *testing.T) {
	s := openFixture(t, ntloader3)
	got := enum(t, s, "all", &bcd.EnumOptions{Syntax: bcd.Syntax{Verbose: true}})
	testutil.Golden(t, "enum_all_v_ntloader3.golden", []byte(got))

	ramdiskOpts := bcd.RamdiskOptions.String()
	part := fixtureDrives(t)["C:"].String()
	for _, want := range []string{
		"\nWindows Boot Manager\n--------------------\nidentifier              " + bcd.BootMgr.String() + "\n",
		"\nWindows Boot Loader\n-------------------\n",
		"\nDevice options\n--------------\nidentifier              " + ramdiskOpts + "\n",
		"device                  ramdisk=[" + part + `]\`,
		".wim," + ramdiskOpts + "\n",
		"osdevice                ramdisk=[" + part + `]\`,
		"device                  vhd=[" + part + `]\`,
		"osdevice                vhd=[" + part + `]\`,
		"device                  partition=" + part + "\n",
		"ramdisksdidevice        boot\n",
		"ramdisksdipath          \\boot\\boot.sdi\n",
		"ramdiskimageoffset      65536\n",
		"exportascd              Yes\n",
		"timeout                 1\n",
		"displaybootmenu         No\n",
		"nx                      OptIn\n",
		"pae                     Default\n",
		"graphicsresolution      1024x768\n",
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "custom:")
	assert.NotContains(t, got, "{bootmgr}", "/v prints GUIDs")

	// Every line is a title, dashes, or a name padded to 24 columns.
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if l == "" || !strings.Contains(l, "  ") {
			continue
		}
		assert.GreaterOrEqual(t, len(l), 25, l)
		assert.Equal(t, byte(' '), l[23], "name padded to 24 columns: %q", l)
		assert.NotEqual(t, byte(' '), l[24], "value at column 24: %q", l)
	}
}

// Without /v, well-known objects print as aliases, the default loader as
// {default}, and drive letters replace partition identities.
func TestEnumAliasesAndDrives(t *testing.T) {
	s := openFixture(t, ntloader3)
	got := enum(t, s, "", &bcd.EnumOptions{Syntax: bcd.Syntax{Drives: fixtureDrives(t)}})
	assert.True(t, strings.HasPrefix(got, "\nWindows Boot Manager\n--------------------\nidentifier              {bootmgr}\n"), got)
	assert.Contains(t, got, "default                 {default}\n")
	assert.Contains(t, got, "displayorder            {default}\n")
	assert.Contains(t, got, "\nWindows Boot Loader\n-------------------\nidentifier              {default}\n")
	assert.Contains(t, got, "device                  ramdisk=[C:]\\")
	assert.Contains(t, got, ".wim,{ramdiskoptions}\n")
	// active: {bootmgr} and its displayorder only.
	assert.Equal(t, 2, strings.Count(got, "identifier"))

	all := enum(t, s, "ALL", nil)
	assert.Contains(t, all, "inherit                 {resumeloadersettings}\n")
	assert.Contains(t, all, "\nResume Loader Settings\n")
	assert.Contains(t, all, "\nBoot Loader Settings\n")
	assert.Contains(t, all, "\nGlobal Settings\n")
	assert.Contains(t, all, "\nResume from Hibernate\n")
	assert.Contains(t, all, "filedevice              partition=mbr:")
	assert.Equal(t, len(objects(t, s)), strings.Count(all, "identifier"))

	// Selections.
	for what, n := range map[string]int{"bootmgr": 1, "osloader": 3, "resume": 1, "inherit": 4, "device": 1,
		"bootapp": 4, "firmware": 0, "{ramdiskoptions}": 1, "{default}": 1} {
		assert.Equal(t, n, strings.Count(enum(t, s, what, nil), "identifier"), what)
	}
	var buf bytes.Buffer
	err := s.Enum(&buf, "everything", nil)
	require.ErrorIs(t, err, bcd.ErrUsage)
	err = s.Enum(&buf, "{nosuch}", nil)
	require.ErrorIs(t, err, bcd.ErrInvalidID)
}

// Unknown elements print as custom:XXXXXXXX with their value; elements
// that do not decode print their bytes.
func TestEnumUnknownElements(t *testing.T) {
	s, err := bcd.New(nil)
	require.NoError(t, err)
	o, err := s.Create(bcd.GUID{}, bcd.TypeOSLoader)
	require.NoError(t, err)
	require.NoError(t, o.Set(0x250000aa, bcd.Integer(255)))
	require.NoError(t, o.Set(0x12000999, bcd.String("hello")))
	require.NoError(t, o.Set(0x17000077, bcd.IntegerList{0x15000075}))
	require.NoError(t, o.Set(0x26000010, bcd.Raw{Type: 1, Data: []byte{1, 0}}))
	require.NoError(t, o.Set(0x25000004, bcd.Raw{Type: 3, Data: []byte{1, 2, 3}})) // short integer (offreg)
	require.NoError(t, o.Set(0x14000006, bcd.ObjectList{}))
	got := enum(t, s, o.ID().String(), nil)
	assert.Contains(t, got, "custom:250000aa         0xff\n")
	assert.Contains(t, got, "custom:12000999         hello\n")
	assert.Contains(t, got, "allowedinmemorysettings 0x15000075\n")
	assert.Contains(t, got, "detecthal               hex(1):01,00\n")
	assert.Contains(t, got, "custom:25000004         0x30201\n", "short integers read zero-extended (unnamed: hex)")
	assert.Contains(t, got, "inherit\n")
	els, err := o.Elements()
	require.NoError(t, err)
	for _, e := range els {
		if e.Type == 0x26000010 {
			require.ErrorIs(t, e.Err, bcd.ErrFormat)
		}
	}
}
