package bcd_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// seqGUIDs returns a NewGUID function giving {00000000-0000-0000-0000-00000000000N}.
func seqGUIDs() func() bcd.GUID {
	n := 0
	return func() bcd.GUID {
		n++
		return bcd.MustParseGUID(fmt.Sprintf("{00000000-0000-0000-0000-%012x}", n))
	}
}

type session struct {
	t   *testing.T
	in  *bcd.Interpreter
	out *bytes.Buffer
	dir string
}

func newSession(t *testing.T) *session {
	out := &bytes.Buffer{}
	dir := t.TempDir()
	return &session{t: t, out: out, dir: dir,
		in: &bcd.Interpreter{Stdout: out, Drives: fixtureDrives(t), NewGUID: seqGUIDs()}}
}

// run runs a command line (in the session directory) and returns its output.
func (s *session) run(line string) (string, error) {
	s.t.Helper()
	s.out.Reset()
	wd, err := os.Getwd()
	require.NoError(s.t, err)
	require.NoError(s.t, os.Chdir(s.dir))
	defer os.Chdir(wd)
	err = s.in.RunLine(line)
	return s.out.String(), err
}

func (s *session) ok(line, want string) {
	s.t.Helper()
	got, err := s.run(line)
	require.NoError(s.t, err, line)
	if want != "" {
		assert.Equal(s.t, want+"\n", got, line)
	}
}

func (s *session) store() *bcd.Store {
	s.t.Helper()
	st, err := bcd.Open(filepath.Join(s.dir, "BCD"), nil)
	require.NoError(s.t, err)
	return st
}

func (s *session) get(id string, t bcd.ElementType) bcd.Value {
	s.t.Helper()
	o, err := s.store().Lookup(id)
	require.NoError(s.t, err)
	v, err := o.Get(t)
	if err != nil {
		return nil
	}
	return v
}

const ok = "The operation completed successfully."

