package ramdisk

import (
	"fmt"
	"strings"
)

// ChainEntry is a boot menu entry that hands the PXE client over to another
// network boot program (NBP) fetched from the same TFTP server, instead of
// loading an image into RAM: a renamed copy of pxeboot.n12 (WinPE 2.0 and
// later) or startrom.n12 (XP/2003-era WinPE), patched so that it loads its
// own boot manager and BCD (see the recipes of package peimage). This is how
// one PXE server offers several WinPE images.
type ChainEntry struct {
	// Label is the text shown in the menu. Default "WinPE".
	Label string
	// ID names the entry in syslinux (LABEL). Default: derived from Label
	// as for MenuEntry.
	ID string
	// Program is the NBP's path relative to the TFTP root, such as
	// "test/pxetest.0" (required, no white space).
	Program string
}

// menuEntry checks e and fills in its defaults, with the rules of MenuEntry.
func (e ChainEntry) menuEntry() (ChainEntry, error) {
	if e.Program == "" {
		return e, fmt.Errorf("ramdisk: chain entry %q has no program: %w", e.Label, ErrInvalidArgument)
	}
	m, err := MenuEntry{Label: e.Label, ID: e.ID, Image: e.Program}.withDefaults()
	if err != nil {
		return e, err
	}
	return ChainEntry{Label: m.Label, ID: m.ID, Program: m.Image}, nil
}

// PXELinuxChainMenu renders pxelinux.cfg entries that chain-load each NBP:
//
//	label testpe
//	  menu label Test PE
//	  kernel test/pxetest.0
//
// PXELINUX runs a KERNEL whose name ends in ".0" as a PXE bootstrap program
// (syslinux documentation, "KERNEL file"); a program with another name gets
// the explicit PXE keyword instead of KERNEL. The PXE stack still reports
// the DHCP boot file name, so a chained pxeboot.n12 fetches its boot manager
// (testmgr.exe) from the TFTP root.
func PXELinuxChainMenu(entries ...ChainEntry) (string, error) {
	return renderChain(entries, func(sb *strings.Builder, e ChainEntry) {
		kw := "kernel"
		if !strings.HasSuffix(e.Program, ".0") {
			kw = "pxe"
		}
		fmt.Fprintf(sb, "label %s\n  menu label %s\n  %s %s\n", e.ID, e.Label, kw, e.Program)
	})
}

// Grub4DOSChainMenu renders grub4dos menu.lst entries that chain-load each
// NBP from the PXE server grub4dos was booted from ((pd)):
//
//	title Test PE
//	pxe keep
//	chainloader --raw (pd)/test/pxetest.0
//
// "pxe keep" leaves the PXE stack in memory for the next program, which
// fetches its own files through it; "--raw" loads the file as it is, without
// looking for a boot sector signature. These are the commands of the
// grub4dos PXE recipes (README_GRUB4DOS.txt); they were not run against a
// grub4dos binary here.
func Grub4DOSChainMenu(entries ...ChainEntry) (string, error) {
	return renderChain(entries, func(sb *strings.Builder, e ChainEntry) {
		fmt.Fprintf(sb, "title %s\npxe keep\nchainloader --raw (pd)/%s\n", e.Label, strings.TrimPrefix(e.Program, "/"))
	})
}

// renderChain checks each entry and renders it with one, a blank line
// between entries.
func renderChain(entries []ChainEntry, one func(*strings.Builder, ChainEntry)) (string, error) {
	var sb strings.Builder
	for i, e := range entries {
		e, err := e.menuEntry()
		if err != nil {
			return "", err
		}
		if i > 0 {
			sb.WriteString("\n")
		}
		one(&sb, e)
	}
	return sb.String(), nil
}
