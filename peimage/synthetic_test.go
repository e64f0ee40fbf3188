package peimage_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	unicode16 "unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// synthUTF16 encodes s as UTF-16LE without a terminator, independently of
// internal/utf16le.
func synthUTF16(s string) []byte {
	var b []byte
	for _, u := range unicode16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// synthPefile is what pefile reads from a file.
type synthPefile struct {
	Verified  bool     `json:"verified"`
	Generated uint32   `json:"generated"`
	Machine   uint16   `json:"machine"`
	Magic     uint16   `json:"magic"`
	Subsystem uint16   `json:"subsystem"`
	Sections  []string `json:"sections"`
	Certs     []int    `json:"certs"` // dwLength of each WIN_CERTIFICATE
}

// synthReadPefile runs /usr/bin/python3 with pefile on files.
func synthReadPefile(t *testing.T, files ...string) []synthPefile {
	t.Helper()
	py := testutil.PythonModule(t, "pefile")
	script := `import sys, json, pefile
for f in sys.argv[1:]:
    pe = pefile.PE(f)
    certs = []
    d = pe.OPTIONAL_HEADER.DATA_DIRECTORY[4]
    data = pe.__data__
    off, end = d.VirtualAddress, d.VirtualAddress + d.Size
    while d.Size and off + 8 <= end:
        n = int.from_bytes(data[off:off+4], "little")
        certs.append(n)
        off += (n + 7) // 8 * 8
    print(json.dumps({"verified": pe.verify_checksum(), "generated": pe.generate_checksum(),
        "machine": pe.FILE_HEADER.Machine, "magic": pe.OPTIONAL_HEADER.Magic,
        "subsystem": pe.OPTIONAL_HEADER.Subsystem,
        "sections": [s.Name.rstrip(b"\0").decode() for s in pe.sections], "certs": certs}))
`
	out := testutil.Run(t, py, append([]string{"-c", script}, files...)...)
	var res []synthPefile
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r synthPefile
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		res = append(res, r)
	}
	require.Len(t, res, len(files))
	return res
}

