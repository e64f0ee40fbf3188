package testutil

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// HivexExport reads the hive at path with `hivexregedit --export path \`
// (through Tool, so it skips or fails like any interop test) and returns it
// as lower-cased key path -> value name -> data as exported. Continuation
// lines are joined; hex(1) strings are decoded to "sz:text" (UTF-16LE,
// trailing NULs dropped); every other value keeps its exported form
// ("dword:00000001", "hex(3):01,02", ...).
func HivexExport(t testing.TB, path string) map[string]map[string]string {
	t.Helper()
	return ParseRegExport(t, Run(t, Tool(t, "hivexregedit"), "--export", path, `\`))
}

// ParseRegExport parses .reg text as HivexExport describes.
func ParseRegExport(t testing.TB, text string) map[string]map[string]string {
	t.Helper()
	keys := map[string]map[string]string{}
	var cur map[string]string
	var pending string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = pending + strings.TrimSpace(line)
		pending = ""
		if strings.HasSuffix(line, `\`) {
			pending = strings.TrimSuffix(line, `\`)
			continue
		}
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = map[string]string{}
			keys[strings.ToLower(line[1:len(line)-1])] = cur
		case cur != nil && strings.HasPrefix(line, `"`):
			name, val, ok := strings.Cut(line[1:], `"=`)
			if !ok {
				t.Fatalf("reg export: value line without \"=: %q", line)
			}
			if rest, ok := strings.CutPrefix(val, "hex(1):"); ok {
				b := RegHexBytes(t, rest)
				u := make([]uint16, len(b)/2)
				for i := range u {
					u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
				}
				val = "sz:" + strings.TrimRight(string(utf16.Decode(u)), "\x00")
			}
			cur[name] = val
		}
	}
	return keys
}

// RegHexBytes decodes the comma-separated hex bytes of a .reg value
// ("01,ff,2a").
func RegHexBytes(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for _, h := range strings.Split(s, ",") {
		if h == "" {
			continue
		}
		v, err := strconv.ParseUint(h, 16, 8)
		if err != nil {
			t.Fatalf("reg export: bad hex byte %q: %v", h, err)
		}
		b = append(b, byte(v))
	}
	return b
}
