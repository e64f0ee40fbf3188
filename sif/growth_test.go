package sif_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/sif"
)

// TestSlipstreamGrowsPastLineLimit: a txtsetup.sif just under inf's physical
// line limit still takes a driver whose lines carry it over the limit. The
// trial copy of the edit is re-read with the limit raised to its own size;
// only the input is bounded.
func TestSlipstreamGrowsPastLineLimit(t *testing.T) {
	const ids = 200
	maxLines := inf.DefaultLimits.MaxLines
	var sb strings.Builder
	sb.WriteString("[SourceDisksFiles]\r\n")
	for i := range maxLines - 2 {
		fmt.Fprintf(&sb, "f%06d.sys = 1,,,,,,4_,4,1,,,1,4\r\n", i)
	}
	in := sb.String()
	require.Equal(t, maxLines-1, strings.Count(in, "\n"), "input just under the limit")
	doc, err := sif.Parse([]byte(in), nil)
	require.NoError(t, err)

	var oem strings.Builder
	oem.WriteString(oemText("a.sys", "a"))
	for i := range ids {
		fmt.Fprintf(&oem, "id = \"PCI\\VEN_1234&DEV_%04X\", \"a\"\r\n", i)
	}
	_, err = newSlip(t, parseOEM(t, oem.String()), nil).ApplySIF(doc)
	require.NoError(t, err)
	out := string(doc.Bytes())
	assert.Greater(t, strings.Count(out, "\n"), maxLines+ids, "the edited file is over the read limit")
	assert.True(t, strings.HasPrefix(out, in), "the original lines are kept in front")
}
