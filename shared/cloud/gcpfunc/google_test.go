package gcpfunc_test

// A loopback Google: the OAuth2 token endpoint's JWT-bearer exchange that
// mints ID tokens for a service account, and a private function that admits
// only requests bearing such a token for its own URL.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
)

const (
	saEmail     = "fiso-invoker@fiso-test.iam.gserviceaccount.com"
	jwtBearer   = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	googleIss   = "https://accounts.google.com"
	googleKeyID = "google-test-1"
)

type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
}

func signJWT(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(jwtHeader{Alg: "RS256", Typ: "JWT", Kid: kid})
	c, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// verifyJWT checks an RS256 signature and returns the claims.
func verifyJWT(pub *rsa.PublicKey, token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWS")
	}
	var h jwtHeader
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &h) != nil || h.Alg != "RS256" {
		return nil, errors.New("bad header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("bad signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errors.New("bad signature")
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("bad claims encoding")
	}
	var claims map[string]any
	if err := json.Unmarshal(cb, &claims); err != nil {
		return nil, errors.New("bad claims")
	}
	return claims, nil
}

func checkTimes(claims map[string]any, now time.Time) error {
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	if exp == 0 || iat == 0 || now.Unix() >= int64(exp) || int64(iat) > now.Add(time.Minute).Unix() {
		return fmt.Errorf("expired or not yet valid (iat %v, exp %v)", iat, exp)
	}
	return nil
}

// fakeGoogle is the token endpoint. It verifies the signed assertion with the
// service account's public key, as Google does, and answers with an ID token
// for the requested target_audience signed with Google's key.
type fakeGoogle struct {
	sa        *rsa.PrivateKey
	google    *rsa.PrivateKey
	srv       *httptest.Server
	exchanges atomic.Int32
	mu        sync.Mutex
	issued    []string
	hang      chan struct{} // when non-nil, exchanges wait for it
}

func newFakeGoogle(t *testing.T) *fakeGoogle {
	t.Helper()
	g := &fakeGoogle{sa: newKey(t), google: newKey(t)}
	g.srv = httptest.NewServer(http.HandlerFunc(g.token))
	t.Cleanup(g.srv.Close)
	return g
}

func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (g *fakeGoogle) tokenURL() string { return g.srv.URL + "/token" }

func (g *fakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	g.exchanges.Add(1)
	if g.hang != nil {
		select {
		case <-g.hang:
		case <-r.Context().Done():
			return
		}
	}
	invalid := func(desc string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":%q}`, desc)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/token" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != jwtBearer {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"unsupported_grant_type","error_description":"Invalid grant_type"}`)
		return
	}
	claims, err := verifyJWT(&g.sa.PublicKey, r.PostForm.Get("assertion"))
	if err != nil {
		invalid("Invalid JWT Signature.")
		return
	}
	now := time.Now()
	aud, _ := claims["target_audience"].(string)
	switch {
	case claims["iss"] != saEmail:
		invalid("Invalid JWT: iss")
	case claims["aud"] != g.tokenURL():
		invalid("Invalid JWT: Failed audience check.")
	case checkTimes(claims, now) != nil:
		invalid("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
	case aud == "":
		invalid("Invalid JWT: no target_audience")
	default:
		id := signJWT(g.google, googleKeyID, map[string]any{
			"iss": googleIss, "aud": aud, "azp": saEmail, "email": saEmail, "email_verified": true,
			"sub": "109876543210", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
		g.mu.Lock()
		g.issued = append(g.issued, id)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, `{"id_token":%q}`, id)
	}
}

// serviceAccountJSON is a service-account key file whose token_uri is the
// fake endpoint.
func (g *fakeGoogle) serviceAccountJSON(t *testing.T, key *rsa.PrivateKey, mutate func(map[string]any)) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sa := map[string]any{
		"type":                        "service_account",
		"project_id":                  "fiso-test",
		"private_key_id":              "0123456789abcdef0123456789abcdef01234567",
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                saEmail,
		"client_id":                   "109876543210",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   g.tokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}
	if mutate != nil {
		mutate(sa)
	}
	b, err := json.Marshal(sa)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// privateFunction is a Cloud Run function requiring a Google ID token whose
// aud is audience (a path of the server; "" for a public function). It
// serves the GCP sample and records the Authorization header it saw.
type privateFunction struct {
	srv      *httptest.Server
	path     string
	mu       sync.Mutex
	lastAuth string
}

func newPrivateFunction(t *testing.T, google *rsa.PublicKey, path string, public bool) *privateFunction {
	t.Helper()
	f := &privateFunction{path: path}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		f.mu.Lock()
		f.lastAuth = auth
		f.mu.Unlock()
		if !public {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			claims, err := verifyJWT(google, token)
			if !ok || err != nil || claims["iss"] != googleIss || claims["aud"] != f.audience() || checkTimes(claims, time.Now()) != nil {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token" error_description="The access token could not be verified"`)
				w.Header().Set("Content-Type", "text/html; charset=UTF-8")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, "<html><head><title>401 Unauthorized</title></head><body><h1>Error: Unauthorized</h1></body></html>")
				return
			}
		}
		sample.HTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *privateFunction) audience() string { return f.srv.URL + f.path }

func (f *privateFunction) auth() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastAuth
}
