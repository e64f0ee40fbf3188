package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// written is what writeAll did to one path, so that it can be undone.
type written struct {
	path    string
	old     []byte // previous content, when the file existed
	existed bool
}

// writeAll writes every output below dir, each through a temporary file in
// its own directory and a rename. If one cannot be written, the files
// written before it are put back as they were (removed, or their old content
// restored) and the directories it created are removed, so a failed run
// leaves nothing behind.
func writeAll(dir string, outs []output) (err error) {
	var done []written
	var dirs []string // created, parents first
	defer func() {
		if err == nil {
			return
		}
		for _, w := range slices.Backward(done) {
			if w.existed {
				_ = replaceFile(w.path, w.old)
			} else {
				_ = os.Remove(w.path)
			}
		}
		for _, d := range slices.Backward(dirs) {
			_ = os.Remove(d) // only empty directories go
		}
	}()
	for _, o := range outs {
		p := filepath.Join(dir, filepath.FromSlash(o.rel))
		made, err := mkdirs(filepath.Dir(p))
		dirs = append(dirs, made...)
		if err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		w := written{path: p}
		switch old, err := os.ReadFile(p); {
		case err == nil:
			w.old, w.existed = old, true
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("writing %s: %w", p, unwrapPath(err))
		}
		if err := replaceFile(p, o.data); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		done = append(done, w)
	}
	return nil
}

// mkdirs creates dir and its missing parents and returns the ones it
// created, parents first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	slices.Reverse(missing)
	var made []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return made, unwrapPath(err)
		}
		made = append(made, d)
	}
	return made, nil
}

// replaceFile writes data to path through a temporary file in the same
// directory, synced and renamed over path; on failure path is unchanged.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return unwrapPath(err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return unwrapPath(err)
	}
	return nil
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
