package bcd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// Interpreter runs bcdedit command lines. Each Run is one bcdedit
// invocation: it opens the store named by /store (or Store), applies one
// command, saves the store atomically if the command changed it, and
// writes bcdedit's messages to Stdout. RunStore applies a command to a
// Store in memory.
//
// Commands (options start with / or -, case-insensitive):
//
//	/createstore FILE
//	/create [ID] /d DESC /application TYPE   osloader, resume, startup, bootsector,
//	                                         fwbootmgr, bootmgr, memdiag, ntldr, setup
//	/create [ID] /d DESC /inherit [TYPE]     TYPE: an application type or device
//	/create [ID] /d DESC /device
//	/create WELLKNOWN [/d DESC]              {bootmgr}, {ramdiskoptions}, {globalsettings}, ...
//	/set ID NAME VALUE... [/addfirst|/addlast|/remove]
//	/deletevalue ID NAME
//	/delete ID [/f] [/cleanup|/nocleanup]
//	/displayorder ID... [/addfirst|/addlast|/remove]
//	/toolsdisplayorder ID... [/addfirst|/addlast|/remove]
//	/bootsequence ID... [/addfirst|/addlast|/remove]
//	/default ID
//	/timeout SECONDS
//	/enum [active|all|bootmgr|firmware|bootapp|osloader|resume|inherit|device|ID] [/v]
//	/v                                       (= /enum active /v)
//	/copy ID /d DESC
//	/export FILE
//	/import FILE [/clean]
//
// and two winbootkit extensions for the recipes (not in bcdedit):
//
//	/winpe [/d DESC] [/firmware bios|uefi] [/wim PATH] [/sdi PATH]
//	       [/parent boot|C:|mbr:SIG:OFFSET|gpt:{DISK}:{PART}]
//	       [/nointegritychecks] [/timeout SECONDS] [/id ID]      (see Store.AddWinPE)
//	/vhdboot [HOST]PATH [/d DESC] [/firmware bios|uefi] [/path LOADER]
//	       [/systemroot DIR] [/default] [/id ID]               (see Store.AddVHDBoot)
//
// where HOST is [C:], [locate] or a partition identity in brackets.
//
// An option is / or - followed by letters only; any other argument, such as
// /tmp/BCD, is a value (the file name after /store, /createstore, /export
// and /import is taken whatever it looks like).
//
// ID is a braced GUID or an alias ({bootmgr}, {default}, ...). Device
// values use ParseDevice's syntax, drive letters through Drives.
// /delete cleans up references by default, as bcdedit does; /remove of
// the last identifier of a list deletes the list element. /import /clean
// is accepted and has no effect (it concerns firmware NVRAM).
//
// Errors are *ArgError values naming the bad argument (wrapping ErrUsage,
// ErrInvalidID, ErrUnknownElement, ErrValueType, ErrDeviceSyntax,
// ErrNotFound or ErrExists), or errors from reading and writing the
// store.
type Interpreter struct {
	// Stdout receives bcdedit's messages and /enum output. Default
	// io.Discard.
	Stdout io.Writer
	// Drives resolves drive letters in device values and names partitions
	// in /enum output.
	Drives Drives
	// Store is the store file used when a command line has no /store.
	Store string
	// Options are used to open and create stores.
	Options *Options
	// NewGUID returns the identifier of entries /create, /copy and the
	// extensions make. Default NewGUID.
	NewGUID func() GUID
}

// cmdLine is a parsed command line.
type cmdLine struct {
	store    string
	hasStore bool
	verbose  bool
	cmd      string   // lower-case command name without its switch character
	cmdArg   string   // as typed, for messages
	args     []string // positional arguments of the command
	mods     map[string][]string
	modText  map[string]string // as typed
}

