// Package locks serialises work per key with a fixed table of mutexes: keys hash onto
// stripes, so memory stays bounded however many keys come and go (a map of one mutex per
// session would grow forever). Two keys may share a stripe and wait for each other; with
// enough stripes that is rare and harmless.
package locks

import (
	"hash/maphash"
	"sync"
)

// Table is a fixed set of mutexes.
type Table struct {
	seed    maphash.Seed
	stripes []sync.Mutex
}

// New returns a table of n stripes.
func New(n int) *Table {
	return &Table{seed: maphash.MakeSeed(), stripes: make([]sync.Mutex, max(1, n))}
}

// For returns the mutex for key.
func (t *Table) For(key string) *sync.Mutex {
	return &t.stripes[maphash.String(t.seed, key)%uint64(len(t.stripes))]
}
