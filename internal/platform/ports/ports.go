// Package ports finds free TCP ports on loopback for the components the dev stack and the
// tests start, so several stacks can run side by side.
package ports

import (
	"fmt"
	"net"
	"strconv"
)

// Free returns a TCP port on host that nothing listens on right now. Another process can
// take it before the caller binds it; callers bind promptly and fail loudly if they lose.
func Free(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Resolve turns "host:0" into "host:<free port>" and leaves any other address alone.
func Resolve(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if port != "0" {
		return addr, nil
	}
	p, err := Free(host)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// Available reports whether addr can be bound right now.
func Available(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
