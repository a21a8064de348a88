// Package ports finds free TCP ports on loopback for the components the dev stack and the
// tests start, so several stacks can run side by side.
package ports

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Free returns a TCP port on host that nothing listens on right now. Another process can
// take it before the caller binds it; callers bind promptly and fail loudly if they lose.
//
// The port is drawn below the kernel's ephemeral range. A port handed out by binding ":0"
// comes from that range, and so does the local end of every outgoing connection: a child
// process that needs seconds to start (the reference PDS, Postgres) lost its port to one of
// those often enough to fail CI. Below the range only other callers of Free compete, and a
// random draw over thousands of ports makes that rare.
func Free(host string) (int, error) {
	low := ephemeralLow()
	const floor = 20000
	if low-floor > 1000 {
		for range 64 {
			p := floor + rand.IntN(low-floor)
			if Available(net.JoinHostPort(host, strconv.Itoa(p))) {
				return p, nil
			}
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default when the
// file cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 32768
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
