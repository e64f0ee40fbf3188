package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/winbootkit/winbootkit/sif"
)

// writeAll writes every output below dir, all or nothing (see
// sif.WriteStaged): if one file cannot be written, the ones written before
// it are taken back, so a failed run leaves nothing behind.
func writeAll(dir string, outs []output) error {
	files := make([]sif.StagedFile, len(outs))
	for i, o := range outs {
		files[i] = sif.StagedFile{Path: o.rel, Data: o.data}
	}
	_, err := sif.WriteStaged(dir, files, 0)
	return err
}

// printTree prints the outputs as a tree below root, each file with its size
// and note.
func printTree(w io.Writer, root string, outs []output) {
	type node struct {
		name     string
		children map[string]*node
		out      *output
	}
	top := &node{children: map[string]*node{}}
	for i := range outs {
		n := top
		parts := strings.Split(outs[i].rel, "/")
		for _, part := range parts {
			c := n.children[part]
			if c == nil {
				c = &node{name: part, children: map[string]*node{}}
				n.children[part] = c
			}
			n = c
		}
		n.out = &outs[i]
	}
	type line struct{ text, size, note string }
	var lines []line
	var walk func(n *node, prefix string)
	walk = func(n *node, prefix string) {
		names := make([]string, 0, len(n.children))
		for k := range n.children {
			names = append(names, k)
		}
		slices.SortFunc(names, func(a, b string) int {
			if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for i, k := range names {
			c := n.children[k]
			branch, next := "├── ", "│   "
			if i == len(names)-1 {
				branch, next = "└── ", "    "
			}
			l := line{text: prefix + branch + c.name}
			if c.out != nil {
				l.size, l.note = fmt.Sprint(len(c.out.data)), c.out.note
			} else {
				l.text += "/"
			}
			lines = append(lines, l)
			walk(c, prefix+next)
		}
	}
	walk(top, "")
	width, sw := 0, 0
	for _, l := range lines {
		width = max(width, len([]rune(l.text)))
		sw = max(sw, len(l.size))
	}
	fmt.Fprintln(w, root+"/")
	for _, l := range lines {
		if l.size == "" {
			fmt.Fprintln(w, l.text)
			continue
		}
		fmt.Fprintf(w, "%s%s  %*s  %s\n", l.text, strings.Repeat(" ", width-len([]rune(l.text))), sw, l.size, l.note)
	}
}