// commands with the switches each takes; a switch mapped to true takes
// one argument.
var commands = map[string]map[string]bool{
	"createstore":       {},
	"create":            {"d": true, "application": true, "inherit": false, "device": false},
	"set":               {"addfirst": false, "addlast": false, "remove": false},
	"deletevalue":       {},
	"delete":            {"f": false, "cleanup": false, "nocleanup": false},
	"displayorder":      {"addfirst": false, "addlast": false, "remove": false},
	"toolsdisplayorder": {"addfirst": false, "addlast": false, "remove": false},
	"bootsequence":      {"addfirst": false, "addlast": false, "remove": false},
	"default":           {},
	"timeout":           {},
	"enum":              {},
	"copy":              {"d": true},
	"export":            {},
	"import":            {"clean": false},
	"winpe": {"d": true, "firmware": true, "wim": true, "sdi": true, "parent": true,
		"nointegritychecks": false, "timeout": true, "id": true},
	"vhdboot": {"d": true, "firmware": true, "path": true, "systemroot": true, "default": false, "id": true},
}

// isSwitch reports whether s is an option: / or - followed by letters only.
// Anything else ("/tmp/BCD", "-1", `\boot\boot.sdi`) is an argument, so
// absolute Unix paths work as file names and values.
func isSwitch(s string) bool {
	if len(s) < 2 || (s[0] != '/' && s[0] != '-') {
		return false
	}
	for _, c := range s[1:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// fileCommands take a file name as their next argument, whatever it looks
// like.
var fileCommands = map[string]bool{"createstore": true, "export": true, "import": true}

func usage(arg, format string, args ...any) error {
	return argErr("option", arg, ErrUsage, format, args...)
}

// parse splits a command line into the global options, the command, its
// positional arguments and its switches.
func (in *Interpreter) parse(args []string) (*cmdLine, error) {
	lim := DefaultLimits
	if in.Options != nil {
		lim = in.Options.Limits.withDefaults()
	}
	if len(args) > lim.MaxArgs {
		return nil, usage(fmt.Sprint(len(args)), "more than MaxArgs (%d) arguments", lim.MaxArgs)
	}
	c := &cmdLine{mods: map[string][]string{}, modText: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !isSwitch(a) {
			if c.cmd == "" {
				return nil, usage(a, "unexpected argument before a command")
			}
			c.args = append(c.args, a)
			continue
		}
		name := strings.ToLower(a[1:])
		switch {
		case name == "store":
			if c.hasStore {
				return nil, usage(a, "given twice")
			}
			if i+1 >= len(args) {
				return nil, usage(a, "needs a file name")
			}
			c.store, c.hasStore = args[i+1], true
			i++
		case name == "v":
			// /v is a global option; alone it means /enum /v.
			c.verbose = true
		case commands[name] != nil && c.cmd == "":
			c.cmd, c.cmdArg = name, a
			if fileCommands[name] && i+1 < len(args) {
				c.args = append(c.args, args[i+1])
				i++
			}
		default:
			if c.cmd == "" {
				return nil, usage(a, "not a bcdedit command")
			}
			takesArg, ok := commands[c.cmd][name]
			if !ok {
				return nil, usage(a, "not an option of %s", c.cmdArg)
			}
			if _, dup := c.mods[name]; dup {
				return nil, usage(a, "given twice")
			}
			c.modText[name] = a
			c.mods[name] = nil
			switch {
			case takesArg:
				if i+1 >= len(args) {
					return nil, usage(a, "needs a value")
				}
				c.mods[name] = []string{args[i+1]}
				i++
			case name == "inherit" && i+1 < len(args) && !isSwitch(args[i+1]) && c.cmd == "create":
				// /inherit takes an optional type.
				if _, err := InheritType(args[i+1]); err == nil {
					c.mods[name] = []string{args[i+1]}
					i++
				}
			}
		}
	}
	if c.cmd == "" {
		c.cmd, c.cmdArg = "enum", "/enum"
	}
	return c, nil
}

func (c *cmdLine) has(mod string) bool { _, ok := c.mods[mod]; return ok }

func (c *cmdLine) mod(mod string) string {
	if v := c.mods[mod]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *cmdLine) wantArgs(min, max int, what string) error {
	if len(c.args) < min {
		return usage(c.cmdArg, "needs %s", what)
	}
	if max >= 0 && len(c.args) > max {
		return usage(c.args[max], "unexpected argument to %s", c.cmdArg)
	}
	return nil
}

func (in *Interpreter) out() io.Writer {
	if in.Stdout == nil {
		return io.Discard
	}
	return in.Stdout
}

func (in *Interpreter) guid() GUID {
	if in.NewGUID != nil {
		return in.NewGUID()
	}
	return NewGUID()
}

const msgOK = "The operation completed successfully."

// Run runs one bcdedit command line (without the program name).
func (in *Interpreter) Run(args []string) error {
	c, err := in.parse(args)
	if err != nil {
		return err
	}
	path := in.Store
	if c.hasStore {
		path = c.store
	}
	switch c.cmd {
	case "createstore":
		if c.hasStore {
			return usage("/store", "cannot be used with %s", c.cmdArg)
		}
		if err := c.wantArgs(1, 1, "a file name"); err != nil {
			return err
		}
		file := c.args[0]
		if _, err := os.Lstat(file); err == nil {
			return &ArgError{Kind: "store", Arg: file, Msg: "cannot create a file when that file already exists", Err: ErrExists}
		}
		s, err := New(in.Options)
		if err != nil {
			return err
		}
		if err := s.Save(file); err != nil {
			return err
		}
		fmt.Fprintln(in.out(), msgOK)
		return nil
	case "import":
		if err := c.wantArgs(1, 1, "a file name"); err != nil {
			return err
		}
		if path == "" {
			return usage(c.cmdArg, "needs /store (there is no system store offline)")
		}
		b, err := os.ReadFile(c.args[0])
		if err != nil {
			return err
		}
		if _, err := Parse(b, in.Options); err != nil {
			return &ArgError{Kind: "file", Arg: c.args[0], Msg: "not a BCD store: " + err.Error(), Err: ErrFormat}
		}
		if err := atomicfile.WriteFile(path, b, 0); err != nil {
			return err
		}
		fmt.Fprintln(in.out(), msgOK)
		return nil
	}
	if path == "" {
		return usage(c.cmdArg, "needs /store (there is no system store offline)")
	}
	s, err := Open(path, in.Options)
	if err != nil {
		return &ArgError{Kind: "store", Arg: path, Msg: "the store could not be opened: " + err.Error(), Err: err}
	}
	if c.cmd == "export" {
		if err := c.wantArgs(1, 1, "a file name"); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(c.args[0], s.Bytes(), 0); err != nil {
			return err
		}
		fmt.Fprintln(in.out(), msgOK)
		return nil
	}
	if err := in.exec(s, c); err != nil {
		return err
	}
	if s.Hive().Modified() {
		return s.Save(path)
	}
	return nil
}

// RunStore runs one command line against s in memory. /store,
// /createstore, /export and /import, which work on files, are refused.
func (in *Interpreter) RunStore(s *Store, args []string) error {
	c, err := in.parse(args)
	if err != nil {
		return err
	}
	if c.hasStore {
		return usage("/store", "not available on an in-memory store")
	}
	switch c.cmd {
	case "createstore", "export", "import":
		return usage(c.cmdArg, "works on files; use Interpreter.Run")
	}
	return in.exec(s, c)
}

func (in *Interpreter) syntax(verbose bool) *Syntax {
	return &Syntax{Drives: in.Drives, Verbose: verbose}
}

// exec runs the commands that work on an open store.
func (in *Interpreter) exec(s *Store, c *cmdLine) error {
	w := in.out()
	switch c.cmd {
	case "enum":
		if err := c.wantArgs(0, 1, ""); err != nil {
			return err
		}
		what := ""
		if len(c.args) == 1 {
			what = c.args[0]
		}
		return s.Enum(w, what, &EnumOptions{Syntax: *in.syntax(c.verbose)})
	case "create":
		return in.create(s, c)
	case "set":
		if err := c.wantArgs(3, -1, "an identifier, an element name and a value"); err != nil {
			return err
		}
		o, err := s.Lookup(c.args[0])
		if err != nil {
			return err
		}
		if err := in.set(s, o, c.args[1], c.args[2:], c); err != nil {
			return err
		}
	case "deletevalue":
		if err := c.wantArgs(2, 2, "an identifier and an element name"); err != nil {
			return err
		}
		o, err := s.Lookup(c.args[0])
		if err != nil {
			return err
		}
		t, err := ParseElementName(o.Type(), c.args[1])
		if err != nil {
			return err
		}
		if err := o.Delete(t); err != nil {
			return err
		}
	case "delete":
		if err := c.wantArgs(1, 1, "an identifier"); err != nil {
			return err
		}
		if c.has("cleanup") && c.has("nocleanup") {
			return usage(c.modText["nocleanup"], "cannot be used with /cleanup")
		}
		id, err := ParseID(c.args[0])
		if err != nil {
			return err
		}
		if id, err = s.Resolve(id); err != nil {
			return err
		}
		if _, known := wellKnownByID(id); known && !c.has("f") {
			return argErr("identifier", c.args[0], ErrUsage, "a well-known identifier is deleted only with /f")
		}
		if err := s.Delete(id, &DeleteOptions{Cleanup: !c.has("nocleanup")}); err != nil {
			return err
		}
	case "displayorder", "toolsdisplayorder", "bootsequence":
		if err := c.wantArgs(1, -1, "one or more identifiers"); err != nil {
			return err
		}
		bm, err := s.Object(BootMgr)
		if err != nil {
			return err
		}
		t := map[string]ElementType{"displayorder": ElemDisplayOrder, "toolsdisplayorder": ElemToolsOrder, "bootsequence": ElemBootSequence}[c.cmd]
		if err := in.setList(s, bm, t, c.args, c); err != nil {
			return err
		}
	case "default":
		if err := c.wantArgs(1, 1, "an identifier"); err != nil {
			return err
		}
		o, err := s.Lookup(c.args[0])
		if err != nil {
			return err
		}
		bm, err := s.Object(BootMgr)
		if err != nil {
			return err
		}
		if err := bm.Set(ElemDefault, o.ID()); err != nil {
			return err
		}
	case "timeout":
		if err := c.wantArgs(1, 1, "a number of seconds"); err != nil {
			return err
		}
		v, ok := parseInteger(nil, c.args[0])
		if !ok {
			return argErr("value", c.args[0], ErrValueType, "the timeout is not an integer")
		}
		bm, err := s.Object(BootMgr)
		if err != nil {
			return err
		}
		if err := bm.Set(ElemTimeout, Integer(v)); err != nil {
			return err
		}
	case "copy":
		if err := c.wantArgs(1, 1, "an identifier"); err != nil {
			return err
		}
		if !c.has("d") {
			return usage(c.cmdArg, "needs /d DESCRIPTION")
		}
		src, err := s.Lookup(c.args[0])
		if err != nil {
			return err
		}
		o, err := s.Copy(src.ID(), in.guid())
		if err != nil {
			return err
		}
		if err := o.Set(ElemDescription, String(c.mod("d"))); err != nil {
			return err
		}
		fmt.Fprintf(w, "The entry was successfully copied to %s.\n", o.ID())
		return nil
	case "winpe":
		return in.winpe(s, c)
	case "vhdboot":
		return in.vhdboot(s, c)
	default:
		return usage(c.cmdArg, "not available here")
	}
	fmt.Fprintln(w, msgOK)
	return nil
}

func (in *Interpreter) create(s *Store, c *cmdLine) error {
	if err := c.wantArgs(0, 1, ""); err != nil {
		return err
	}
	var id GUID
	if len(c.args) == 1 {
		var err error
		if id, err = ParseID(c.args[0]); err != nil {
			return err
		}
		if id == Default || id == Current {
			return argErr("identifier", c.args[0], ErrInvalidID, "a virtual identifier cannot be created")
		}
	}
	kinds := 0
	for _, m := range []string{"application", "inherit", "device"} {
		if c.has(m) {
			kinds++
		}
	}
	if kinds > 1 {
		return usage(c.cmdArg, "takes only one of /application, /inherit and /device")
	}
	var t ObjectType
	var err error
	switch {
	case c.has("application"):
		t, err = ApplicationType(c.mod("application"))
	case c.has("inherit"):
		t, err = InheritType(c.mod("inherit"))
	case c.has("device"):
		t = TypeDevice
	default:
		wt, ok := WellKnownType(id)
		if !ok {
			return usage(c.cmdArg, "needs /application TYPE, /inherit [TYPE] or /device unless the identifier is a well-known one")
		}
		t = wt
	}
	if err != nil {
		return err
	}
	if _, known := wellKnownByID(id); !known && !c.has("d") {
		return usage(c.cmdArg, "needs /d DESCRIPTION")
	}
	if id.IsZero() {
		id = in.guid()
	}
	o, err := s.Create(id, t)
	if err != nil {
		return err
	}
	if c.has("d") {
		if err := o.Set(ElemDescription, String(c.mod("d"))); err != nil {
			return err
		}
	}
	fmt.Fprintf(in.out(), "The entry %s was successfully created.\n", idText(o.ID(), false))
	return nil
}

// set parses the value(s) of element name for object o and sets it.
func (in *Interpreter) set(s *Store, o *Object, name string, vals []string, c *cmdLine) error {
	t, err := ParseElementName(o.Type(), name)
	if err != nil {
		return err
	}
	if t.Format() == FormatObjectList {
		return in.setList(s, o, t, vals, c)
	}
	for _, m := range []string{"addfirst", "addlast", "remove"} {
		if c.has(m) {
			return usage(c.modText[m], "applies only to object-list elements")
		}
	}
	if t.Format() != FormatIntegerList && len(vals) > 1 {
		return usage(vals[1], "%s takes one value", name)
	}
	v, err := in.parseValue(s, o, t, name, vals)
	if err != nil {
		return err
	}
	return o.Set(t, v)
}

// parseValue parses the text of a value of element t.
func (in *Interpreter) parseValue(s *Store, o *Object, t ElementType, name string, vals []string) (Value, error) {
	text := vals[0]
	switch t.Format() {
	case FormatDevice:
		return ParseDevice(text, t, in.syntax(false))
	case FormatString:
		return String(text), nil
	case FormatObject:
		return resolveRef(s, text)
	case FormatInteger:
		n, ok := parseInteger(enumNames(o.Type(), t), text)
		if !ok {
			return nil, argErr("value", text, ErrValueType, "%s takes an integer", name)
		}
		return Integer(n), nil
	case FormatBoolean:
		b, ok := parseBoolean(text)
		if !ok {
			return nil, argErr("value", text, ErrValueType, "%s takes Yes or No", name)
		}
		return Boolean(b), nil
	case FormatIntegerList:
		list := make(IntegerList, 0, len(vals))
		for _, v := range vals {
			n, ok := parseInteger(nil, v)
			if !ok {
				return nil, argErr("value", v, ErrValueType, "%s takes integers", name)
			}
			list = append(list, n)
		}
		return list, nil
	}
	return nil, argErr("element", name, ErrUnknownElement, "element format %v cannot be set", t.Format())
}

// resolveRef parses an identifier value, resolving {default}.
func resolveRef(s *Store, text string) (GUID, error) {
	id, err := ParseID(text)
	if err != nil {
		return GUID{}, err
	}
	return s.Resolve(id)
}

// setList sets, extends or shortens the object list t of o.
func (in *Interpreter) setList(s *Store, o *Object, t ElementType, vals []string, c *cmdLine) error {
	ids := make(ObjectList, 0, len(vals))
	for _, v := range vals {
		id, err := resolveRef(s, v)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	mode := ""
	for _, m := range []string{"addfirst", "addlast", "remove"} {
		if c.has(m) {
			if mode != "" {
				return usage(c.modText[m], "cannot be used with /%s", mode)
			}
			mode = m
		}
	}
	if mode == "" {
		return o.Set(t, ids)
	}
	if len(ids) != 1 {
		return usage(c.modText[mode], "takes exactly one identifier")
	}
	var cur ObjectList
	if v, err := o.Get(t); err == nil {
		cur, _ = v.(ObjectList)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	id := ids[0]
	next := slices.DeleteFunc(slices.Clone(cur), func(g GUID) bool { return g == id })
	switch mode {
	case "addfirst":
		next = append(ObjectList{id}, next...)
	case "addlast":
		next = append(next, id)
	case "remove":
		if len(next) == len(cur) {
			return &ArgError{Kind: "identifier", Arg: vals[0], Msg: "not in the list", Err: ErrNotFound}
		}
		if len(next) == 0 {
			return o.Delete(t)
		}
	}
	return o.Set(t, next)
}

func (in *Interpreter) winpe(s *Store, c *cmdLine) error {
	if err := c.wantArgs(0, 0, ""); err != nil {
		return err
	}
	r := &WinPE{Description: c.mod("d"), WIMPath: c.mod("wim"), SDIPath: c.mod("sdi"), NoIntegrityChecks: c.has("nointegritychecks")}
	var err error
	if r.Firmware, err = parseFirmware(c); err != nil {
		return err
	}
	if c.has("parent") {
		if r.Parent, err = parseParent(c.mod("parent"), c.mod("parent"), in.syntax(false)); err != nil {
			return err
		}
	}
	if c.has("timeout") {
		v, ok := parseInteger(nil, c.mod("timeout"))
		if !ok {
			return argErr("value", c.mod("timeout"), ErrValueType, "the timeout is not an integer")
		}
		r.Timeout = &v
	}
	if r.ID, err = in.newID(s, c); err != nil {
		return err
	}
	o, err := s.AddWinPE(r)
	if err != nil {
		return err
	}
	fmt.Fprintf(in.out(), "The entry %s was successfully created.\n", o.ID())
	return nil
}

func (in *Interpreter) vhdboot(s *Store, c *cmdLine) error {
	if err := c.wantArgs(1, 1, "a [HOST]\\path.vhd argument"); err != nil {
		return err
	}
	d, err := ParseDevice("vhd="+c.args[0], ElemDevice, in.syntax(false))
	if err != nil {
		return &ArgError{Kind: "vhd path", Arg: c.args[0], Msg: err.Error(), Err: ErrDeviceSyntax}
	}
	r := &VHDBoot{Description: c.mod("d"), VHDPath: d.Path, Host: d.Parent, LoaderPath: c.mod("path"),
		SystemRoot: c.mod("systemroot"), Default: c.has("default")}
	if d.Parent.Kind == DeviceLocate {
		r.Host = nil
	}
	if r.Firmware, err = parseFirmware(c); err != nil {
		return err
	}
	if r.ID, err = in.newID(s, c); err != nil {
		return err
	}
	o, err := s.AddVHDBoot(r)
	if err != nil {
		return err
	}
	fmt.Fprintf(in.out(), "The entry %s was successfully created.\n", o.ID())
	return nil
}

func (in *Interpreter) newID(s *Store, c *cmdLine) (GUID, error) {
	if !c.has("id") {
		return in.guid(), nil
	}
	id, err := ParseGUID(c.mod("id"))
	if err != nil {
		return GUID{}, err
	}
	return id, nil
}

func parseFirmware(c *cmdLine) (Firmware, error) {
	switch strings.ToLower(c.mod("firmware")) {
	case "", "bios":
		return BIOS, nil
	case "uefi", "efi":
		return UEFI, nil
	}
	return 0, argErr("value", c.mod("firmware"), ErrValueType, "/firmware takes bios or uefi")
}
