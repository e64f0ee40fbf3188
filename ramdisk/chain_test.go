package ramdisk_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/ramdisk"
)

func TestChainMenus(t *testing.T) {
	entries := []ramdisk.ChainEntry{
		{Label: "Test PE (x86)", Program: "test/pxetest.0"},
		{Label: "XP PE", ID: "xppe", Program: "netperom.n12"},
	}
	px, err := ramdisk.PXELinuxChainMenu(entries...)
	require.NoError(t, err)
	assert.Equal(t, "label test-pe-x86\n  menu label Test PE (x86)\n  kernel test/pxetest.0\n"+
		"\nlabel xppe\n  menu label XP PE\n  pxe netperom.n12\n", px)

	g4, err := ramdisk.Grub4DOSChainMenu(entries...)
	require.NoError(t, err)
	assert.Equal(t, "title Test PE (x86)\npxe keep\nchainloader --raw (pd)/test/pxetest.0\n"+
		"\ntitle XP PE\npxe keep\nchainloader --raw (pd)/netperom.n12\n", g4)

	// Defaults: label WinPE, ID winpe; a leading slash is not doubled.
	g4, err = ramdisk.Grub4DOSChainMenu(ramdisk.ChainEntry{Program: "/pxeboot.0"})
	require.NoError(t, err)
	assert.Equal(t, "title WinPE\npxe keep\nchainloader --raw (pd)/pxeboot.0\n", g4)
	px, err = ramdisk.PXELinuxChainMenu(ramdisk.ChainEntry{Program: "pxeboot.0"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(px, "label winpe\n  menu label WinPE\n"), px)

	none, err := ramdisk.PXELinuxChainMenu()
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestChainMenuErrors(t *testing.T) {
	for name, e := range map[string]ramdisk.ChainEntry{
		"no program":    {Label: "x"},
		"space":         {Program: "a b.0"},
		"line break":    {Label: "a\nkernel evil.0", Program: "a.0"},
		"id with space": {ID: "a b", Program: "a.0"},
	} {
		_, err := ramdisk.PXELinuxChainMenu(e)
		require.ErrorIs(t, err, ramdisk.ErrInvalidArgument, name)
		_, err = ramdisk.Grub4DOSChainMenu(e)
		require.ErrorIs(t, err, ramdisk.ErrInvalidArgument, name)
	}
}

// One PXE server, two WinPE images: each entry chain-loads its own renamed
// pxeboot.n12.
func ExamplePXELinuxChainMenu() {
	menu, err := ramdisk.PXELinuxChainMenu(
		ramdisk.ChainEntry{Label: "WinPE", Program: "boot/pxeboot.0"},
		ramdisk.ChainEntry{Label: "Test PE", Program: "test/pxetest.0"},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(menu)
	// Output:
	// label winpe
	//   menu label WinPE
	//   kernel boot/pxeboot.0
	//
	// label test-pe
	//   menu label Test PE
	//   kernel test/pxetest.0
}
