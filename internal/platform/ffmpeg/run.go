package ffmpeg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"time"
)

// stderrLimit is how much of a tool's stderr is kept.
const stderrLimit = 4096

// waitDelay bounds how long a killed run may keep its pipes open.
const waitDelay = 5 * time.Second

// command prepares name with args so that it dies with its parent and with ctx: see
// configure (per OS) and the package's design notes.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	configure(cmd)
	cmd.WaitDelay = waitDelay
	return cmd
}

// run starts cmd, lets consume read its stdout (when set) and waits for it. The calling
// goroutine keeps its OS thread for the whole run: Linux delivers the parent-death signal
// when the thread that started the child exits, and Go may retire an idle thread.
func run(cmd *exec.Cmd, consume func(io.Reader)) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var stdout io.ReadCloser
	if consume != nil {
		var err error
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return fmt.Errorf("%s stdout: %w", cmd.Path, err)
		}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	if consume != nil {
		consume(stdout)
		_, _ = io.Copy(io.Discard, stdout)
	}
	return cmd.Wait()
}

// exitCode reports whether err is the tool's own non-zero exit (as opposed to a failure to
// run it or a kill).
func exited(err error) bool {
	var exit *exec.ExitError
	return errors.As(err, &exit) && exit.Exited()
}

// limitedBuffer keeps the first max bytes written to it and drops the rest, so a file that
// makes ffmpeg print an error per frame cannot fill memory.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }

// input is the arguments that open path as format and nothing else.
func input(path, format string) []string {
	return []string{"-protocol_whitelist", "file", "-f", format, "-i", "file:" + path}
}
