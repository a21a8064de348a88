// Package sealed encrypts secrets at rest (OAuth tokens, DPoP keys) with AES-256-GCM under
// a keyring: the first key seals, every key opens, so keys rotate without a migration
// (old ciphertexts open with the old key; anything written again is sealed with the new).
//
// A sealed value carries the id of its key and is bound to associated data chosen by the
// caller (a row's primary key), so a ciphertext copied into another row does not open.
//
// Format: version (1 byte, 1) ‖ key id length (1 byte) ‖ key id ‖ nonce (12) ‖ ciphertext+tag.
//
// Keys are configured as "id:base64" entries separated by commas, the sealing key first:
//
//	PLYR_SESSION_KEYS="2026-11:q6Lr…=,2026-05:Zf0…="
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

const version = 1

// ErrUnknownKey is returned for a value sealed under a key the keyring does not hold.
var ErrUnknownKey = errors.New("sealed with a key this keyring does not hold")

// ErrCorrupt is returned for a value that is not a sealed value or fails authentication
// (tampered with, truncated, or bound to other associated data).
var ErrCorrupt = errors.New("sealed value is corrupt or belongs elsewhere")

// Keyring seals with its first key and opens with any of them.
type Keyring struct {
	sealID string
	keys   map[string]cipher.AEAD
}

// ParseKeyring reads "id:base64key,id:base64key…"; each key is 32 bytes (AES-256).
func ParseKeyring(spec string) (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok || id == "" || len(id) > 64 {
			return nil, fmt.Errorf("key %d: want id:base64 with a non-empty id of at most 64 characters", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			if raw, err = base64.RawURLEncoding.DecodeString(encoded); err != nil {
				return nil, fmt.Errorf("key %q: not base64", id)
			}
		}
		if len(raw) != 32 {
			return nil, fmt.Errorf("key %q: %d bytes, want 32", id, len(raw))
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.keys[id] = aead
		if i == 0 {
			k.sealID = id
		}
	}
	return k, nil
}

// NewKeySpec returns a new random key entry "id:base64", for development and for operators
// adding a key.
func NewKeySpec(id string) string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return id + ":" + base64.StdEncoding.EncodeToString(raw)
}

// Seal encrypts plaintext, bound to associated.
func (k *Keyring) Seal(plaintext, associated []byte) ([]byte, error) {
	aead := k.keys[k.sealID]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := make([]byte, 0, 2+len(k.sealID)+len(nonce)+len(plaintext)+aead.Overhead())
	out = append(out, version, byte(len(k.sealID)))
	out = append(out, k.sealID...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, associated), nil
}

// Open decrypts a sealed value bound to associated.
func (k *Keyring) Open(sealed, associated []byte) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != version {
		return nil, ErrCorrupt
	}
	idLen := int(sealed[1])
	if len(sealed) < 2+idLen {
		return nil, ErrCorrupt
	}
	id := string(sealed[2 : 2+idLen])
	aead, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w (key %q)", ErrUnknownKey, id)
	}
	rest := sealed[2+idLen:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrCorrupt
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], associated)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// KeyID is the id of the key sealing new values.
func (k *Keyring) KeyID() string { return k.sealID }

// SealedWith reports the key id a sealed value names, or "" for a malformed value.
func SealedWith(sealed []byte) string {
	if len(sealed) < 2 || sealed[0] != version || len(sealed) < 2+int(sealed[1]) {
		return ""
	}
	return string(sealed[2 : 2+int(sealed[1])])
}
