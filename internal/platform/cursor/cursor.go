// Package cursor encodes keyset pagination positions as opaque page tokens.
//
// A position is the (created_at, id) of the last row a page returned; the next page holds
// the rows strictly before it in (created_at DESC, id DESC) order. The token is
// base64url(version ‖ created_at as Unix microseconds ‖ id): small, stable, and not
// meant to be built by clients, which is why it carries a version byte.
package cursor

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Position is a point in (created_at, id) order.
type Position struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// Start is the position before every row: the first page begins here.
var Start = Position{
	CreatedAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	ID:        uuid.Max,
}

// ErrInvalid is returned for a token this package did not make.
var ErrInvalid = errors.New("invalid page token")

const version = 1

// Encode returns the token for p.
func Encode(p Position) string {
	var b [1 + 8 + 16]byte
	b[0] = version
	binary.BigEndian.PutUint64(b[1:9], uint64(p.CreatedAt.UnixMicro()))
	copy(b[9:], p.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Decode returns the position in token, or Start for an empty token.
func Decode(token string) (Position, error) {
	if token == "" {
		return Start, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 1+8+16 || b[0] != version {
		return Position{}, ErrInvalid
	}
	id, err := uuid.FromBytes(b[9:])
	if err != nil {
		return Position{}, ErrInvalid
	}
	micros := int64(binary.BigEndian.Uint64(b[1:9]))
	return Position{CreatedAt: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// Key is a point in (n, id) ascending order: a list kept in an order of its own (a
// listener's liked tracks), where n is the row's sort key.
type Key struct {
	N  int64
	ID uuid.UUID
}

// FirstKey is the key before every row.
var FirstKey = Key{N: -1 << 63, ID: uuid.Nil}

const keyVersion = 2

// EncodeKey returns the token for k.
func EncodeKey(k Key) string {
	var b [1 + 8 + 16]byte
	b[0] = keyVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(k.N))
	copy(b[9:], k.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// DecodeKey returns the key in token, or FirstKey for an empty token.
func DecodeKey(token string) (Key, error) {
	if token == "" {
		return FirstKey, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 1+8+16 || b[0] != keyVersion {
		return Key{}, ErrInvalid
	}
	id, err := uuid.FromBytes(b[9:])
	if err != nil {
		return Key{}, ErrInvalid
	}
	return Key{N: int64(binary.BigEndian.Uint64(b[1:9])), ID: id}, nil
}

// Mark is a point in (at, name) descending order, for rows keyed by a short string rather
// than a uuid (a share link's code, a record's rkey).
type Mark struct {
	At   time.Time
	Name string
}

// maxMarkName bounds a Mark's name, so a token stays small.
const maxMarkName = 64

// FirstMark is the mark before every row.
var FirstMark = Mark{At: Start.CreatedAt, Name: "\U0010FFFF"}

const markVersion = 3

// EncodeMark returns the token for m.
func EncodeMark(m Mark) string {
	b := make([]byte, 1+8, 1+8+len(m.Name))
	b[0] = markVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(m.At.UnixMicro()))
	b = append(b, m.Name...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeMark returns the mark in token, or FirstMark for an empty token.
func DecodeMark(token string) (Mark, error) {
	if token == "" {
		return FirstMark, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 1+8+1 || len(b) > 1+8+maxMarkName || b[0] != markVersion {
		return Mark{}, ErrInvalid
	}
	return Mark{At: time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))).UTC(), Name: string(b[9:])}, nil
}
