// Package sharing is plyr's sharing module: share links that report who listened, deep
// links, oEmbed, embeds, the sitemap, and teal.fm scrobbles. It has no behaviour yet; it
// exists so the module map in design/architecture.md is the code's map too.
package sharing

// Module is the sharing module.
type Module struct{}
