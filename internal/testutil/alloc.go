package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// MaxHostileAlloc is the project's bound on what parsing one hostile input
// of at most 1 MiB may allocate in total.
const MaxHostileAlloc = 64 << 20

// Allocated returns the bytes allocated (runtime.MemStats.TotalAlloc) while
// fn runs, after a garbage collection so earlier garbage does not count.
// Allocations by other goroutines count too: do not run such tests in parallel.
func Allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// OptionalFixtures is Fixtures for fuzz seeds: when the shared fixture
// directory is absent and CI is not set it returns nothing instead of
// skipping, so the target still runs its generated seeds and committed
// corpus. Under CI a missing directory fails as in Fixtures.
func OptionalFixtures(t testing.TB, dir, pattern string) []string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(ModuleRoot(t), FixturesDir, dir)); err != nil && !CI() {
		return nil
	}
	return Fixtures(t, dir, pattern)
}
