package cursor

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestEncodeDecode_RoundTrip(t *testing.T) {
	p := Position{CreatedAt: time.Date(2026, 11, 25, 10, 30, 0, 123456000, time.UTC), ID: uuid.New()}
	got, err := Decode(Encode(p))
	require.NoError(t, err)
	require.True(t, p.CreatedAt.Equal(got.CreatedAt))
	require.Equal(t, p.ID, got.ID)
}

func TestDecode_EmptyIsStart(t *testing.T) {
	got, err := Decode("")
	require.NoError(t, err)
	require.Equal(t, Start, got)
}

func TestDecode_Invalid(t *testing.T) {
	valid := Encode(Position{CreatedAt: time.Now(), ID: uuid.New()})
	tests := []struct {
		name  string
		token string
	}{
		{"not base64", "!!!"},
		{"too short", valid[:10]},
		{"too long", valid + "AAAA"},
		{"wrong version", "Ag" + valid[2:]},
		{"padding", valid + "="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.token)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(Position{CreatedAt: time.Now(), ID: uuid.New()}))
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := Decode(token)
		if err == nil && token != "" {
			require.Equal(t, token, Encode(p), "a token that decodes must be the encoding of its position")
		}
	})
}

func TestMark_RoundTripAndInvalid(t *testing.T) {
	m := Mark{At: time.Date(2026, 12, 2, 10, 0, 0, 123456000, time.UTC), Name: "aB3_-x9z"}
	got, err := DecodeMark(EncodeMark(m))
	require.NoError(t, err)
	require.Equal(t, m, got)

	first, err := DecodeMark("")
	require.NoError(t, err)
	require.Equal(t, FirstMark, first)

	for _, bad := range []string{"!!", Encode(Start), EncodeKey(FirstKey), EncodeMark(Mark{At: m.At, Name: strings.Repeat("x", 65)})} {
		_, err := DecodeMark(bad)
		require.ErrorIs(t, err, ErrInvalid, bad)
	}
}
