package sealed

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustKeyring(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(spec)
	require.NoError(t, err)
	return k
}

func TestSealOpen(t *testing.T) {
	k := mustKeyring(t, NewKeySpec("a"))
	secret := []byte(`{"access_token":"eyJ…","dpop_key":"z42…"}`)
	box, err := k.Seal(secret, []byte("grant-1"))
	require.NoError(t, err)
	require.False(t, bytes.Contains(box, secret[:12]), "plaintext shows through")
	require.Equal(t, "a", SealedWith(box))

	got, err := k.Open(box, []byte("grant-1"))
	require.NoError(t, err)
	require.Equal(t, secret, got)

	again, err := k.Seal(secret, []byte("grant-1"))
	require.NoError(t, err)
	require.NotEqual(t, box, again, "every seal uses a fresh nonce")
}

func TestOpen_Refuses(t *testing.T) {
	k := mustKeyring(t, NewKeySpec("a"))
	box, err := k.Seal([]byte("secret"), []byte("row-1"))
	require.NoError(t, err)
	flipped := bytes.Clone(box)
	flipped[len(flipped)-1] ^= 1

	tests := []struct {
		name       string
		value, aad []byte
		want       error
	}{
		{"another row", box, []byte("row-2"), ErrCorrupt},
		{"tampered", flipped, []byte("row-1"), ErrCorrupt},
		{"truncated", box[:10], []byte("row-1"), ErrCorrupt},
		{"not sealed", []byte("plain text"), []byte("row-1"), ErrCorrupt},
		{"empty", nil, []byte("row-1"), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.Open(tt.value, tt.aad)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestRotation(t *testing.T) {
	oldSpec, newSpec := NewKeySpec("2026-05"), NewKeySpec("2026-11")
	before := mustKeyring(t, oldSpec)
	box, err := before.Seal([]byte("token"), []byte("row"))
	require.NoError(t, err)

	// The new key goes first; the old one stays to open what it sealed.
	after := mustKeyring(t, newSpec+","+oldSpec)
	got, err := after.Open(box, []byte("row"))
	require.NoError(t, err)
	require.Equal(t, []byte("token"), got)
	resealed, err := after.Seal(got, []byte("row"))
	require.NoError(t, err)
	require.Equal(t, "2026-11", SealedWith(resealed))

	// Once the old key is dropped, its values no longer open.
	onlyNew := mustKeyring(t, newSpec)
	_, err = onlyNew.Open(box, []byte("row"))
	require.ErrorIs(t, err, ErrUnknownKey)
	_, err = onlyNew.Open(resealed, []byte("row"))
	require.NoError(t, err)
}

func TestParseKeyring_Errors(t *testing.T) {
	good := NewKeySpec("a")
	tests := []struct {
		name, spec, want string
	}{
		{"empty", "", "want id:base64"},
		{"no id", ":" + strings.TrimPrefix(good, "a:"), "want id:base64"},
		{"not base64", "a:!!!", "not base64"},
		{"short key", "a:AAAA", "3 bytes, want 32"},
		{"duplicate id", good + "," + good, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKeyring(tt.spec)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
