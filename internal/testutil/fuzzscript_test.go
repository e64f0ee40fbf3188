package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFuzzScriptRetries runs scripts/fuzz.sh (which CI uses) with a stand-in
// `go` whose fuzz runs fail as scripted: a bare end-of-fuzztime "context
// deadline exceeded" is run again up to FUZZRETRIES times; a failure that
// reports a test error fails at once.
func TestFuzzScriptRetries(t *testing.T) {
	bash := Tool(t, "bash")
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	root := ModuleRoot(t)
	const flake = `echo "--- FAIL: FuzzHeader (10.1s)"; echo "    context deadline exceeded"; echo FAIL; exit 1`
	const real = `echo "--- FAIL: FuzzHeader (0.1s)"; echo "    fuzz_test.go:12: boom"; echo "    context deadline exceeded"; exit 1`
	for _, tc := range []struct {
		name      string
		failures  int    // fuzz runs that fail before one passes
		failure   string // what a failing run prints
		wantOK    bool
		wantCalls int
	}{
		{"pass", 0, flake, true, 1},
		{"one flake", 1, flake, true, 2},
		{"two flakes", 2, flake, true, 3},
		{"flakes every time", 99, flake, false, 3},
		{"test error", 99, real, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			count := filepath.Join(dir, "count")
			script := "#!/bin/sh\n" +
				`case " $* " in *" -fuzz "*)` + "\n" +
				`  n=$(cat ` + count + ` 2>/dev/null || echo 0); n=$((n+1)); echo $n > ` + count + "\n" +
				`  if [ $n -le ` + strconv.Itoa(tc.failures) + ` ]; then ` + tc.failure + "; fi\n" +
				"  echo PASS; exit 0;;\nesac\n" +
				`exec ` + goBin + ` "$@"` + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755))
			cmd := exec.Command(bash, filepath.Join(root, "scripts", "fuzz.sh"), "./wim")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
				"FUZZTARGETS=^FuzzHeader$", "FUZZTIME=1s", "FUZZRETRIES=2", "FUZZLOGDIR="+filepath.Join(dir, "logs"))
			out, err := cmd.CombinedOutput()
			if tc.wantOK {
				assert.NoError(t, err, "%s", out)
			} else {
				assert.Error(t, err, "%s", out)
			}
			calls, rerr := os.ReadFile(count)
			require.NoError(t, rerr)
			assert.Equal(t, strconv.Itoa(tc.wantCalls), strings.TrimSpace(string(calls)), "%s", out)
		})
	}
}
