package media

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TempFilePrefix begins the name of every file InspectUpload downloads into TempDir.
const TempFilePrefix = "plyr-inspect-"

// createTempFile creates an inspection temp file in dir and locks it for as long as it
// stays open, which tells SweepTempFiles it is in use. The lock dies with the process, so
// a worker killed mid-inspection leaves an unlocked file that the next sweep removes.
func createTempFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, TempFilePrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("lock temp file: %w", err)
	}
	return f, nil
}

// SweepTempFiles removes the inspection temp files in dir that no running inspection
// holds: leftovers of a worker that was killed mid-inspection (a 6-hour WAV leaves a
// gigabyte). A file in use is locked by its inspection and kept, and so is one modified
// less than olderThan ago, which covers the instant between creating a file and locking
// it. Workers call it at startup, and the housekeeping schedule calls it periodically.
// It returns how many files it removed; errors on single files do not stop the sweep.
func SweepTempFiles(dir string, olderThan time.Duration) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("list temp files in %s: %w", dir, err)
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), TempFilePrefix) {
			continue
		}
		gone, err := removeIfAbandoned(filepath.Join(dir, e.Name()), cutoff)
		if err != nil {
			errs = append(errs, err)
		}
		if gone {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// removeIfAbandoned removes path when it is older than cutoff and no one holds its lock.
func removeIfAbandoned(path string, cutoff time.Time) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // its inspection ended meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("open temp file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat temp file: %w", err)
	}
	if info.ModTime().After(cutoff) {
		return false, nil
	}
	locked, err := tryLockFile(f)
	if err != nil || !locked {
		return false, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("remove temp file: %w", err)
	}
	return true, nil
}
