// Package slots counts what each account has in progress (upload bodies, images being
// processed), so that one account cannot take every slot the server has.
package slots

import "sync"

// PerAccount counts work in progress by account. Its zero value is ready to use.
type PerAccount struct {
	mu   sync.Mutex
	held map[string]int
}

// Take counts one more for did, unless did already has limit in progress.
func (p *PerAccount) Take(did string, limit int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[did] >= limit {
		return false
	}
	if p.held == nil {
		p.held = map[string]int{}
	}
	p.held[did]++
	return true
}

// Release ends one counted by Take.
func (p *PerAccount) Release(did string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[did]--; p.held[did] <= 0 {
		delete(p.held, did) // the map holds only accounts with work in progress
	}
}
