package peimage

// Recipes for booting several WinPE images from one PXE server: each image
// gets its own copies of the boot files with the names inside them changed,
// as the community hex-editor recipes do (erpxe.net, boot-land/reboot.pro
// RIS and PXE threads). New names may be shorter than the old ones (the rest
// is NUL-padded) but not longer.

// Recipe is a named set of edits for one boot file.
type Recipe struct {
	Name  string // what the recipe does
	File  string // the boot file it applies to
	Edits []Edit
}

// Apply runs the recipe's edits on img as one transaction.
func (r Recipe) Apply(img *Image, opts *PatchOptions) (*Report, error) {
	return img.Replace(r.Edits, opts)
}

// PE2PXEBoot is the WinPE 2.0+ recipe for pxeboot.n12 (or pxeboot.com), a
// raw 16-bit network boot program: the ASCII name of the boot manager it
// fetches by TFTP, "bootmgr.exe", becomes name (at most 11 characters), for
// example "testmgr.exe".
func PE2PXEBoot(name string) Recipe {
	return Recipe{
		Name: "WinPE 2.0+ PXE: boot manager file name in pxeboot.n12",
		File: "pxeboot.n12",
		Edits: []Edit{{
			Old: "bootmgr.exe", New: name, Encoding: ASCII,
		}},
	}
}

// PE2Bootmgr is the WinPE 2.0+ recipe for bootmgr.exe (a PE image): the
// UTF-16LE path of the BCD store, `\Boot\BCD`, becomes bcdPath (at most 9
// characters), for example `\Test\BCD`. Replace recomputes the checksum,
// without which bootmgr.exe fails its self-check. bootmgr.exe is usually
// Authenticode-signed; pass a PatchOptions with a SignaturePolicy.
func PE2Bootmgr(bcdPath string) Recipe {
	return Recipe{
		Name: "WinPE 2.0+ PXE: BCD path in bootmgr.exe",
		File: "bootmgr.exe",
		Edits: []Edit{{
			Old: `\Boot\BCD`, New: bcdPath, Encoding: UTF16LE,
		}},
	}
}

// PE1Startrom is the WinPE 1.x (XP/2003, RIS-style) recipe for startrom.n12,
// a raw 16-bit network boot program: every occurrence of the loader name
// "ntldr", in either encoding and any letter case, becomes loader (at most 5
// characters), for example "netpe".
func PE1Startrom(loader string) Recipe {
	return Recipe{
		Name: "WinPE 1.x PXE: loader name in startrom.n12",
		File: "startrom.n12",
		Edits: []Edit{{
			Old: "ntldr", New: loader, Encoding: Both, IgnoreCase: true,
		}},
	}
}

// PE1Setupldr is the WinPE 1.x recipe for setupldr.exe (the loader that
// startrom fetches, renamed to the name given to PE1Startrom): every
// occurrence of "winnt.sif" becomes sifName (at most 9 characters, for
// example "netpe.sif") and every "I386" becomes dir (at most 4 characters,
// for example "WXPE"), in either encoding and any letter case.
func PE1Setupldr(sifName, dir string) Recipe {
	return Recipe{
		Name: "WinPE 1.x PXE: answer file and source directory in setupldr.exe",
		File: "setupldr.exe",
		Edits: []Edit{
			{Old: "winnt.sif", New: sifName, Encoding: Both, IgnoreCase: true},
			{Old: "I386", New: dir, Encoding: Both, IgnoreCase: true},
		},
	}
}