func synthWrite(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func TestBuildPEParsesAndVerifies(t *testing.T) {
	bcdPath := synthUTF16(`\Boot\BCD`)
	specs := map[string]peimage.PESpec{
		"zero.exe": {},
		"pe32.exe": {Sections: []peimage.SectionSpec{{Name: ".text", Data: []byte{0xc3}, Characteristics: 0x60000020}, {Name: ".rdata", Data: bcdPath}}},
		"pe64.efi": {Format: peimage.PE32Plus, Subsystem: peimage.SubsystemEFIApplication, Sections: []peimage.SectionSpec{{Data: make([]byte, 0x201)}, {Name: ".empty"}, {Name: "12345678", Data: bcdPath}}},
	}
	dir := t.TempDir()
	var files []string
	for name, spec := range specs {
		b, err := peimage.BuildPE(spec)
		require.NoError(t, err, name)
		again, err := peimage.BuildPE(spec)
		require.NoError(t, err)
		assert.Equal(t, b, again, "%s: equal specs give equal bytes", name)

		img, err := peimage.Parse(b, nil)
		require.NoError(t, err, name)
		require.Equal(t, peimage.KindPE, img.Kind(), name)
		assert.Empty(t, img.Warnings, name)
		assert.NoError(t, img.VerifyChecksum(), name)
		assert.False(t, img.Signed(), name)
		h := img.Headers()
		nsec := max(len(spec.Sections), 1)
		require.Len(t, h.Sections, nsec, name)
		assert.Zero(t, h.Overlay.Size, name)
		for i, s := range spec.Sections {
			want := s.Name
			if want == "" {
				want = ".data"
			}
			assert.Equal(t, want, h.Sections[i].Name)
			assert.Equal(t, uint32(len(s.Data)), h.Sections[i].VirtualSize)
			if len(s.Data) > 0 {
				assert.Equal(t, s.Data, b[h.Sections[i].Offset:h.Sections[i].Offset+int64(len(s.Data))])
			}
		}
		files = append(files, synthWrite(t, dir, name, b))
	}

	for i, r := range synthReadPefile(t, files...) {
		name := filepath.Base(files[i])
		spec := specs[name]
		assert.True(t, r.Verified, "%s: pefile verify_checksum", name)
		img, err := peimage.Open(files[i], nil)
		require.NoError(t, err)
		stored, err := img.StoredChecksum()
		require.NoError(t, err)
		assert.Equal(t, r.Generated, stored, name)
		h := img.Headers()
		assert.Equal(t, uint16(h.Machine), r.Machine, name)
		assert.Equal(t, uint16(h.Format), r.Magic, name)
		assert.Equal(t, uint16(h.Subsystem), r.Subsystem, name)
		assert.Len(t, r.Sections, max(len(spec.Sections), 1), name)
		assert.Empty(t, r.Certs, name)
	}
}

func TestBuildPEPatchRecipe(t *testing.T) {
	b, err := peimage.BuildPE(peimage.PESpec{Sections: []peimage.SectionSpec{{Name: ".rdata", Data: append(synthUTF16(`\Boot\BCD`), 0, 0)}}})
	require.NoError(t, err)
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	rep, err := peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
	require.NoError(t, err)
	require.Len(t, rep.Changes, 1)
	assert.Equal(t, ".rdata", rep.Changes[0].Section)
	require.NoError(t, img.VerifyChecksum())
	p := synthWrite(t, t.TempDir(), "testmgr.exe", img.Bytes())
	r := synthReadPefile(t, p)[0]
	assert.True(t, r.Verified, "pefile accepts the checksum after the patch")
}

func TestBuildPECertificate(t *testing.T) {
	payload := []byte("not a real PKCS#7 blob, 39 bytes long.")
	sections := []peimage.SectionSpec{{Data: synthUTF16(`\Boot\BCD`)}}
	signed, err := peimage.BuildPE(peimage.PESpec{Sections: sections, Certificate: payload})
	require.NoError(t, err)
	img, err := peimage.Parse(signed, nil)
	require.NoError(t, err)
	require.True(t, img.Signed())
	require.NoError(t, img.VerifyChecksum())
	certs, err := img.Certificates()
	require.NoError(t, err)
	require.Len(t, certs, 1)
	assert.Equal(t, payload, certs[0].Data)
	assert.Equal(t, peimage.CertTypePKCSSignedData, certs[0].Type)
	assert.Equal(t, peimage.CertRevision2, certs[0].Revision)
	assert.Zero(t, len(signed)%8, "the table is padded to 8 bytes")

	r := synthReadPefile(t, synthWrite(t, t.TempDir(), "signed.exe", signed))[0]
	assert.True(t, r.Verified)
	assert.Equal(t, []int{8 + len(payload)}, r.Certs, "pefile finds one WIN_CERTIFICATE of the right length")

	_, err = peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
	require.ErrorIs(t, err, peimage.ErrSigned)

	// Stripping gives back exactly the unsigned build of the same spec.
	unsigned, err := peimage.BuildPE(peimage.PESpec{Sections: sections})
	require.NoError(t, err)
	_, err = img.StripSignature()
	require.NoError(t, err)
	testutil.EqualBytes(t, unsigned, img.Bytes())
}

func TestBuildPENoChecksum(t *testing.T) {
	b, err := peimage.BuildPE(peimage.PESpec{NoChecksum: true})
	require.NoError(t, err)
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	stored, err := img.StoredChecksum()
	require.NoError(t, err)
	assert.Zero(t, stored)
	var ce *peimage.ChecksumError
	require.ErrorAs(t, img.VerifyChecksum(), &ce)
}

func TestBuildPEInvalid(t *testing.T) {
	for name, spec := range map[string]peimage.PESpec{
		"long name":  {Sections: []peimage.SectionSpec{{Name: ".toolongx"}}},
		"i386 pe32+": {Format: peimage.PE32Plus, Machine: peimage.MachineI386},
		"amd64 pe32": {Machine: peimage.MachineAMD64},
		"format":     {Format: 0x107},
		"sections":   {Sections: make([]peimage.SectionSpec, 97)},
	} {
		_, err := peimage.BuildPE(spec)
		require.ErrorIs(t, err, peimage.ErrInvalidSpec, name)
	}
}

// A stand-in for bootmgr.exe holding the BCD path that PE2Bootmgr patches.
func ExampleBuildPE() {
	var bcd []byte
	for _, u := range unicode16.Encode([]rune(`\Boot\BCD`)) {
		bcd = binary.LittleEndian.AppendUint16(bcd, u)
	}
	b, err := peimage.BuildPE(peimage.PESpec{Sections: []peimage.SectionSpec{{Name: ".rdata", Data: bcd}}})
	if err != nil {
		panic(err)
	}
	img, err := peimage.Parse(b, nil)
	if err != nil {
		panic(err)
	}
	h := img.Headers()
	fmt.Println(len(b), "bytes:", h.Format, h.Machine, h.Subsystem, "- checksum ok:", img.VerifyChecksum() == nil)
	rep, err := peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
	if err != nil {
		panic(err)
	}
	fmt.Print(rep)
	// Output:
	// 1024 bytes: PE32 i386 Windows boot application - checksum ok: true
	// 00000200: 5c 00 42 00 6f 00 6f 00 74 00 5c 00 42 00 43 00 44 00 -> 5c 00 54 00 65 00 73 00 74 00 5c 00 42 00 43 00 44 00  (UTF-16LE "\\Boot\\BCD" -> "\\Test\\BCD", .rdata rva 0x1000)
	// 00000098: 56 ac 00 00 -> 62 ac 00 00  (PE checksum 0x0000ac56 -> 0x0000ac62)
}
