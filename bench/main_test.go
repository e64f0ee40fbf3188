package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShellLine: the rendered command, run by sh, passes the same
// arguments as the argv it came from.
func TestShellLine(t *testing.T) {
	argv := []string{"printf", `%s|\n`, `\`, "a b", "it's", "", "$HOME", "x && y", "plain-arg_1.txt"}
	line := shellLine(argv)
	assert.Equal(t, `printf '%s|\n' '\' 'a b' 'it'\''s' '' '$HOME' 'x && y' plain-arg_1.txt`, line)
	out, err := exec.Command("sh", "-c", line).Output()
	require.NoError(t, err)
	assert.Equal(t, strings.Join([]string{`\`, "a b", "it's", "", "$HOME", "x && y", "plain-arg_1.txt"}, "|\n")+"|\n", string(out))
}

func TestMedianAndRatio(t *testing.T) {
	ours := Result{Suite: "s", Case: "c", Ours: true, Runs: []time.Duration{3, 1, 2}}
	peer := Result{Suite: "s", Case: "c", Runs: []time.Duration{9, 5, 7, 6, 100}}
	assert.Equal(t, time.Duration(2), ours.Median())
	assert.Equal(t, time.Duration(7), peer.Median())
	assert.Equal(t, "3.50x", ratio([]Result{ours, peer}, peer))
	assert.Equal(t, "", ratio([]Result{ours, peer}, ours))
	assert.Equal(t, "", ratio([]Result{peer}, peer), "no ratio without our result")
}