// Every command of the issue, with bcdedit's messages, options in either
// case and with / or -.
func TestInterpreterCommands(t *testing.T) {
	s := newSession(t)
	g := func(n int) string { return fmt.Sprintf("{00000000-0000-0000-0000-%012x}", n) }
	s.ok("bcdedit /createstore BCD", ok)
	s.ok(`bcdedit /store BCD /create {bootmgr} /d "Boot Manager"`, "The entry {bootmgr} was successfully created.")
	s.ok(`bcdedit -STORE BCD -Create /d "PE one" -APPLICATION OSLOADER`, "The entry "+g(1)+" was successfully created.")
	s.ok(`bcdedit /store BCD /create /d "PE two" /application osloader`, "The entry "+g(2)+" was successfully created.")
	s.ok(`bcdedit /store BCD /create {12345678-1234-1234-1234-123456789abc} /d "Resume" /application resume`, "The entry {12345678-1234-1234-1234-123456789abc} was successfully created.")
	s.ok(`bcdedit /store BCD /create /d "Settings" /inherit osloader`, "The entry "+g(3)+" was successfully created.")
	s.ok(`bcdedit /store BCD /create /d "Lib" /inherit`, "The entry "+g(4)+" was successfully created.")
	s.ok(`bcdedit /store BCD /create /d "Dev" /device`, "The entry "+g(5)+" was successfully created.")
	s.ok(`bcdedit /store BCD /create {ramdiskoptions}`, "The entry {ramdiskoptions} was successfully created.")
	s.ok(`bcdedit /store BCD /create {globalsettings}`, "The entry {globalsettings} was successfully created.")

	st := s.store()
	for id, typ := range map[string]bcd.ObjectType{"{bootmgr}": bcd.TypeBootMgr, g(1): bcd.TypeOSLoader,
		"{12345678-1234-1234-1234-123456789abc}": bcd.TypeResume, g(3): 0x20200003, g(4): bcd.TypeInheritLibrary,
		g(5): bcd.TypeDevice, "{ramdiskoptions}": bcd.TypeDevice, "{globalsettings}": bcd.TypeInheritLibrary} {
		o, err := st.Lookup(id)
		require.NoError(t, err, id)
		assert.Equal(t, typ, o.Type(), id)
	}
	assert.Equal(t, bcd.String("PE one"), s.get(g(1), bcd.ElemDescription))
	assert.Nil(t, s.get("{ramdiskoptions}", bcd.ElemDescription))

	// /set for every format.
	s.ok(`bcdedit /store BCD /set `+g(1)+` device partition=C:`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` osdevice ramdisk=[C:]\pe.wim,{ramdiskoptions}`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` path \windows\system32\winload.exe`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` resumeobject {12345678-1234-1234-1234-123456789abc}`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` inherit `+g(3)+` {globalsettings}`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` nx OptOut`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` bootmenupolicy standard`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` winpe YES`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` detecthal on`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` badmemorylist 1 0x10 300`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` custom:250000aa 0x20`, ok)
	s.ok(`bcdedit /store BCD /set `+g(1)+` hypervisorlaunchtype Auto`, ok)
	s.ok(`bcdedit /store BCD /set {ramdiskoptions} ramdisksdidevice boot`, ok)
	s.ok(`bcdedit /store BCD /set {ramdiskoptions} ramdisktftpblocksize 16384`, ok)
	s.ok(`bcdedit /store BCD /set {ramdiskoptions} exportascd yes`, ok)
	s.ok(`bcdedit /store BCD /set {12345678-1234-1234-1234-123456789abc} filedevice partition=C:`, ok)
	s.ok(`bcdedit /store BCD /set {12345678-1234-1234-1234-123456789abc} filepath \hiberfil.sys`, ok)
	s.ok(`bcdedit /store BCD /set {globalsettings} bootems yes`, ok)

	assert.Equal(t, bcd.Integer(1), s.get(g(1), 0x25000020))
	assert.Equal(t, bcd.Integer(1), s.get(g(1), 0x250000c2))
	assert.Equal(t, bcd.Integer(1), s.get(g(1), 0x250000f0))
	assert.Equal(t, bcd.Boolean(true), s.get(g(1), bcd.ElemWinPE))
	assert.Equal(t, bcd.IntegerList{1, 16, 300}, s.get(g(1), 0x1700000a))
	assert.Equal(t, bcd.Integer(0x20), s.get(g(1), 0x250000aa))
	assert.Equal(t, bcd.Integer(16384), s.get("{ramdiskoptions}", 0x35000007))
	assert.Equal(t, bcd.MustParseGUID("{12345678-1234-1234-1234-123456789abc}"), s.get(g(1), 0x23000003))
	assert.Equal(t, bcd.ObjectList{bcd.MustParseGUID(g(3)), bcd.GlobalSettings}, s.get(g(1), bcd.ElemInherit))

	// Boot manager lists.
	s.ok(`bcdedit /store BCD /displayorder `+g(1), ok)
	s.ok(`bcdedit /store BCD /displayorder `+g(2)+` /addlast`, ok)
	s.ok(`bcdedit /store BCD /displayorder {12345678-1234-1234-1234-123456789abc} /addfirst`, ok)
	s.ok(`bcdedit /store BCD /displayorder `+g(1)+` /ADDLAST`, ok)
	ids := func(n ...string) bcd.ObjectList {
		var l bcd.ObjectList
		for _, x := range n {
			id, err := bcd.ParseID(x)
			require.NoError(t, err)
			l = append(l, id)
		}
		return l
	}
	assert.Equal(t, ids("{12345678-1234-1234-1234-123456789abc}", g(2), g(1)), s.get("{bootmgr}", bcd.ElemDisplayOrder))
	s.ok(`bcdedit /store BCD /displayorder {12345678-1234-1234-1234-123456789abc} /remove`, ok)
	assert.Equal(t, ids(g(2), g(1)), s.get("{bootmgr}", bcd.ElemDisplayOrder))
	s.ok(`bcdedit /store BCD /set {bootmgr} displayorder `+g(1)+` /addfirst`, ok)
	assert.Equal(t, ids(g(1), g(2)), s.get("{bootmgr}", bcd.ElemDisplayOrder))
	s.ok(`bcdedit /store BCD /toolsdisplayorder {12345678-1234-1234-1234-123456789abc}`, ok)
	s.ok(`bcdedit /store BCD /bootsequence `+g(2)+` `+g(1), ok)
	assert.Equal(t, ids(g(2), g(1)), s.get("{bootmgr}", bcd.ElemBootSequence))
	s.ok(`bcdedit /store BCD /bootsequence `+g(2)+` /remove`, ok)
	s.ok(`bcdedit /store BCD /bootsequence `+g(1)+` /remove`, ok)
	assert.Nil(t, s.get("{bootmgr}", bcd.ElemBootSequence), "removing the last entry deletes the list")
	s.ok(`bcdedit /store BCD /default `+g(2), ok)
	s.ok(`bcdedit /store BCD /timeout 30`, ok)
	assert.Equal(t, bcd.MustParseGUID(g(2)), s.get("{bootmgr}", bcd.ElemDefault))
	assert.Equal(t, bcd.Integer(30), s.get("{bootmgr}", bcd.ElemTimeout))
	// {default} now names g(2).
	s.ok(`bcdedit /store BCD /set {default} description "Second PE"`, ok)
	assert.Equal(t, bcd.String("Second PE"), s.get(g(2), bcd.ElemDescription))

	// /deletevalue.
	s.ok(`bcdedit /store BCD /deletevalue `+g(1)+` badmemorylist`, ok)
	assert.Nil(t, s.get(g(1), 0x1700000a))

	// /copy.
	s.ok(`bcdedit /store BCD /copy `+g(1)+` /d "Copy of one"`, "The entry was successfully copied to "+g(6)+".")
	assert.Equal(t, bcd.String("Copy of one"), s.get(g(6), bcd.ElemDescription))
	assert.Equal(t, s.get(g(1), bcd.ElemOSDevice).(*bcd.Device).String(), s.get(g(6), bcd.ElemOSDevice).(*bcd.Device).String())

	// /enum and /v.
	out, err := s.run(`bcdedit /store BCD /enum`)
	require.NoError(t, err)
	assert.Contains(t, out, "identifier              {bootmgr}\n")
	assert.Contains(t, out, "identifier              {default}\n")
	assert.Contains(t, out, `osdevice                ramdisk=[C:]\pe.wim,{ramdiskoptions}`)
	assert.Contains(t, out, "nx                      OptOut\n")
	out, err = s.run(`bcdedit /store BCD /v`)
	require.NoError(t, err)
	assert.Contains(t, out, "identifier              "+bcd.BootMgr.String()+"\n")
	out2, err := s.run(`bcdedit /store BCD /enum ACTIVE /V`)
	require.NoError(t, err)
	assert.Equal(t, out, out2)
	out2, err = s.run(`bcdedit /v /store BCD /enum`)
	require.NoError(t, err)
	assert.Equal(t, out, out2)
	out, err = s.run(`bcdedit /store BCD /enum {ramdiskoptions}`)
	require.NoError(t, err)
	assert.Contains(t, out, "ramdisktftpblocksize    16384\n")
	assert.Contains(t, out, "exportascd              Yes\n")

	// /delete: cleanup by default, /nocleanup keeps references, /f for well-known ids.
	s.ok(`bcdedit /store BCD /delete `+g(2), ok)
	assert.Equal(t, ids(g(1)), s.get("{bootmgr}", bcd.ElemDisplayOrder))
	assert.Nil(t, s.get("{bootmgr}", bcd.ElemDefault))
	s.ok(`bcdedit /store BCD /delete `+g(1)+` /nocleanup`, ok)
	assert.Equal(t, ids(g(1)), s.get("{bootmgr}", bcd.ElemDisplayOrder))
	_, err = s.run(`bcdedit /store BCD /delete {globalsettings}`)
	require.ErrorIs(t, err, bcd.ErrUsage)
	s.ok(`bcdedit /store BCD /delete {globalsettings} /f`, ok)
	assert.Equal(t, ids(g(3)), s.get(g(6), bcd.ElemInherit), "cleanup removed {globalsettings} from inherit")

	// /export and /import.
	s.ok(`bcdedit /store BCD /export backup.bcd`, ok)
	exported, err := os.ReadFile(filepath.Join(s.dir, "backup.bcd"))
	require.NoError(t, err)
	saved, err := os.ReadFile(filepath.Join(s.dir, "BCD"))
	require.NoError(t, err)
	testutil.EqualBytes(t, saved, exported)
	s.ok(`bcdedit /store BCD /timeout 5`, ok)
	s.ok(`bcdedit /store BCD /import backup.bcd /clean`, ok)
	assert.Equal(t, bcd.Integer(30), s.get("{bootmgr}", bcd.ElemTimeout))

	require.Empty(t, s.store().Check())
	validateTools(t, filepath.Join(s.dir, "BCD"))
}

