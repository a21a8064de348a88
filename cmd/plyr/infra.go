package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plyrfm/plyr/cmd/plyr/internal/app"
	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/postgres"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/internal/platform/storage"
	"github.com/plyrfm/plyr/internal/platform/temporal"
)

// devEnvFile is where `plyr dev` writes how to reach its stack while it runs, in
// KEY='value' lines a shell can source. Other commands read it when their own
// environment names no database.
const devEnvFile = "dev.env"

// devEnvKeys are the settings dev.env carries.
var devEnvKeys = []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "S3_ENDPOINT",
	"S3_REGION", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}

func writeDevEnv(cfg config.Config) error {
	values := map[string]string{
		"DATABASE_URL": cfg.DatabaseURL, "TEMPORAL_ADDRESS": cfg.TemporalAddress,
		"TEMPORAL_NAMESPACE": cfg.TemporalNamespace, "S3_ENDPOINT": cfg.S3.Endpoint, "S3_REGION": cfg.S3.Region,
		"S3_BUCKET": cfg.S3.Bucket, "S3_ACCESS_KEY_ID": cfg.S3.AccessKeyID, "S3_SECRET_ACCESS_KEY": cfg.S3.SecretAccessKey,
	}
	var b strings.Builder
	b.WriteString("# Written by `plyr dev` while it runs; removed when it stops. Secrets: keep private.\n")
	for _, k := range devEnvKeys {
		fmt.Fprintf(&b, "%s='%s'\n", k, values[k])
	}
	return os.WriteFile(filepath.Join(cfg.DataDir, devEnvFile), []byte(b.String()), 0o600)
}

func removeDevEnv(cfg config.Config) { _ = os.Remove(filepath.Join(cfg.DataDir, devEnvFile)) }

// withDevStack fills the connection settings the environment left empty from a running
// dev stack's dev.env. Settings the environment gives win.
func withDevStack(cfg config.Config) (config.Config, error) {
	if cfg.DatabaseURL != "" {
		return cfg, nil
	}
	f, err := os.Open(filepath.Join(cfg.DataDir, devEnvFile))
	if errors.Is(err, os.ErrNotExist) {
		return cfg, errors.New("DATABASE_URL is not set and no dev stack is running here (start one with `make dev`)")
	}
	if err != nil {
		return cfg, err
	}
	defer f.Close()
	values := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && !strings.HasPrefix(k, "#") {
			values[k] = strings.Trim(v, "'")
		}
	}
	set := func(dst *string, key string) {
		if *dst == "" {
			*dst = values[key]
		}
	}
	set(&cfg.DatabaseURL, "DATABASE_URL")
	set(&cfg.TemporalAddress, "TEMPORAL_ADDRESS")
	set(&cfg.S3.Endpoint, "S3_ENDPOINT")
	set(&cfg.S3.AccessKeyID, "S3_ACCESS_KEY_ID")
	set(&cfg.S3.SecretAccessKey, "S3_SECRET_ACCESS_KEY")
	return cfg, sc.Err()
}

// openDatabase connects to DATABASE_URL, or else to the running dev stack's database.
func openDatabase(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	cfg, err := withDevStack(cfg)
	if err != nil {
		return nil, err
	}
	return postgres.Connect(ctx, cfg.DatabaseURL, postgres.MaxConns(cfg.DatabaseMaxConns))
}

// connectInfra opens the connections serve and worker run on, all from the environment.
func connectInfra(ctx context.Context, cfg config.Config, logger *slog.Logger) (app.Infra, func(), error) {
	var missing []string
	for name, v := range map[string]string{"DATABASE_URL": cfg.DatabaseURL, "TEMPORAL_ADDRESS": cfg.TemporalAddress, "S3_ENDPOINT": cfg.S3.Endpoint} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return app.Infra{}, nil, fmt.Errorf("%s must be set (or use `plyr dev`, which starts them)", strings.Join(missing, ", "))
	}
	pool, err := postgres.Connect(ctx, cfg.DatabaseURL, postgres.MaxConns(cfg.DatabaseMaxConns))
	if err != nil {
		return app.Infra{}, nil, err
	}
	tc, err := temporal.Dial(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, logger)
	if err != nil {
		pool.Close()
		return app.Infra{}, nil, err
	}
	if err := temporal.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		logger.Warn("temporal search attributes", "error", err.Error())
	}
	store, private := storage.New(storageConfig(cfg)), storage.New(privateStorageConfig(cfg))
	for _, s := range []*storage.Client{store, private} {
		if err := s.Ping(ctx); err != nil {
			tc.Close()
			pool.Close()
			return app.Infra{}, nil, err
		}
	}
	keys, err := sessionKeys(cfg.Identity.SessionKeys)
	if err != nil {
		tc.Close()
		pool.Close()
		return app.Infra{}, nil, err
	}
	closeAll := func() { tc.Close(); pool.Close() }
	return app.Infra{DB: pool, Temporal: tc, Storage: store, PrivateStorage: private, Keys: keys, ATProto: productionATProto(cfg)}, closeAll, nil
}

// sessionKeys reads PLYR_SESSION_KEYS, which serve and worker require.
func sessionKeys(spec string) (*sealed.Keyring, error) {
	if spec == "" {
		return nil, fmt.Errorf("PLYR_SESSION_KEYS must be set (make one with: plyr admin session-key)")
	}
	keys, err := sealed.ParseKeyring(spec)
	if err != nil {
		return nil, fmt.Errorf("PLYR_SESSION_KEYS: %w", err)
	}
	return keys, nil
}

// productionATProto reaches ATProto services through a client that refuses private
// addresses, and resolves identities through the configured PLC directory.
func productionATProto(cfg config.Config) app.ATProto {
	client := atproto.NewClient()
	return app.ATProto{HTTPClient: client, Directory: atproto.NewDirectory(cfg.Identity.PLCURL, client)}
}

func storageConfig(cfg config.Config) storage.Config {
	return storage.Config{
		Endpoint: cfg.S3.Endpoint, PublicEndpoint: cfg.S3.PublicEndpoint, Region: cfg.S3.Region,
		Bucket: cfg.S3.Bucket, AccessKeyID: cfg.S3.AccessKeyID, SecretAccessKey: cfg.S3.SecretAccessKey,
	}
}

// privateStorageConfig is storageConfig's for the private bucket.
func privateStorageConfig(cfg config.Config) storage.Config {
	c := storageConfig(cfg)
	c.Bucket = cfg.S3.PrivateBucket
	return c
}
