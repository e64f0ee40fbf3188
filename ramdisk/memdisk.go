package ramdisk

import (
	"fmt"
	"strings"
)

// ImageKind says what a menu entry boots.
type ImageKind int

// Image kinds for menu entries.
const (
	KindDisk ImageKind = iota // a raw hard-disk image (BuildDisk): memdisk "harddisk"
	KindISO                   // an ISO image: memdisk "iso"
)

// MenuEntry describes one boot menu entry that loads a whole image into RAM
// with memdisk (syslinux, iPXE) or grub4dos's map --mem. Only text is
// produced; the loader binaries come from their projects.
type MenuEntry struct {
	// Label is the text shown in the menu. Default "WinPE".
	Label string
	// ID names the entry in syslinux (LABEL) and iPXE (item). Default:
	// Label lower-cased, each run of characters other than a-z, 0-9 and _
	// replaced by one "-".
	ID string
	// Image is the image's path as the loader fetches it (relative to the
	// TFTP/HTTP root, or a URL for iPXE), e.g. "winpe.dd".
	Image string
	// Kind is KindDisk (default) or KindISO.
	Kind ImageKind
	// Memdisk is the path of memdisk. Default "memdisk".
	Memdisk string
	// Options are extra memdisk options appended after the defaults
	// ("harddisk raw" for a disk, "iso raw" for an ISO).
	Options string
}

func (e MenuEntry) withDefaults() (MenuEntry, error) {
	if e.Label == "" {
		e.Label = "WinPE"
	}
	if e.ID == "" {
		var sb strings.Builder
		dash := false
		for _, r := range strings.ToLower(e.Label) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
				if dash && sb.Len() > 0 {
					sb.WriteByte('-')
				}
				sb.WriteRune(r)
				dash = false
				continue
			}
			dash = true
		}
		e.ID = sb.String()
		if e.ID == "" {
			e.ID = "image"
		}
	}
	if e.Memdisk == "" {
		e.Memdisk = "memdisk"
	}
	if e.Image == "" {
		return e, fmt.Errorf("ramdisk: menu entry %q has no image: %w", e.Label, ErrInvalidArgument)
	}
	for _, s := range []string{e.Label, e.ID, e.Image, e.Memdisk, e.Options} {
		if strings.ContainsAny(s, "\r\n\x00") {
			return e, fmt.Errorf("ramdisk: menu entry field %q contains a line break: %w", s, ErrInvalidArgument)
		}
	}
	for _, s := range []string{e.ID, e.Image, e.Memdisk} {
		if strings.ContainsAny(s, " \t") {
			return e, fmt.Errorf("ramdisk: menu entry field %q contains white space: %w", s, ErrInvalidArgument)
		}
	}
	return e, nil
}

func (e MenuEntry) memdiskArgs() string {
	a := "harddisk raw"
	if e.Kind == KindISO {
		a = "iso raw"
	}
	if e.Options != "" {
		a += " " + e.Options
	}
	return a
}

// PXELinuxMenu renders pxelinux.cfg/syslinux.cfg entries that boot each
// image with memdisk:
//
//	label winpe
//	  menu label WinPE
//	  kernel memdisk
//	  initrd winpe.dd
//	  append harddisk raw
//
// "harddisk" makes a disk image drive 0x80; "raw" makes memdisk reach high
// memory with raw protected-mode moves instead of INT 15h, the mode the
// memdisk documentation suggests for operating systems that switch modes
// themselves, as Windows' loaders do.
func PXELinuxMenu(entries ...MenuEntry) (string, error) {
	var sb strings.Builder
	for i, e := range entries {
		e, err := e.withDefaults()
		if err != nil {
			return "", err
		}
		if i > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "label %s\n  menu label %s\n  kernel %s\n  initrd %s\n  append %s\n", e.ID, e.Label, e.Memdisk, e.Image, e.memdiskArgs())
	}
	return sb.String(), nil
}

// IPXEScript renders an iPXE script that boots the image with memdisk, with
// a menu when there is more than one entry.
func IPXEScript(entries ...MenuEntry) (string, error) {
	var sb strings.Builder
	sb.WriteString("#!ipxe\n")
	var es []MenuEntry
	for _, e := range entries {
		e, err := e.withDefaults()
		if err != nil {
			return "", err
		}
		es = append(es, e)
	}
	if len(es) == 0 {
		return "", fmt.Errorf("ramdisk: no menu entries: %w", ErrInvalidArgument)
	}
	if len(es) > 1 {
		sb.WriteString("menu Boot image\n")
		for _, e := range es {
			fmt.Fprintf(&sb, "item %s %s\n", e.ID, e.Label)
		}
		sb.WriteString("choose target && goto ${target} || exit\n")
	}
	for _, e := range es {
		if len(es) > 1 {
			fmt.Fprintf(&sb, "\n:%s\n", e.ID)
		}
		fmt.Fprintf(&sb, "kernel %s %s\ninitrd %s\nboot\n", e.Memdisk, e.memdiskArgs(), e.Image)
	}
	return sb.String(), nil
}

// Grub4DOSMenu renders grub4dos menu.lst entries that copy the image into
// memory with map --mem, as in the 0PE and grub4dos recipes: a disk image
// becomes (hd0) (the real first disk moves to (hd1)) and its MBR is
// chain-loaded; an ISO becomes the CD drive (0xff) and is booted through El
// Torito. Image paths are used as given ("(pd)/winpe.dd" for a PXE-booted
// grub4dos, "/winpe.dd" from a disk).
func Grub4DOSMenu(entries ...MenuEntry) (string, error) {
	var sb strings.Builder
	for i, e := range entries {
		e, err := e.withDefaults()
		if err != nil {
			return "", err
		}
		if i > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "title %s\n", e.Label)
		if e.Kind == KindISO {
			fmt.Fprintf(&sb, "map --mem %s (0xff)\nmap --hook\nchainloader (0xff)\n", e.Image)
			continue
		}
		fmt.Fprintf(&sb, "map --mem %s (hd0)\nmap (hd0) (hd1)\nmap --hook\nchainloader (hd0)+1\nrootnoverify (hd0)\n", e.Image)
	}
	return sb.String(), nil
}