// Bad command lines fail with an *ArgError naming the bad argument and
// wrapping the sentinel for what is wrong; the store is not changed.
func TestInterpreterErrors(t *testing.T) {
	s := newSession(t)
	s.ok("bcdedit /createstore BCD", ok)
	s.ok(`bcdedit /store BCD /create {bootmgr} /d "Boot Manager"`, "")
	s.ok(`bcdedit /store BCD /create {00000000-0000-0000-0000-000000000009} /d "PE" /application osloader`, "")
	before, err := os.ReadFile(filepath.Join(s.dir, "BCD"))
	require.NoError(t, err)
	const pe = "{00000000-0000-0000-0000-000000000009}"
	for _, tc := range []struct {
		line string
		err  error
		arg  string
	}{
		{`bcdedit /store BCD /frobnicate`, bcd.ErrUsage, "/frobnicate"},
		{`bcdedit /store BCD {bootmgr}`, bcd.ErrUsage, "{bootmgr}"},
		{`bcdedit /store BCD /set {bootmgr}`, bcd.ErrUsage, "/set"},
		{`bcdedit /store BCD /set {bootmgr} timeout 1 2`, bcd.ErrUsage, "2"},
		{`bcdedit /store BCD /set {bootmgr} timeout 1 /addlast`, bcd.ErrUsage, "/addlast"},
		{`bcdedit /store BCD /set {nosuch} timeout 1`, bcd.ErrInvalidID, "{nosuch}"},
		{`bcdedit /store BCD /set {9dea862c-5cdd-4e70-acc1-f32b344d47} timeout 1`, bcd.ErrInvalidID, "{9dea862c-5cdd-4e70-acc1-f32b344d47}"},
		{`bcdedit /store BCD /set {memdiag} timeout 1`, bcd.ErrNotFound, "{memdiag}"},
		{`bcdedit /store BCD /set {current} winpe yes`, bcd.ErrInvalidID, "{current}"},
		{`bcdedit /store BCD /set {bootmgr} frobnicate 1`, bcd.ErrUnknownElement, "frobnicate"},
		{`bcdedit /store BCD /set {bootmgr} winpe yes`, bcd.ErrUnknownElement, "winpe"},
		{`bcdedit /store BCD /set {bootmgr} custom:zz 1`, bcd.ErrUnknownElement, "custom:zz"},
		{`bcdedit /store BCD /set {bootmgr} timeout soon`, bcd.ErrValueType, "soon"},
		{`bcdedit /store BCD /set ` + pe + ` winpe maybe`, bcd.ErrValueType, "maybe"},
		{`bcdedit /store BCD /set ` + pe + ` nx sometimes`, bcd.ErrValueType, "sometimes"},
		{`bcdedit /store BCD /set ` + pe + ` resumeobject notaguid`, bcd.ErrInvalidID, "notaguid"},
		{`bcdedit /store BCD /set ` + pe + ` badmemorylist 1 x`, bcd.ErrValueType, "x"},
		{`bcdedit /store BCD /set ` + pe + ` device ramdisk=\x.wim`, bcd.ErrDeviceSyntax, `ramdisk=\x.wim`},
		{`bcdedit /store BCD /set ` + pe + ` device partition=Q:`, bcd.ErrDeviceSyntax, "partition=Q:"},
		{`bcdedit /store BCD /set ` + pe + ` custom:80000001 x`, bcd.ErrUnknownElement, "custom:80000001"},
		{`bcdedit /store BCD /deletevalue ` + pe + ` winpe`, bcd.ErrNotFound, "winpe"},
		{`bcdedit /store BCD /create {bootmgr}`, bcd.ErrExists, "{bootmgr}"},
		{`bcdedit /store BCD /create /d "x"`, bcd.ErrUsage, "/create"},
		{`bcdedit /store BCD /create /application osloader`, bcd.ErrUsage, "/create"},
		{`bcdedit /store BCD /create /d x /application winload`, bcd.ErrValueType, "winload"},
		{`bcdedit /store BCD /create /d x /application osloader /device`, bcd.ErrUsage, "/create"},
		{`bcdedit /store BCD /create {default} /d x /application osloader`, bcd.ErrInvalidID, "{default}"},
		{`bcdedit /store BCD /create /d x /d y /device`, bcd.ErrUsage, "/d"},
		{`bcdedit /store BCD /create /d`, bcd.ErrUsage, "/d"},
		{`bcdedit /store BCD /delete ` + pe + ` /cleanup /nocleanup`, bcd.ErrUsage, "/nocleanup"},
		{`bcdedit /store BCD /delete {bootmgr}`, bcd.ErrUsage, "{bootmgr}"},
		{`bcdedit /store BCD /displayorder ` + pe + ` {bootmgr} /addlast`, bcd.ErrUsage, "/addlast"},
		{`bcdedit /store BCD /displayorder ` + pe + ` /addlast /remove`, bcd.ErrUsage, "/remove"},
		{`bcdedit /store BCD /displayorder ` + pe + ` /remove`, bcd.ErrNotFound, pe},
		{`bcdedit /store BCD /timeout never`, bcd.ErrValueType, "never"},
		{`bcdedit /store BCD /default {nosuch}`, bcd.ErrInvalidID, "{nosuch}"},
		{`bcdedit /store BCD /copy ` + pe, bcd.ErrUsage, "/copy"},
		{`bcdedit /store BCD /enum sideways`, bcd.ErrUsage, "sideways"},
		{`bcdedit /store BCD /store BCD /enum`, bcd.ErrUsage, "/store"},
		{`bcdedit /store`, bcd.ErrUsage, "/store"},
		{`bcdedit /enum`, bcd.ErrUsage, "/enum"},
		{`bcdedit /createstore BCD`, bcd.ErrExists, "BCD"},
		{`bcdedit /store BCD /winpe /firmware arm`, bcd.ErrValueType, "arm"},
		{`bcdedit /store BCD /winpe /parent Q:`, bcd.ErrDeviceSyntax, "Q:"},
		{`bcdedit /store BCD /vhdboot \x.vhd`, bcd.ErrDeviceSyntax, `\x.vhd`},
	} {
		_, err := s.run(tc.line)
		require.ErrorIs(t, err, tc.err, tc.line)
		var ae *bcd.ArgError
		require.ErrorAs(t, err, &ae, tc.line)
		assert.Equal(t, tc.arg, ae.Arg, tc.line)
		assert.Contains(t, err.Error(), tc.arg, tc.line)
		after, err := os.ReadFile(filepath.Join(s.dir, "BCD"))
		require.NoError(t, err)
		require.True(t, bytes.Equal(before, after), "%s changed the store", tc.line)
	}
	// /import of a file that is not a store.
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "junk"), []byte("junk"), 0o644))
	_, err = s.run(`bcdedit /store BCD /import junk`)
	require.ErrorIs(t, err, bcd.ErrFormat)
}

