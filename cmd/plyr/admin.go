package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/internal/platform/temporal"
	"github.com/plyrfm/plyr/modules/identity"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/workflows/pdsmigration"
)

const adminUsage = `usage:
  plyr admin token --did DID --handle HANDLE [--name NAME] [--ttl 2160h]   mint an operator token (printed last)
  plyr admin flags set|unset --did DID --flag NAME                          turn a feature flag on or off
  plyr admin flags list --did DID                                           list an account's feature flags
  plyr admin session-key [--id ID]                                          print a new PLYR_SESSION_KEYS entry
  plyr admin migrations list [--did DID] [--failed] [--limit 20]            list migrations of audio to PDSes, newest first
  plyr admin migrations retry --id MIGRATION_ID                             run a finished migration again for its failed tracks`

func runAdmin(ctx context.Context, cfg config.Config, _ *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, adminUsage)
		return errUsage
	}
	switch args[0] {
	case "token":
		return adminToken(ctx, cfg, args[1:], stdout, stderr)
	case "flags":
		return adminFlags(ctx, cfg, args[1:], stdout, stderr)
	case "migrations":
		return adminMigrations(ctx, cfg, args[1:], stdout, stderr)
	case "session-key":
		fs := newFlagSet("plyr admin session-key", stderr)
		id := fs.String("id", time.Now().UTC().Format("2006-01"), "the key's id")
		if err := fs.Parse(args[1:]); err != nil {
			return errUsage
		}
		fmt.Fprintln(stdout, sealed.NewKeySpec(*id))
		return nil
	default:
		fmt.Fprintln(stderr, adminUsage)
		return errUsage
	}
}

// adminIdentity is identity's operator entry for operator commands: the database only,
// no keyring and no sign-in.
func adminIdentity(ctx context.Context, cfg config.Config) (*identity.Operator, func(), error) {
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return identity.NewOperator(pool, slog.New(slog.DiscardHandler)), pool.Close, nil
}

func adminToken(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plyr admin token", stderr)
	did := fs.String("did", "", "the account's DID (did:plc:… or did:web:…)")
	handle := fs.String("handle", "", "the account's handle (alice.example.com)")
	name := fs.String("name", "cli", "a label for the token in listings")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "how long the token stays valid (at most 8760h)")
	if err := fs.Parse(args); err != nil || *did == "" || *handle == "" {
		fmt.Fprintln(stderr, "plyr admin token: --did and --handle are required")
		return errUsage
	}
	ids, done, err := adminIdentity(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	account, err := ids.EnsureAccount(ctx, *did, *handle)
	if err != nil {
		return err
	}
	token, err := ids.IssueDeveloperToken(ctx, account.DID, *name, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s (%s)\n", account.DID, account.Handle)
	fmt.Fprintf(stdout, "token %s… expires %s; it is shown once:\n", token.Prefix, token.ExpiresAt.Format(time.RFC3339))
	fmt.Fprintln(stdout, token.Value)
	return nil
}

func adminFlags(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "set" && args[0] != "unset" && args[0] != "list") {
		fmt.Fprintln(stderr, adminUsage)
		return errUsage
	}
	fs := newFlagSet("plyr admin flags "+args[0], stderr)
	did := fs.String("did", "", "the account's DID")
	flag := fs.String("flag", "", "the flag's name (lower case, digits, dashes)")
	if err := fs.Parse(args[1:]); err != nil || *did == "" || (args[0] != "list" && *flag == "") {
		fmt.Fprintln(stderr, adminUsage)
		return errUsage
	}
	ids, done, err := adminIdentity(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	var flags []string
	switch args[0] {
	case "set", "unset":
		flags, err = ids.SetFeatureFlag(ctx, *did, *flag, args[0] == "set")
	default:
		flags, err = ids.FeatureFlags(ctx, *did)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", *did, strings.Join(append([]string{}, flags...), " "))
	return nil
}

// adminMigrations lists PDS migrations and retries failed ones. A retry starts the
// migration's workflow again, so it needs Temporal as well as the database.
func adminMigrations(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "retry") {
		fmt.Fprintln(stderr, adminUsage)
		return errUsage
	}
	fs := newFlagSet("plyr admin migrations "+args[0], stderr)
	did := fs.String("did", "", "only this account's migrations")
	failed := fs.Bool("failed", false, "only migrations with failed tracks")
	limit := fs.Int("limit", 20, "how many to list (at most 100)")
	id := fs.String("id", "", "the migration's id")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	cfg, err := withDevStack(cfg)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	logger := slog.New(slog.DiscardHandler)
	deps := media.Deps{DB: pool, Logger: logger, Metrics: metrics.New()}

	if args[0] == "list" {
		list, _, err := media.New(deps).ListMigrations(ctx, media.MigrationQuery{DID: *did, FailedOnly: *failed, PageSize: *limit})
		if err != nil {
			return err
		}
		for _, m := range list {
			fmt.Fprintf(stdout, "%s  %-7s  %s  %d/%d done: %d migrated, %d skipped, %d failed  (workflow %s)\n",
				m.ID, m.Status, m.CreatedAt.Format(time.RFC3339), m.Processed(), m.Total, m.Migrated, m.Skipped, m.Failed,
				pdsmigration.WorkflowID(m.DID, m.ID))
		}
		return nil
	}

	migrationID, err := uuid.Parse(*id)
	if err != nil {
		fmt.Fprintln(stderr, "plyr admin migrations retry: --id must be a migration id (plyr admin migrations list shows them)")
		return errUsage
	}
	tc, err := temporal.Dial(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	deps.Migrations = pdsmigration.NewStarter(tc)
	n, err := media.New(deps).RetryMigration(ctx, migrationID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migration %s: %d failed tracks are being tried again\n", migrationID, n)
	return nil
}
