package inf_test

import (
	"fmt"

	"github.com/winbootkit/winbootkit/inf"
)

// SetFields keeps a quoted field quoted; SetFieldsVerbatim writes the
// field text as given.
func ExampleLine_SetFieldsVerbatim() {
	d, err := inf.Parse([]byte("[SetupData]\nBootDevice = \"ramdisk(0)\" ; from the ISO\nBootPath = \\i386\n"), nil)
	if err != nil {
		panic(err)
	}
	s := d.Section("SetupData")
	if err := s.Find("BootDevice").SetFields("ramdisk(1)"); err != nil {
		panic(err)
	}
	if err := s.Find("BootPath").SetFieldsVerbatim(inf.Quote(`\I386\SYSTEM32\`)); err != nil {
		panic(err)
	}
	fmt.Print(string(d.Bytes()))
	// Output:
	// [SetupData]
	// BootDevice = "ramdisk(1)" ; from the ISO
	// BootPath = "\I386\SYSTEM32\"
}

// A file whose last line ends in a continuation backslash takes no new
// line until EndLastLine ends it.
func ExampleDocument_EndLastLine() {
	d, err := inf.Parse([]byte("[S]\nlist = a, \\"), nil)
	if err != nil {
		panic(err)
	}
	_, err = d.AddSection("T")
	fmt.Println(err)
	if err := d.EndLastLine(); err != nil {
		panic(err)
	}
	if _, err := d.AddSection("T"); err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", d.Bytes())
	fmt.Printf("%q\n", d.Section("S").Find("list").RawFields())
	// Output:
	// inf: text cannot be stored as requested: the last line ends in a continuation backslash (line 2; Document.EndLastLine ends it)
	// "[S]\nlist = a, \\\n\n\n[T]\n"
	// ["a" ""]
}
