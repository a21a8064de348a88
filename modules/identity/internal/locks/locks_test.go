package locks

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTable_SameKeySameMutex(t *testing.T) {
	tab := New(64)
	require.Same(t, tab.For("session-1"), tab.For("session-1"))
}

func TestTable_SerialisesAKey(t *testing.T) {
	tab := New(8)
	var inside, maxInside int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := tab.For("grant")
			l.Lock()
			mu.Lock()
			inside++
			maxInside = max(maxInside, inside)
			mu.Unlock()
			mu.Lock()
			inside--
			mu.Unlock()
			l.Unlock()
		}()
	}
	wg.Wait()
	require.Equal(t, 1, maxInside)
}

func TestTable_BoundedWhateverTheKeys(t *testing.T) {
	tab := New(16)
	seen := map[*sync.Mutex]bool{}
	for i := range 10000 {
		seen[tab.For(string(rune(i)))] = true
	}
	require.LessOrEqual(t, len(seen), 16)
}
