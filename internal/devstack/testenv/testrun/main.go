// Command testrun starts the services a whole test run shares (one PostgreSQL server, one
// S3 server and, when the harness is installed, one reference ATProto network), runs the
// command after "--" with their addresses in PLYR_TEST_* variables, stops them by their
// process ids, and exits with the command's status. `make test` runs `go test ./...` under it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/plyrfm/plyr/internal/devstack/devpds"
	"github.com/plyrfm/plyr/internal/devstack/testenv"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testrun -- command [args…]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	// The child gets Ctrl-C from the terminal itself; testrun only has to outlive it.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	defer testenv.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := testenv.WorkDir()
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	cluster, err := testenv.StartPostgres(ctx, dir)
	if err != nil {
		return fail(err)
	}
	testenv.AtExit(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cluster.Stop(ctx)
	})
	s3, err := testenv.StartS3(ctx, dir)
	if err != nil {
		return fail(err)
	}
	testenv.AtExit(func() { s3.Stop(10 * time.Second) })
	access, secret := s3.Credentials()
	env := []string{
		testenv.EnvDatabaseURL + "=" + cluster.URL("postgres"),
		testenv.EnvS3Endpoint + "=" + s3.Endpoint(),
		testenv.EnvS3AccessKey + "=" + access,
		testenv.EnvS3SecretKey + "=" + secret,
	}
	pds := "not installed (ATProto tests start their own)"
	if os.Getenv(devpds.EnvHarnessDir) != "" {
		net, err := devpds.Start(ctx, devpds.Options{Hostname: devpds.Hostname})
		if err != nil {
			return fail(err)
		}
		testenv.AtExit(func() { net.Stop(10 * time.Second) })
		env = append(env, devpds.EnvShared+"="+net.Encode())
		pds = fmt.Sprintf("at %s (pid %d)", net.Issuer, net.PID())
	}
	fmt.Fprintf(os.Stderr, "testrun: postgres on port %d, s3 at %s, pds %s; ready in %s\n",
		cluster.Port(), s3.Endpoint(), pds, time.Since(start).Round(time.Millisecond))

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		return fail(err)
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "testrun:", err)
	return 1
}
