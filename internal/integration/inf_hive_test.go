package integration_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/integration"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// systemRoots maps hive INF paths onto a SYSTEM hive the way ReactOS' mkhive
// does: the hive's root is HKLM\SYSTEM and CurrentControlSet is
// ControlSet001.
func systemRoots() *inf.ApplyOptions {
	return &inf.ApplyOptions{Roots: map[string]string{`HKLM\SYSTEM\CurrentControlSet`: "ControlSet001", `HKLM\SYSTEM`: ""}}
}

// mapSystem is the test's own reading of that mapping, for the per-line
// check.
func mapSystem(op inf.RegOp) (string, bool) {
	if !strings.EqualFold(op.Root, "HKLM") {
		return "", false
	}
	var parts []string
	for _, c := range strings.Split(op.Subkey, `\`) {
		if c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 || !strings.EqualFold(parts[0], "SYSTEM") {
		return "", false
	}
	parts = parts[1:]
	if len(parts) > 0 && strings.EqualFold(parts[0], "CurrentControlSet") {
		parts[0] = "ControlSet001"
	}
	return strings.Join(parts, `\`), true
}

// TestHiveINFToHive is the cross-package acceptance test of issue 5
// (point 4): ReactOS setupreg.inf [DelReg] then hivesys.inf [AddReg],
// applied through inf.ApplyHiveINF to a new hive; the saved hive must be
// accepted by regfexport and hivexregedit, and hold exactly what an
// inf.MemRegistry given the same operations holds, before and after being
// reopened; each AddReg line is also checked on its own.
func TestHiveINFToHive(t *testing.T) {
	setupreg, err := inf.Parse(testutil.ReadFixture(t, "inf/reactos/setupreg.inf"), nil)
	require.NoError(t, err)
	hivesys, err := inf.Parse(testutil.ReadFixture(t, "inf/reactos/hivesys.inf"), nil)
	require.NoError(t, err)

	h, err := hive.New("SYSTEM", hive.Version15, nil)
	require.NoError(t, err)
	rep, err := inf.ApplyHiveINF(h, systemRoots(), setupreg, hivesys)
	require.NoError(t, err)
	assert.Zero(t, rep.Count(inf.OutcomeUnmapped), "every line of these files is under HKLM\\SYSTEM")
	assert.Empty(t, h.Check(), "hive.Check")

	mem := inf.NewMemRegistry()
	memRep, err := inf.ApplyHiveINF(mem, systemRoots(), setupreg, hivesys)
	require.NoError(t, err)
	require.Equal(t, len(rep.Ops), len(memRep.Ops))

	p := filepath.Join(t.TempDir(), "system.hiv")
	require.NoError(t, h.Save(p))
	integration.HiveTools(t, p)

	keys, values := integration.SameAsMem(t, mem, h)
	t.Logf("%d keys, %d values", keys, values)
	reopened, err := hive.Open(p, nil)
	require.NoError(t, err)
	integration.SameAsMem(t, mem, reopened)

	// Each AddReg line on its own: the key exists, and a value that only
	// plain lines set holds the data of the last of them.
	ops, err := hivesys.RegOps("AddReg", false)
	require.NoError(t, err)
	type last struct {
		op    inf.RegOp
		plain bool
	}
	final := map[string]*last{}
	for _, op := range ops {
		path, ok := mapSystem(op)
		require.True(t, ok, "line %d", op.Line.Number())
		if op.Kind == inf.OpIgnore {
			continue
		}
		if !op.OverwriteOnly() {
			_, err := reopened.OpenKey(path)
			require.NoError(t, err, "line %d: key %s", op.Line.Number(), path)
		}
		if op.Kind != inf.OpSetValue && op.Kind != inf.OpAppendMultiSZ {
			continue
		}
		k := strings.ToLower(path) + "\x00" + strings.ToLower(op.ValueName)
		plain := op.Kind == inf.OpSetValue && !op.NoClobber() && !op.OverwriteOnly()
		if l := final[k]; l != nil {
			plain = plain && l.plain
		}
		final[k] = &last{op: op, plain: plain}
	}
	checked := 0
	for k, l := range final {
		if !l.plain {
			continue
		}
		path, name, _ := strings.Cut(k, "\x00")
		typ, data, ok, err := reopened.RawValue(path, name)
		require.NoError(t, err)
		require.True(t, ok, "line %d: %s", l.op.Line.Number(), l.op)
		if typ != uint32(l.op.Type) || !bytes.Equal(data, l.op.Data) {
			t.Errorf("line %d: %s: type %d data % x", l.op.Line.Number(), l.op, typ, data)
		}
		checked++
	}
	t.Logf("%d AddReg lines, %d values checked line by line", len(ops), checked)
	assert.Greater(t, checked, 1000)
}
