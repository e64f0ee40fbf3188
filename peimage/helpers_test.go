package peimage_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// The strings the Go-built test programs embed: ASCII ones as Go string
// constants (in .rdata), UTF-16LE ones as [...]uint16 arrays (in .data).
const (
	asciiMgr = "bootmgr.exe"
	wideBCD  = `\Boot\BCD`
	asciiSIF = "winnt.sif"
	wideSIF  = "WINNT.SIF"
	asciiDir = `\I386\`
	wideDir  = `\i386\`
	asciiNT  = "NTLDR"
)

const goSource = `package main

import "os"

var names = []string{"bootmgr.exe", "winnt.sif", "\\I386\\", "NTLDR"}

var bcd = [...]uint16{'\\', 'B', 'o', 'o', 't', '\\', 'B', 'C', 'D', 0}
var sif = [...]uint16{'W', 'I', 'N', 'N', 'T', '.', 'S', 'I', 'F', 0}
var dir = [...]uint16{'\\', 'i', '3', '8', '6', '\\', 0}

func main() {
	for _, n := range names {
		os.Stdout.WriteString(n + "\n")
	}
	println(bcd[1], sif[1], dir[1])
}
`

var (
	goPEMu    sync.Mutex
	goPECache = map[string][]byte{}
)

// goPE returns a small Windows program built with GOOS=windows for goarch
// ("386" gives PE32, "amd64" PE32+), building it once per test binary.
func goPE(t testing.TB, goarch string) []byte {
	t.Helper()
	goPEMu.Lock()
	defer goPEMu.Unlock()
	if b, ok := goPECache[goarch]; ok {
		return bytes.Clone(b)
	}
	gotool := testutil.Tool(t, "go")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module testpe\n\ngo 1.21\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(goSource), 0o644))
	out := filepath.Join(dir, "testpe.exe")
	cmd := exec.Command(gotool, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", msg)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	goPECache[goarch] = b
	return bytes.Clone(b)
}

// writeTemp writes b to a new file in a temporary directory.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// shimFile returns the path of a file from Debian's shim-signed /
// shim-unsigned packages (skipped locally, failed under CI when missing).
func shimFile(t testing.TB, name string) string {
	t.Helper()
	return testutil.SystemFile(t, "/usr/lib/shim/"+name)
}

// readShim returns the contents of a shim file (see shimFile).
func readShim(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(shimFile(t, name))
	require.NoError(t, err)
	return b
}

// shimFiles returns every /usr/lib/shim/*.efi and *.efi.signed.
func shimFiles(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, n := range []string{"fbx64.efi", "fbx64.efi.signed", "mmx64.efi", "mmx64.efi.signed", "shimx64.efi", "shimx64.efi.signed"} {
		out = append(out, shimFile(t, n))
	}
	return out
}

// ref16 is an independent reference for the PE checksum, written the way
// the specification's pseudo-code reads: 16-bit words, the checksum field's
// bytes counted as zero, end-around carry after every word, an odd last byte
// as a low byte, then the file length added. A negative field skips nothing.
func ref16(data []byte, field int64) uint32 {
	inField := func(i int) bool { return field >= 0 && int64(i) >= field && int64(i) < field+4 }
	word := func(i int) uint32 {
		lo, hi := uint32(data[i]), uint32(0)
		if i+1 < len(data) {
			hi = uint32(data[i+1])
		}
		if inField(i) {
			lo = 0
		}
		if inField(i + 1) {
			hi = 0
		}
		return lo | hi<<8
	}
	var sum uint32
	for i := 0; i < len(data); i += 2 {
		sum += word(i)
		sum = sum&0xffff + sum>>16
	}
	sum = sum&0xffff + sum>>16
	return sum + uint32(len(data))
}

// checksumField returns e_lfanew + 88.
func checksumField(b []byte) int64 {
	return int64(binary.LittleEndian.Uint32(b[0x3c:])) + 88
}

// pefileResult is what /usr/bin/python3 with pefile says about a file.
type pefileResult struct {
	Generated uint32
	Verified  bool
}

// pefile runs pefile's generate_checksum() and verify_checksum() on files
// in one python process.
func pefile(t testing.TB, files ...string) map[string]pefileResult {
	t.Helper()
	py := testutil.PythonModule(t, "pefile")
	script := `import sys, pefile
for f in sys.argv[1:]:
    pe = pefile.PE(f, fast_load=True)
    print(pe.verify_checksum(), pe.generate_checksum(), f)
`
	out := testutil.Run(t, py, append([]string{"-c", script}, files...)...)
	res := map[string]pefileResult{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, " ", 3)
		require.Len(t, f, 3, "pefile output line %q", line)
		v, err := strconv.ParseUint(f[1], 10, 32)
		require.NoError(t, err)
		res[f[2]] = pefileResult{Generated: uint32(v), Verified: f[0] == "True"}
	}
	require.Len(t, res, len(files))
	return res
}

var osslChecksumRE = regexp.MustCompile(`(?m)^(?:Calculated PE checksum|PE checksum)\s*:\s*([0-9A-Fa-f]{8})`)

// osslChecksum returns the checksum osslsigncode computes for a file: the
// "Calculated PE checksum" line when the stored value differs, otherwise the
// "PE checksum" line (which it prints only when both agree).
func osslChecksum(t testing.TB, file string) uint32 {
	t.Helper()
	tool := testutil.Tool(t, "osslsigncode")
	// Unsigned files make verify fail; the checksum lines are printed anyway.
	out, errOut, _ := testutil.RunErr(tool, "verify", "-in", file)
	all := out + errOut
	var last string
	for _, m := range osslChecksumRE.FindAllStringSubmatch(all, -1) {
		last = m[1]
	}
	require.NotEmpty(t, last, "no checksum in osslsigncode output:\n%s", all)
	v, err := strconv.ParseUint(last, 16, 32)
	require.NoError(t, err)
	return uint32(v)
}

// peSpec describes a hand-built PE for structural tests.
type peSpec struct {
	plus     bool   // PE32+
	elfanew  uint32 // default 0x80
	sections int    // default 1, each 0x200 bytes at 0x400, 0x600, ...
	fill     func(sec int, b []byte)
	cert     []byte // appended, 8-aligned, as the certificate table
}

// buildPE lays out a minimal valid PE image.
func buildPE(s peSpec) []byte {
	if s.elfanew == 0 {
		s.elfanew = 0x80
	}
	if s.sections == 0 {
		s.sections = 1
	}
	optSize := 224
	if s.plus {
		optSize = 240
	}
	const hdrSize, secSize = 0x400, 0x200
	b := make([]byte, hdrSize+s.sections*secSize)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], s.elfanew)
	nt := int(s.elfanew)
	copy(b[nt:], "PE\x00\x00")
	coff := nt + 4
	machine := uint16(0x14c)
	if s.plus {
		machine = 0x8664
	}
	binary.LittleEndian.PutUint16(b[coff:], machine)
	binary.LittleEndian.PutUint16(b[coff+2:], uint16(s.sections))
	binary.LittleEndian.PutUint16(b[coff+16:], uint16(optSize))
	binary.LittleEndian.PutUint16(b[coff+18:], 0x0102) // executable, 32-bit
	opt := coff + 20
	le32 := func(off int, v uint32) { binary.LittleEndian.PutUint32(b[opt+off:], v) }
	le16 := func(off int, v uint16) { binary.LittleEndian.PutUint16(b[opt+off:], v) }
	if s.plus {
		le16(0, 0x20b)
		binary.LittleEndian.PutUint64(b[opt+24:], 0x140000000)
	} else {
		le16(0, 0x10b)
		le32(28, 0x400000)
	}
	le32(32, 0x1000)                        // SectionAlignment
	le32(36, 0x200)                         // FileAlignment
	le16(48, 6)                             // MajorSubsystemVersion
	le32(56, uint32(0x1000*(s.sections+1))) // SizeOfImage
	le32(60, hdrSize)                       // SizeOfHeaders
	le16(68, 10)                            // Subsystem: EFI application
	numRva := 92
	if s.plus {
		numRva = 108
	}
	le32(numRva, 16)
	sec := opt + optSize
	for i := range s.sections {
		h := b[sec+40*i:]
		copy(h, fmt.Sprintf(".s%d", i))
		binary.LittleEndian.PutUint32(h[8:], secSize)                    // VirtualSize
		binary.LittleEndian.PutUint32(h[12:], uint32(0x1000*(i+1)))      // VirtualAddress
		binary.LittleEndian.PutUint32(h[16:], secSize)                   // SizeOfRawData
		binary.LittleEndian.PutUint32(h[20:], uint32(hdrSize+i*secSize)) // PointerToRawData
		binary.LittleEndian.PutUint32(h[36:], 0x40000040)                // initialized data, readable
		if s.fill != nil {
			s.fill(i, b[hdrSize+i*secSize:hdrSize+(i+1)*secSize])
		}
	}
	if s.cert != nil {
		off := (len(b) + 7) &^ 7
		b = append(b, make([]byte, off-len(b))...)
		b = append(b, s.cert...)
		dir := numRva + 4 + 4*8
		le32(dir, uint32(off))
		le32(dir+4, uint32(len(s.cert)))
	}
	return b
}

// winCert builds one WIN_CERTIFICATE entry with n payload bytes, padded to 8.
func winCert(n int, fill byte) []byte {
	e := make([]byte, 8+n, (8+n+7)&^7)
	binary.LittleEndian.PutUint32(e, uint32(8+n))
	binary.LittleEndian.PutUint16(e[4:], 0x0200)
	binary.LittleEndian.PutUint16(e[6:], 0x0002)
	for i := range n {
		e[8+i] = fill
	}
	return e[:cap(e)]
}

// utf16 is utf16le.Encode, for brevity.
func utf16(s string) []byte { return utf16le.Encode(s) }
