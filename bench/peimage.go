package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/saferwall/pe"
	pelog "github.com/saferwall/pe/log"

	"github.com/winbootkit/winbootkit/peimage"
)

// The peimage suite: the PE checksum of a 256 MiB PE file, computed by
// peimage, by saferwall/pe's (*File).Checksum() in this process, and by
// pefile's generate_checksum() under /usr/bin/python3 (the whole command,
// plus rows for python start-up with the pefile import, and start-up plus
// parsing, so the share of each is visible).
//
// The input is a small Go program built for windows/amd64, with random
// overlay data appended up to 256 MiB (a multiple of 4, so that
// saferwall/pe does not copy the file to pad it), and a correct checksum.

func init() { register("peimage", benchPEImage) }

const peBenchSize = 256 << 20

func benchPEImage(e *Env) ([]Result, error) {
	path := filepath.Join(e.Work, "big256.exe")
	data, err := bigPE(e, path)
	if err != nil {
		return nil, err
	}
	img, err := peimage.Parse(data, nil)
	if err != nil {
		return nil, err
	}
	want, err := img.ComputeChecksum()
	if err != nil {
		return nil, err
	}
	field := img.Headers().ChecksumOffset
	size := int64(len(data))
	const suite = "peimage"
	var res []Result

	// In process: the checksum of bytes already in memory (mapped, for saferwall).
	inproc := "checksum 256 MiB, in process"
	res = append(res, e.Func(suite, inproc, "peimage.NewChecksum over the buffer", size, func() error {
		c := peimage.NewChecksum(field)
		c.Write(data)
		return expect(c.Sum32(), want)
	}))
	sw, err := pe.New(path, &pe.Options{Fast: true, DisableCertValidation: true, DisableSignatureValidation: true, Logger: quiet{}})
	if err != nil {
		return nil, err
	}
	defer sw.Close()
	if err := sw.Parse(); err != nil {
		return nil, err
	}
	res = append(res, peer(e.Func(suite, inproc, "saferwall/pe (*File).Checksum() (file mmapped and parsed)", size, func() error {
		return expect(sw.Checksum(), want)
	})))

	// From the file: open or parse, then checksum, in process.
	fromFile := "checksum 256 MiB file, in process"
	res = append(res, e.Func(suite, fromFile, "peimage.Open + ComputeChecksum", size, func() error {
		img, err := peimage.Open(path, nil)
		if err != nil {
			return err
		}
		c, err := img.ComputeChecksum()
		if err != nil {
			return err
		}
		return expect(c, want)
	}))
	res = append(res, peer(e.Func(suite, fromFile, "saferwall/pe New + Parse(Fast) + Checksum()", size, func() error {
		f, err := pe.New(path, &pe.Options{Fast: true, DisableCertValidation: true, DisableSignatureValidation: true, Logger: quiet{}})
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Parse(); err != nil {
			return err
		}
		return expect(f.Checksum(), want)
	})))

	// Whole commands: pepatch against python3 + pefile.
	cmd := "checksum 256 MiB file, whole command"
	pepatch := filepath.Join(e.Work, "pepatch")
	if out, err := exec.Command("go", "build", "-o", pepatch, "github.com/winbootkit/winbootkit/examples/pepatch").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building pepatch: %v: %s", err, out)
	}
	ours := e.Command(suite, cmd, size, pepatch, "checksum", path)
	ours.Ours = true
	res = append(res, ours)
	const py = "/usr/bin/python3"
	script := "import sys, pefile; print(pefile.PE(sys.argv[1]).generate_checksum())"
	if out, err := exec.Command(py, "-c", script, path).Output(); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 32); err != nil || uint32(v) != want {
			return nil, fmt.Errorf("pefile computes %q, peimage %#x", out, want)
		}
	}
	res = append(res,
		e.Command(suite, cmd, size, py, "-c", script, path),
		e.Command(suite, cmd, 0, py, "-c", "import sys, pefile; pefile.PE(sys.argv[1])", path),
		e.Command(suite, cmd, 0, py, "-c", "import pefile"),
	)
	res[len(res)-3].Note = "pefile.PE() + generate_checksum()"
	res[len(res)-2].Note = "start-up + import + pefile.PE() parse only"
	res[len(res)-1].Note = "python start-up + import pefile only"
	return res, nil
}

// peer marks a Func result as a peer implementation.
func peer(r Result) Result {
	r.Ours = false
	return r
}

func expect(got, want uint32) error {
	if got != want {
		return fmt.Errorf("checksum %#08x, want %#08x", got, want)
	}
	return nil
}

type quiet struct{}

func (quiet) Log(pelog.Level, ...any) error { return nil }

const benchProgram = `package main

func main() { println("winbootkit peimage benchmark input") }
`

// bigPE returns the benchmark input, building it (or reusing a previous
// build of the right size) at path.
func bigPE(e *Env, path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) == peBenchSize {
		if img, err := peimage.Parse(b, nil); err == nil && img.VerifyChecksum() == nil {
			return b, nil
		}
	}
	dir := filepath.Join(e.Work, "src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bigpe\n\ngo 1.21\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(benchProgram), 0o644); err != nil {
		return nil, err
	}
	exe := filepath.Join(dir, "small.exe")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", exe, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	small, err := os.ReadFile(exe)
	if err != nil {
		return nil, err
	}
	if len(small) > peBenchSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", exe, peBenchSize)
	}
	// Overlay: random bytes with every third one zero, like code and data.
	b := make([]byte, peBenchSize)
	rng := rand.NewChaCha8([32]byte{'p', 'e'})
	_, _ = rng.Read(b)
	for i := 0; i < len(b); i += 3 {
		b[i] = 0
	}
	copy(b, small)
	img, err := peimage.Parse(b, nil)
	if err != nil {
		return nil, err
	}
	if _, err := img.FixChecksum(); err != nil {
		return nil, err
	}
	if err := img.Save(path); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.Log, "peimage: built %s (%d bytes)\n", path, peBenchSize)
	return img.Bytes(), nil
}
