// Package apikey issues and checks FISO's API keys. Only a key's SHA-256 hash
// is ever stored: keys are 256-bit random strings, so a fast hash is as safe
// as a slow one and keeps authentication off the request's critical path.
package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
)

// Role is what a key may do.
type Role string

// Roles. Admins manage everything; invokers invoke and read their own invocations.
const (
	Admin   Role = "admin"
	Invoker Role = "invoker"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Admin || r == Invoker }

// Prefix starts every generated key, so that secret scanners can find leaked ones.
const Prefix = "fiso_"

// MinLength is the shortest key accepted from an operator (FISO_ADMIN_KEY).
const MinLength = 24

// Key is a stored API key. It never holds the key itself.
type Key struct {
	// ID is the first 16 hex digits of Hash: safe to show and to log.
	ID        string    `json:"id"`
	Hash      string    `json:"-"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Team      string    `json:"team,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,63}$`)
	teamRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

// Hash returns the stored form of a plaintext key.
func Hash(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// IDOf returns the public ID that goes with a hash.
func IDOf(hash string) string {
	if len(hash) < 16 {
		return hash
	}
	return hash[:16]
}

// Matches compares a stored hash with a presented key in constant time.
func (k Key) Matches(plaintext string) bool {
	return subtle.ConstantTimeCompare([]byte(k.Hash), []byte(Hash(plaintext))) == 1
}

// New builds the stored form of plaintext. It rejects keys too short to be
// secret and metadata that would not round-trip.
func New(plaintext, name string, role Role, team string, now time.Time) (Key, error) {
	var vs fault.Violations
	if len(plaintext) < MinLength {
		vs.Add("key", "must be at least %d characters", MinLength)
	}
	if !nameRE.MatchString(name) {
		vs.Add("name", "must be 1-64 letters, digits, spaces or _.@-")
	}
	if !role.Valid() {
		vs.Add("role", "role %q is not admin or invoker", role)
	}
	if team != "" && !teamRE.MatchString(team) {
		vs.Add("team", "must be 1-64 letters, digits or _.-")
	}
	if err := vs.Err(); err != nil {
		return Key{}, err
	}
	h := Hash(plaintext)
	return Key{ID: IDOf(h), Hash: h, Name: name, Role: role, Team: team, CreatedAt: now.UTC()}, nil
}

// Generate makes a new random key and its stored form. The plaintext is
// returned once and must be shown to the operator, never stored or logged.
func Generate(random io.Reader, name string, role Role, team string, now time.Time) (string, Key, error) {
	var b [32]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", Key{}, fmt.Errorf("read random bytes for api key: %w", err)
	}
	plaintext := Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	k, err := New(plaintext, name, role, team, now)
	if err != nil {
		return "", Key{}, fmt.Errorf("generate api key: %w", err)
	}
	return plaintext, k, nil
}
