// Command genelements writes bcd/elementtype_gen.go from
// bcd/internal/gen/elements.tsv. Run it through go generate in bcd/:
//
//	go generate ./bcd
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/winbootkit/winbootkit/internal/atomicfile"

	"github.com/winbootkit/winbootkit/bcd/internal/gen"
)

func main() {
	in := flag.String("in", "internal/gen/elements.tsv", "element constant table (TSV)")
	out := flag.String("out", "elementtype_gen.go", "Go file to write")
	flag.Parse()
	tsv, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genelements:", err)
		os.Exit(1)
	}
	src, err := gen.Generate(tsv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genelements:", *in+":", err)
		os.Exit(1)
	}
	if err := atomicfile.WriteFile(*out, src, 0); err != nil {
		fmt.Fprintln(os.Stderr, "genelements:", err)
		os.Exit(1)
	}
}
