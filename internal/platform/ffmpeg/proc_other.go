//go:build !linux

package ffmpeg

import "os/exec"

// configure leaves cmd as it is: only Linux can tie a child's life to its parent's, and
// plyr's workers run on Linux. Elsewhere the context still kills the child.
func configure(*exec.Cmd) {}