// RunStore works on a store in memory and refuses file commands.
func TestRunStore(t *testing.T) {
	st, err := bcd.New(nil)
	require.NoError(t, err)
	var out bytes.Buffer
	in := &bcd.Interpreter{Stdout: &out, NewGUID: seqGUIDs()}
	require.NoError(t, in.RunStore(st, strings.Fields(`/create {bootmgr} /d BM`)))
	require.NoError(t, in.RunStore(st, strings.Fields(`/set {bootmgr} timeout 7`)))
	assert.Equal(t, "The entry {bootmgr} was successfully created.\n"+ok+"\n", out.String())
	for _, args := range [][]string{{"/createstore", "x"}, {"/export", "x"}, {"/import", "x"}, {"/store", "x", "/enum"}} {
		require.ErrorIs(t, in.RunStore(st, args), bcd.ErrUsage)
	}
	// The default store path.
	dir := t.TempDir()
	p := filepath.Join(dir, "BCD")
	require.NoError(t, st.Save(p))
	out.Reset()
	in.Store = p
	require.NoError(t, in.Run([]string{"/enum", "bootmgr"}))
	assert.Contains(t, out.String(), "timeout                 7\n")
}

func TestSplitCommandLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`bcdedit /store BCD /create /d "WinPE 2.0" /application osloader`, []string{"bcdedit", "/store", "BCD", "/create", "/d", "WinPE 2.0", "/application", "osloader"}},
		{`a \boot\boot.sdi "c d"e`, []string{"a", `\boot\boot.sdi`, "c de"}},
		{`a "b \"c\" d" \\"e f"`, []string{"a", `b "c" d`, `\e f`}},
		{"  a\t\tb  ", []string{"a", "b"}},
		{`""`, []string{""}},
		{`"unterminated quote`, []string{"unterminated quote"}},
		{`"a""b"`, []string{`a"b`}},
		{``, nil},
	} {
		assert.Equal(t, tc.want, bcd.SplitCommandLine(tc.in), tc.in)
	}
}

