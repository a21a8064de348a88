// Package devserver runs a real Temporal server, and optionally its Web UI, inside the
// current process, with its state in a SQLite file: under the data dir for `plyr dev`, in
// a temporary directory for the tests. Production runs Temporal as its own cluster and
// never imports this package.
//
// Design notes:
//   - It is the server's public embedding API (go.temporal.io/server/temporal) with the
//     SQLite persistence plugin, not the Temporal CLI's dev server, which is internal to
//     the CLI and pins older server versions.
//   - Linking the server costs about 200 MB of binary and 2.6 GB of RAM at link time, so
//     only cmd/plyr and internal/devstack/testenv import this package.
//   - The frontend port is fixed (clients need it); history, matching and worker take free
//     ports, so several servers run side by side.
//   - plyr's search attributes are registered when the namespace is created, so workflows
//     can be started with them at once.
//   - Always a file, never SQLite's memory mode: an in-memory database vanishes when its
//     last connection closes, and the namespace is created through a connection of its own.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"github.com/plyrfm/plyr/internal/platform/ports"
	plyrtemporal "github.com/plyrfm/plyr/internal/platform/temporal"
)

// Options configure the server.
type Options struct {
	// Addr is the frontend's gRPC address (host:port); port 0 picks a free one.
	Addr string
	// UIAddr is the Web UI's address; empty runs no UI.
	UIAddr string
	// DBFile is the SQLite file; it is created with the schema when missing.
	DBFile string
	// Namespace is created at start; empty means "default".
	Namespace string
	// LogLevel is the server's own log level (debug, info, warn, error); empty means error,
	// since at warn the server's internal workers log harmless poll errors on shutdown.
	LogLevel string
}

// Server is a running embedded Temporal server.
type Server struct {
	srv  temporal.Server
	ui   *uiserver.Server
	addr string
}

// clusterID must be a UUID; the value only has to be stable for a given database file.
const clusterID = "4e1d2b7c-8c3f-4d0e-9a52-6f1c0b7e2a91"

// Start runs the server and returns once its frontend accepts calls.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.LogLevel == "" {
		o.LogLevel = "error"
	}
	addr, err := ports.Resolve(o.Addr)
	if err != nil {
		return nil, err
	}
	if !ports.Available(addr) {
		return nil, fmt.Errorf("temporal address %s is in use (set PLYR_DEV_TEMPORAL_ADDR)", addr)
	}
	// The UI server exits the whole process when it cannot bind, so check first.
	if o.UIAddr != "" && !ports.Available(o.UIAddr) {
		return nil, fmt.Errorf("temporal UI address %s is in use (set PLYR_TEMPORAL_UI_ADDR)", o.UIAddr)
	}
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)

	store, err := sqliteStore(o.DBFile)
	if err != nil {
		return nil, err
	}
	ns, err := sqliteschema.NewNamespaceConfig("active", o.Namespace, false, plyrtemporal.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("temporal namespace config: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(store, ns); err != nil {
		return nil, fmt.Errorf("create temporal namespace %s: %w", o.Namespace, err)
	}

	// The service ports are chosen free, but another process may take one before the
	// server binds it (parallel test binaries do): then they are chosen again.
	var srv temporal.Server
	for attempt := 1; ; attempt++ {
		conf, hosts, err := serverConfig(host, port, store)
		if err != nil {
			return nil, err
		}
		srv, err = temporal.NewServer(
			temporal.WithConfig(conf),
			temporal.ForServices(temporal.DefaultServices),
			temporal.WithStaticHosts(hosts),
			temporal.WithLogger(log.NewZapLogger(log.BuildZapLogger(log.Config{Level: o.LogLevel, Format: "json"}))),
			temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
				dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():      true,
				dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
			}),
		)
		if err != nil && attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create temporal server: %w", err)
		}
		break
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	s := &Server{srv: srv, addr: addr}

	if o.UIAddr != "" {
		uiHost, uiPortStr, err := net.SplitHostPort(o.UIAddr)
		if err != nil {
			s.Stop(5 * time.Second)
			return nil, fmt.Errorf("temporal UI address %q: %w", o.UIAddr, err)
		}
		uiPort, _ := strconv.Atoi(uiPortStr)
		s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
			Host: uiHost, Port: uiPort, TemporalGRPCAddress: addr, EnableUI: true,
			DefaultNamespace: o.Namespace, HideLogs: true, DisableNewsFetch: true,
			CORS: uiconfig.CORS{CookieInsecure: true},
		}))
		go func() { _ = s.ui.Start() }() // Start blocks until Stop
	}
	return s, nil
}

// Addr is the frontend's gRPC address.
func (s *Server) Addr() string { return s.addr }

// Stop shuts the UI and the server down, giving up after timeout: a stop that hangs must
// not hang the process that asked for it.
func (s *Server) Stop(timeout time.Duration) error {
	if s.ui != nil {
		s.ui.Stop()
	}
	done := make(chan error, 1)
	go func() { done <- s.srv.Stop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errors.New("temporal server did not stop in time")
	}
}

func sqliteStore(file string) (*config.SQL, error) {
	if file == "" {
		return nil, errors.New("temporal dev server: a database file is required")
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	c := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: abs,
		// Keys other than mode are SQLite pragmas.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "WAL", "synchronous": "NORMAL"},
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return nil, fmt.Errorf("create temporal data dir: %w", err)
		}
		if err := sqliteschema.SetupSchema(c); err != nil {
			_ = os.Remove(abs)
			return nil, fmt.Errorf("create temporal schema in %s: %w", abs, err)
		}
	}
	return c, nil
}

func serverConfig(host string, frontendPort int, store *config.SQL) (*config.Config, map[primitives.ServiceName]static.Hosts, error) {
	free := func() (int, error) { return ports.Free(host) }
	httpPort, err := free()
	if err != nil {
		return nil, nil, err
	}
	grpcPorts := map[string]int{"frontend": frontendPort}
	for _, name := range []string{"history", "matching", "worker"} {
		if grpcPorts[name], err = free(); err != nil {
			return nil, nil, err
		}
	}
	hostPort := func(p int) string { return net.JoinHostPort(host, strconv.Itoa(p)) }

	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: store}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        "active",
		CurrentClusterName:       "active",
		ClusterInformation: map[string]cluster.ClusterInformation{"active": {
			Enabled:                true,
			InitialFailoverVersion: 1,
			RPCAddress:             hostPort(frontendPort),
			HTTPAddress:            hostPort(httpPort),
			ClusterID:              clusterID,
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, p := range grpcPorts {
		svc := config.Service{}
		svc.RPC.GRPCPort = p
		svc.RPC.BindOnIP = host
		if name == "frontend" {
			svc.RPC.HTTPPort = httpPort
		}
		conf.Services[name] = svc
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(hostPort(p))
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = hostPort(frontendPort)
	return &conf, hosts, nil
}
