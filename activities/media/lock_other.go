//go:build !unix

package media

import "os"

// lockFile does nothing where flock is missing; SweepTempFiles then goes by age alone.
func lockFile(*os.File) error { return nil }

func tryLockFile(*os.File) (bool, error) { return true, nil }
