// Package legal is plyr's legal module: copyright scans and flags, notices to artists,
// reports, moderation, and the terms documents users accept. It has no behaviour yet;
// it exists so the module map in design/architecture.md is the code's map too.
package legal

// Module is the legal module.
type Module struct{}
