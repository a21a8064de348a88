package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/plyrfm/plyr/internal/platform/config"
	"github.com/plyrfm/plyr/modules/identity"
)

func runAdmin(ctx context.Context, cfg config.Config, _ *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "token" {
		fmt.Fprintln(stderr, "usage: plyr admin token --did DID --handle HANDLE [--name NAME] [--ttl 2160h]")
		return errUsage
	}
	fs := newFlagSet("plyr admin token", stderr)
	did := fs.String("did", "", "the account's DID (did:plc:… or did:web:…)")
	handle := fs.String("handle", "", "the account's handle (alice.example.com)")
	name := fs.String("name", "cli", "a label for the token in listings")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "how long the token stays valid (at most 8760h)")
	if err := fs.Parse(args[1:]); err != nil || *did == "" || *handle == "" {
		fmt.Fprintln(stderr, "plyr admin token: --did and --handle are required")
		return errUsage
	}

	pool, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	ids := identity.New(identity.Deps{DB: pool, Logger: slog.New(slog.DiscardHandler)})
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