// Every file the interpreter writes goes through atomicfile: a write that
// fails part-way leaves the target as it was and no temporary file.
func TestInterpreterSaveFailure(t *testing.T) {
	s := newSession(t)
	s.ok("bcdedit /createstore BCD", ok)
	s.ok(`bcdedit /store BCD /create {bootmgr} /d "Boot Manager"`, "")
	s.ok(`bcdedit /store BCD /export copy.bcd`, ok)
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, "other.bcd"), []byte("previous contents"), 0o644))
	files := func() map[string][]byte {
		out := map[string][]byte{}
		ents, err := os.ReadDir(s.dir)
		require.NoError(t, err)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
			require.NoError(t, err)
			out[e.Name()] = b
		}
		return out
	}
	before := files()
	for _, line := range []string{
		`bcdedit /store BCD /timeout 99`,                      // save after an edit
		`bcdedit /store BCD /export other.bcd`,                // export over a file
		`bcdedit /store BCD /import copy.bcd`,                 // import over the store
		`bcdedit /store BCD /winpe /d PE`,                     // recipe extension
		`bcdedit /store BCD /set {bootmgr} description "x y"`, // set
	} {
		for _, after := range []int64{0, 4096} {
			restore := atomicfile.FailAfter(after)
			_, err := s.run(line)
			restore()
			require.ErrorIs(t, err, atomicfile.ErrInjected, line)
			assert.Equal(t, before, files(), "%s failing after %d bytes changed the directory", line, after)
		}
	}
	// /createstore of a new file that fails leaves no file.
	restore := atomicfile.FailAfter(10)
	_, err := s.run(`bcdedit /createstore NEW`)
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	assert.Equal(t, before, files())
}
