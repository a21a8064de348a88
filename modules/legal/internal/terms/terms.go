// Package terms holds plyr's terms of service and privacy policy: versioned documents,
// served by plyr and accepted by users (identity records the version each account
// accepted). A change to either document is a new version, named by the day it takes
// effect: edit the Markdown, set Version and EffectiveAt, and every account is asked to
// accept again.
package terms

import (
	_ "embed"
	"time"
)

// Version names the documents in force.
const Version = "2026-12-01"

// EffectiveAt is when Version took effect.
var EffectiveAt = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

//go:embed documents/terms.md
var termsMarkdown string

//go:embed documents/privacy.md
var privacyMarkdown string

// Documents are the terms and the privacy policy of one version.
type Documents struct {
	Version     string
	EffectiveAt time.Time
	// Terms and Privacy are Markdown.
	Terms, Privacy string
}

// Current returns the documents in force.
func Current() Documents {
	return Documents{Version: Version, EffectiveAt: EffectiveAt, Terms: termsMarkdown, Privacy: privacyMarkdown}
}
