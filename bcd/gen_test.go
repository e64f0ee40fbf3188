package bcd_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd/internal/gen"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// The generated element table is what the generator makes from the TSV
// kept in the repository (run "go generate ./bcd" after changing it).
func TestGeneratedTableCurrent(t *testing.T) {
	tsv, err := os.ReadFile("internal/gen/elements.tsv")
	require.NoError(t, err)
	want, err := gen.Generate(tsv)
	require.NoError(t, err)
	got, err := os.ReadFile("elementtype_gen.go")
	require.NoError(t, err)
	testutil.EqualBytes(t, want, got, "elementtype_gen.go is stale: run go generate ./bcd")
}

// The repository's TSV is the shared spec's element table.
func TestElementTSVMatchesSpec(t *testing.T) {
	spec := testutil.SystemFile(t, filepath.Join(testutil.ModuleRoot(t), "..", "shared", "specs", "bcd_element_constants.tsv"))
	want, err := os.ReadFile(spec)
	require.NoError(t, err)
	got, err := os.ReadFile("internal/gen/elements.tsv")
	require.NoError(t, err)
	testutil.EqualBytes(t, want, got)
}

// The generator rejects malformed tables.
func TestGenerateErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"# only a comment\n",
		"0x12000002\tName\n",
		"12000002\tName\tBcdLibraryElementTypes\n",
		"0xzz\tName\tBcdLibraryElementTypes\n",
		"0x12000002\tName\tNoSuchEnum\n",
		"0x12000002\t\tBcdLibraryElementTypes\n",
		"0x12000002\tA\tBcdLibraryElementTypes\n0x12000002\tB\tBcdLibraryElementTypes\n",
	} {
		_, err := gen.Generate([]byte(in))
		require.Error(t, err, "%q", in)
	}
}
