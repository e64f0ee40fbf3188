package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// Update reports whether golden files are being rewritten (go test -update).
func Update() bool { return *update }

// Golden compares got with the golden file testdata/<name> of the package
// under test. With -update it writes got to that file instead. Text goldens
// are compared line by line; the failure shows a hex diff of the bytes.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("golden: %v (run go test -update to create it)", err)
	}
	if d := HexDiff(want, got); d != "" {
		t.Fatalf("output differs from golden file %s (go test -update rewrites it):\n--- got:\n%s\n--- diff:\n%s", p, got, d)
	}
}
