// Package integration holds cross-package acceptance tests and the checks
// they share with package tests: comparing a registry hive with the
// in-memory registry inf.MemRegistry, and reading a saved hive with the
// external tools (regfexport, hivexregedit).
package integration

import (
	"bytes"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// toolNoise matches lines the tools print about their own output encoding,
// not about the hive: hivexregedit's perl warns when it prints characters
// above U+00FF.
var toolNoise = regexp.MustCompile(`^(Wide character in print at .*)$`)

// HiveTools reads the hive file at path with regfexport and hivexregedit
// --export: each must exit 0 and print no error or warning. It returns
// regfexport's output.
func HiveTools(t testing.TB, path string) string {
	t.Helper()
	clean := func(tool, stdout, stderr string) {
		t.Helper()
		for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if l != "" && !toolNoise.MatchString(l) {
				t.Errorf("%s printed on stderr: %s", tool, l)
			}
		}
		for _, l := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(l, "ERROR") || strings.HasPrefix(l, "WARN") {
				t.Errorf("%s: %s", tool, l)
			}
		}
	}
	out, errOut, err := testutil.RunErr(testutil.Tool(t, "regfexport"), path)
	if err != nil {
		t.Fatalf("regfexport %s: %v\n%s", path, err, errOut)
	}
	clean("regfexport", out, errOut)
	if !strings.Contains(out, "Key path: ") {
		t.Errorf("regfexport lists no key: %.300s", out)
	}
	reg, errOut, err := testutil.RunErr(testutil.Tool(t, "hivexregedit"), "--export", path, `\`)
	if err != nil {
		t.Fatalf("hivexregedit --export %s: %v\n%s", path, err, errOut)
	}
	clean("hivexregedit", "", errOut)
	if !strings.HasPrefix(reg, "Windows Registry Editor Version 5.00") {
		t.Errorf("hivexregedit output: %.200s", reg)
	}
	return out
}

// SameAsMem checks that h holds exactly what want holds: every key of want
// exists in h with the same values (name, type and data bytes, read with
// RawValue), and h has no key or value that want lacks. It returns the
// number of keys and values compared.
func SameAsMem(t testing.TB, want *inf.MemRegistry, h *hive.Hive) (keys, values int) {
	t.Helper()
	wantKeys := map[string]bool{}
	err := want.Walk(func(path string, vals []inf.MemValue) error {
		keys++
		wantKeys[strings.ToLower(path)] = true
		k, err := h.OpenKey(path)
		if err != nil {
			t.Errorf("key %q: %v", path, err)
			return nil
		}
		if n := k.ValueCount(); n != len(vals) {
			t.Errorf("key %q: %d values in the hive, %d expected", path, n, len(vals))
		}
		for _, v := range vals {
			values++
			typ, data, ok, err := h.RawValue(path, v.Name)
			switch {
			case err != nil:
				t.Errorf("%s\\%s: %v", path, v.Name, err)
			case !ok:
				t.Errorf("%s\\%s: missing", path, v.Name)
			case typ != v.Type || !bytes.Equal(data, v.Data):
				t.Errorf("%s\\%s: type %d data % x, want type %d data % x", path, v.Name, typ, data, v.Type, v.Data)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	err = h.Root().Walk(func(path string, _ *hive.Key) error {
		if !wantKeys[strings.ToLower(path)] {
			extra = append(extra, path)
			return hive.SkipSubkeys
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("the hive has %d keys the reference lacks, such as %q", len(extra), extra[0])
	}
	return keys, values
}
