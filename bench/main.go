// Command bench times winbootkit against the peer tools users would otherwise
// pick (reglookup, hivexml, hivex, wimlib-imagex, pefile, saferwall/pe,
// mtools), on the same inputs, in one run, and prints medians and ratios.
//
// Usage:
//
//	go run ./bench [-runs 5] [-only hive,wim] [-work DIR] [-results bench/RESULTS.md]
//
// Each suite lives in its own file (hive.go, wim.go, ...) and registers itself
// in an init function. Suites build their own inputs under the work directory.
// A peer tool that is not installed is reported as missing and not timed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one timed case: our implementation or a peer on one input.
type Result struct {
	Suite, Case, Impl string
	Bytes             int64           // input size, for MB/s (0: not shown)
	Runs              []time.Duration // every run
	Note              string          // e.g. "missing: reglookup not installed"
	Ours              bool            // the winbootkit implementation of this case
}

// Median of the runs (0 when none).
func (r Result) Median() time.Duration {
	if len(r.Runs) == 0 {
		return 0
	}
	s := slices.Clone(r.Runs)
	slices.Sort(s)
	return s[len(s)/2]
}

// Env is what a suite gets: where to put inputs and how often to run.
type Env struct {
	Work string // scratch directory for this suite
	Runs int    // timed runs per case (medians are over these)
	Log  io.Writer
}

// Time runs fn once untimed (warm-up) and then e.Runs times.
func (e *Env) Time(fn func() error) ([]time.Duration, error) {
	if err := fn(); err != nil {
		return nil, err
	}
	runs := make([]time.Duration, 0, e.Runs)
	for range e.Runs {
		t0 := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		runs = append(runs, time.Since(t0))
	}
	return runs, nil
}

// Command times an external program (stdout discarded); a missing program
// gives a Result with a note and no runs.
func (e *Env) Command(suite, cas string, size int64, name string, args ...string) Result {
	r := Result{Suite: suite, Case: cas, Impl: shellLine(append([]string{name}, args...)), Bytes: size}
	path, err := exec.LookPath(name)
	if err != nil {
		r.Note = "missing: " + name + " not installed"
		return r
	}
	r.Runs, err = e.Time(func() error {
		cmd := exec.Command(path, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
		}
		return nil
	})
	if err != nil {
		r.Note = "error: " + err.Error()
	}
	return r
}

// shellLine renders a command as a POSIX shell would need it typed:
// arguments with characters the shell treats specially are single-quoted.
func shellLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+%") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// Func times one of our functions.
func (e *Env) Func(suite, cas, impl string, size int64, fn func() error) Result {
	r := Result{Suite: suite, Case: cas, Impl: impl, Bytes: size, Ours: true}
	var err error
	r.Runs, err = e.Time(fn)
	if err != nil {
		r.Note = "error: " + err.Error()
	}
	return r
}

type suite struct {
	name string
	run  func(*Env) ([]Result, error)
}

var suites []suite

// register adds a suite; called from the init function of each suite's file.
func register(name string, run func(*Env) ([]Result, error)) {
	suites = append(suites, suite{name, run})
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "timed runs per case; medians are over these")
	only := fs.String("only", "", "comma-separated suites to run (default all)")
	work := fs.String("work", filepath.Join(os.TempDir(), "winbootkit-bench"), "scratch directory for generated inputs")
	results := fs.String("results", "", "also write the table as Markdown to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s != "" {
			want[s] = true
		}
	}
	slices.SortFunc(suites, func(a, b suite) int { return strings.Compare(a.name, b.name) })
	var all []Result
	for _, s := range suites {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		env := &Env{Work: filepath.Join(*work, s.name), Runs: *runs, Log: stderr}
		if err := os.MkdirAll(env.Work, 0o755); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "suite %s...\n", s.name)
		res, err := s.run(env)
		if err != nil {
			return fmt.Errorf("suite %s: %w", s.name, err)
		}
		all = append(all, res...)
	}
	printTable(stdout, all)
	if *results != "" {
		var md bytes.Buffer
		writeMarkdown(&md, all, *runs, args)
		if err := os.WriteFile(*results, md.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ratio is a peer's median over ours for the same suite and case.
func ratio(all []Result, r Result) string {
	if r.Ours || len(r.Runs) == 0 {
		return ""
	}
	for _, o := range all {
		if o.Ours && o.Suite == r.Suite && o.Case == r.Case && len(o.Runs) > 0 {
			return fmt.Sprintf("%.2fx", float64(r.Median())/float64(o.Median()))
		}
	}
	return ""
}

func mbps(r Result) string {
	if r.Bytes == 0 || len(r.Runs) == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f", float64(r.Bytes)/1e6/r.Median().Seconds())
}

func printTable(w io.Writer, all []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "suite\tcase\timplementation\tmedian\tMB/s\tpeer/ours\tnote")
	for _, r := range all {
		med := ""
		if len(r.Runs) > 0 {
			med = r.Median().Round(time.Microsecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Suite, r.Case, r.Impl, med, mbps(r), ratio(all, r), r.Note)
	}
	tw.Flush()
}

// machine describes the host: CPU model and count, memory, OS and kernel
// (from /proc and /etc/os-release where present), Go version.
func machine() string {
	parts := []string{fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())}
	field := func(file, key string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			return ""
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
				return strings.TrimSpace(v)
			}
			if k, v, ok := strings.Cut(line, "="); ok && k == key {
				return strings.Trim(v, `"`)
			}
		}
		return ""
	}
	if v := field("/proc/cpuinfo", "model name"); v != "" {
		parts = append(parts, v)
	}
	if v := field("/proc/meminfo", "MemTotal"); v != "" {
		var kb int64
		if _, err := fmt.Sscanf(v, "%d kB", &kb); err == nil {
			parts = append(parts, fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20)))
		}
	}
	if v := field("/etc/os-release", "PRETTY_NAME"); v != "" {
		parts = append(parts, v)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		parts = append(parts, "Linux "+strings.TrimSpace(string(b)))
	}
	return strings.Join(append(parts, runtime.Version()), ", ")
}

func writeMarkdown(w io.Writer, all []Result, runs int, args []string) {
	fmt.Fprintf(w, "# Benchmark results\n\nMachine: %s. Date: %s. Medians of %d runs after one warm-up run.\n\n",
		machine(), time.Now().UTC().Format("2006-01-02"), runs)
	fmt.Fprintf(w, "Command: `%s`\n", strings.Join(append([]string{"go run ./bench"}, args...), " "))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| suite | case | implementation | median | MB/s | peer/ours | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range all {
		med := ""
		if len(r.Runs) > 0 {
			med = r.Median().Round(time.Microsecond).String()
		}
		fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s | %s | %s |\n", r.Suite, r.Case, r.Impl, med, mbps(r), ratio(all, r), r.Note)
	}
}
