package hive

import "fmt"

// ValueType is the type of a registry value. Types 0–11 are predefined;
// any other uint32 is allowed and kept.
type ValueType uint32

// Predefined value types.
const (
	None                     ValueType = 0  // REG_NONE
	String                   ValueType = 1  // REG_SZ: UTF-16LE string with a NUL
	ExpandString             ValueType = 2  // REG_EXPAND_SZ: like REG_SZ, with %VARIABLES%
	Binary                   ValueType = 3  // REG_BINARY
	DWord                    ValueType = 4  // REG_DWORD: little-endian uint32
	DWordBigEndian           ValueType = 5  // REG_DWORD_BIG_ENDIAN
	Link                     ValueType = 6  // REG_LINK: UTF-16LE target path, no NUL
	MultiString              ValueType = 7  // REG_MULTI_SZ: NUL-terminated strings, then a NUL
	ResourceList             ValueType = 8  // REG_RESOURCE_LIST
	FullResourceDescriptor   ValueType = 9  // REG_FULL_RESOURCE_DESCRIPTOR
	ResourceRequirementsList ValueType = 10 // REG_RESOURCE_REQUIREMENTS_LIST
	QWord                    ValueType = 11 // REG_QWORD: little-endian uint64
)

var valueTypeNames = [...]string{
	"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
	"REG_DWORD_BIG_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
	"REG_FULL_RESOURCE_DESCRIPTOR", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
}

// String returns the Windows name (REG_SZ, ...), or the number in hex for
// types without a name.
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("0x%08x", uint32(t))
}
