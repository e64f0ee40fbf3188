package hive

// nkCell is the data of a key node ("nk") cell. Accessors name the fields
// of the spec; offsets are written once here.
type nkCell []byte

const (
	nkFixed = 76 // size of the fixed part; the name follows

	// Key flags.
	KeyVolatile    = 0x0001 // KEY_VOLATILE
	KeyHiveExit    = 0x0002 // KEY_HIVE_EXIT: mount point of another hive
	KeyHiveEntry   = 0x0004 // KEY_HIVE_ENTRY: root key of the hive
	KeyNoDelete    = 0x0008 // KEY_NO_DELETE
	KeySymLink     = 0x0010 // KEY_SYM_LINK
	KeyCompName    = 0x0020 // KEY_COMP_NAME: name stored as Latin-1
	KeyPredefined  = 0x0040 // KEY_PREDEF_HANDLE
	keyRootFlags   = KeyHiveEntry | KeyNoDelete
	nkMaxNameMask  = 0xFFFF // low 16 bits of the largest-subkey-name field
	vkCompName     = 0x0001 // value name stored as Latin-1
	maxLeafEntries = (4096 - (hbinHeaderSize + 4 + 4)) / 8
	maxLiEntries   = (4096 - (hbinHeaderSize + 4 + 4)) / 4
)

func (n nkCell) sig() []byte        { return n[0:2] }   // "nk"
func (n nkCell) flags() []byte      { return n[2:4] }   // KEY_* flags
func (n nkCell) time() []byte       { return n[4:12] }  // last written FILETIME
func (n nkCell) parent() []byte     { return n[16:20] } // parent nk
func (n nkCell) nSub() []byte       { return n[20:24] } // number of subkeys
func (n nkCell) subList() []byte    { return n[28:32] } // subkey list
func (n nkCell) volList() []byte    { return n[32:36] } // volatile subkey list (meaningless on disk)
func (n nkCell) nVal() []byte       { return n[36:40] } // number of values
func (n nkCell) valList() []byte    { return n[40:44] } // value list
func (n nkCell) security() []byte   { return n[44:48] } // sk cell
func (n nkCell) class() []byte      { return n[48:52] } // class name cell
func (n nkCell) maxName() []byte    { return n[52:56] } // largest subkey name (UTF-16 bytes, low 16 bits)
func (n nkCell) maxClass() []byte   { return n[56:60] } // largest subkey class name (bytes)
func (n nkCell) maxValName() []byte { return n[60:64] } // largest value name (UTF-16 bytes)
func (n nkCell) maxValData() []byte { return n[64:68] } // largest value data (bytes)
func (n nkCell) nameLen() []byte    { return n[72:74] } // name length in bytes
func (n nkCell) classLen() []byte   { return n[74:76] } // class name length in bytes
func (n nkCell) compressed() bool   { return le16(n.flags())&KeyCompName != 0 }
func (n nkCell) name() []byte       { return n[nkFixed : nkFixed+int(le16(n.nameLen()))] }

// nk returns the key node at off, checked.
func (h *Hive) nk(off uint32) (nkCell, error) {
	c, err := h.cell(off, "nk cell")
	if err != nil {
		return nil, err
	}
	if len(c) < nkFixed || c[0] != 'n' || c[1] != 'k' {
		return nil, cellErr(off, "nk cell", "not a key node")
	}
	n := nkCell(c)
	if nkFixed+int(le16(n.nameLen())) > len(c) {
		return nil, cellErr(off, "nk cell", "name length %d exceeds the cell", le16(n.nameLen()))
	}
	return n, nil
}

// nkAt returns the key node at off without checks (off was validated).
func (h *Hive) nkAt(off uint32) nkCell { return nkCell(h.cellAt(off)) }
