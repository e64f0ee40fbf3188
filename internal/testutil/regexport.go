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
	return ParseRegExport(t, hivexExport(t, path))
}

// HivexExportRaw reads the hive at path like HivexExport and returns every
// value as "[key] name" -> data exactly as exported (name in its quotes, or
// @ for the default value; continuation lines joined).
func HivexExportRaw(t testing.TB, path string) map[string]string {
	t.Helper()
	vals := map[string]string{}
	regValues(hivexExport(t, path), func(key, name, data string) bool {
		if name != "" {
			vals["["+key+"] "+name] = data
		}
		return true
	})
	return vals
}

func hivexExport(t testing.TB, path string) string {
	t.Helper()
	return Run(t, Tool(t, "hivexregedit"), "--export", path, `\`)
}

// ParseRegExport parses .reg text as HivexExport describes.
func ParseRegExport(t testing.TB, text string) map[string]map[string]string {
	t.Helper()
	keys := map[string]map[string]string{}
	regValues(text, func(key, name, data string) bool {
		vals := keys[strings.ToLower(key)]
		if vals == nil {
			vals = map[string]string{}
			keys[strings.ToLower(key)] = vals
		}
		if name == "" {
			return true // the key line itself
		}
		if !strings.HasPrefix(name, `"`) || !strings.HasSuffix(name, `"`) {
			return true // the default value (@)
		}
		if rest, ok := strings.CutPrefix(data, "hex(1):"); ok {
			b := RegHexBytes(t, rest)
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			}
			data = "sz:" + strings.TrimRight(string(utf16.Decode(u)), "\x00")
		}
		vals[name[1:len(name)-1]] = data
		return true
	})
	return keys
}

// regValues calls fn for each key line of .reg text (with an empty name)
// and for each value line under it: the key path without brackets, the
// value name as written (quoted, or @) and the data after '='.
// Continuation lines (ending in '\') are joined first.
func regValues(text string, fn func(key, name, data string) bool) {
	key, inKey := "", false
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
			key, inKey = line[1:len(line)-1], true
			if !fn(key, "", "") {
				return
			}
		case inKey && (strings.HasPrefix(line, `"`) || strings.HasPrefix(line, "@=")):
			name, data := "@", line[2:]
			if line[0] == '"' {
				end := strings.Index(line[1:], `"=`)
				if end < 0 {
					continue
				}
				name, data = line[:end+2], line[end+3:]
			}
			if !fn(key, name, data) {
				return
			}
		}
	}
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
