package ffmpeg

import (
	"os/exec"
	"syscall"
)

// configure makes cmd die with its parent (Pdeathsig) and puts it in a process group of its
// own, which is killed whole when the command's context ends.
func configure(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return killGroup(cmd) }
}

func killGroup(cmd *exec.Cmd) error {
	// A negative pid names the process group, which Setpgid made equal to the child's pid.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}
