package hive

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNameRules(t *testing.T) {
	tests := []struct {
		name string
		hash uint32
		hint [4]byte
	}{
		// hash: h = 37*h + c over upper-cased UTF-16 code units.
		{"a", 'A', [4]byte{'a'}},
		{"Ab", 37*'A' + 'B', [4]byte{'A', 'b'}},
		{"Description", 0, [4]byte{'D', 'e', 's', 'c'}},
		{"äb", 37*0xC4 + 'B', [4]byte{0xE4, 'b'}},
		{"Ab€x", ((37*'A'+'B')*37+0x20AC)*37 + 'X', [4]byte{0, 'b'}},
	}
	for _, tt := range tests {
		raw, comp := encodeName(tt.name)
		if tt.hash != 0 {
			assert.Equal(t, tt.hash, hashStored(raw, comp), tt.name)
		}
		assert.Equal(t, tt.hint, hintStored(raw, comp), tt.name)
		assert.Equal(t, tt.name, decodeName(raw, comp))
	}
	// Sorting: upper-cased code units, a prefix first; '_' (0x5F) sorts
	// after letters once they are upper-cased (the hivex bug #7 case).
	order := []string{"A", "a1", "AB", "b", "Zed", "_x", "ä", "€"}
	for i := 1; i < len(order); i++ {
		a, ac := encodeName(order[i-1])
		b, bc := encodeName(order[i])
		assert.Equal(t, -1, compareStoredNames(a, ac, b, bc), "%q < %q", order[i-1], order[i])
	}
	_, comp := encodeName("ÿ")
	assert.True(t, comp, "U+00FF fits a compressed name")
	_, comp = encodeName("Ā")
	assert.False(t, comp)
}

func TestWalkSkip(t *testing.T) {
	h, err := New("R", Version15, nil)
	assert.NoError(t, err)
	for _, p := range []string{`A\B\C`, `D\E`} {
		assert.NoError(t, h.CreateKey(p))
	}
	var seen []string
	err = h.Root().Walk(func(p string, k *Key) error {
		seen = append(seen, p)
		if k.Name() == "A" {
			return SkipSubkeys
		}
		return nil
	})
	assert.NoError(t, err)
	assert.Equal(t, []string{"", "A", "D", `D\E`}, seen)
}
