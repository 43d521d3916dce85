package pricelist

import (
	"context"
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/pricing"
)

// secret stands for an API key in the query of the URL fetched.
const secret = "AIzaSyTEST-secret_Key0123456789abcdefgh"

func TestGetSendsAcceptJSONAndReturnsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Accept") != "application/json" {
			http.Error(w, "want GET with Accept: application/json", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	body, err := Get(context.Background(), srv.Client(), srv.URL, srv.URL, nil, 11)
	if err != nil || string(body) != `{"ok":true}` {
		t.Fatalf("Get = %q, %v", body, err)
	}
	if _, err := Get(context.Background(), srv.Client(), srv.URL, srv.URL, nil, 10); err == nil || !strings.Contains(err.Error(), "GET "+srv.URL+": body is larger than 10 bytes") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestGetReportsAStatusOtherThanOK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("  slow down" + strings.Repeat(".", 1000)))
	}))
	defer srv.Close()
	_, err := Get(context.Background(), srv.Client(), srv.URL+"/?key="+secret, srv.URL+"/", nil, 1<<20)
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *StatusError", err)
	}
	want := StatusError{URL: srv.URL + "/", Status: http.StatusTooManyRequests, RetryAfter: "7", Body: "slow down" + strings.Repeat(".", snippetBytes-len("  slow down"))}
	if *se != want {
		t.Errorf("got %+v, want %+v", *se, want)
	}
	if msg := "GET " + srv.URL + "/: HTTP 429 Too Many Requests (Retry-After 7): slow down..."; !strings.HasPrefix(err.Error(), msg) {
		t.Errorf("error %q does not start %q", err, msg)
	}
}

// Whatever fails, an error names the shown URL and never the one fetched.
func TestGetNeverRepeatsTheURLFetched(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	dead := gone.URL // nothing listens there once closed
	gone.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "gopher://127.0.0.1/?"+r.URL.RawQuery, http.StatusFound)
	}))
	defer redirect.Close()
	truncated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("{"))
	}))
	defer truncated.Close()
	for _, tc := range []struct {
		name, base string
		client     *http.Client
		want       string
	}{
		{"a URL that does not parse", "http://bad host", http.DefaultClient, "build request for http://bad host/x: "},
		{"nothing listening", dead, http.DefaultClient, "connect"},
		{"a redirect the client refuses", redirect.URL, redirect.Client(), "unsupported protocol scheme"},
		{"a body cut short", truncated.URL, truncated.Client(), "read body of " + truncated.URL + "/x: "},
		{"a timeout", dead, &http.Client{Timeout: time.Nanosecond}, "GET " + dead + "/x: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Get(context.Background(), tc.client, tc.base+"/x?key="+secret, tc.base+"/x", nil, 1<<20)
			if err == nil {
				t.Fatal("got no error")
			}
			msg := err.Error()
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				msg += " | " + e.Error()
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error chain %q contains the secret", msg)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestGetNeedsASizeBound(t *testing.T) {
	if _, err := Get(context.Background(), http.DefaultClient, "http://127.0.0.1:1/", "http://127.0.0.1:1/", nil, 0); err == nil {
		t.Fatal("got no error for a bound of 0")
	}
}

func TestClient(t *testing.T) {
	if c := Client(nil, time.Minute); c == nil || c.Timeout != time.Minute {
		t.Errorf("Client(nil, 1m) = %+v, want a client with a one-minute timeout", c)
	}
	given := &http.Client{}
	if c := Client(given, time.Minute); c != given {
		t.Errorf("Client(c, 1m) is not c")
	}
}

func TestFinishSealsAValidCardAndNamesAnInvalidOne(t *testing.T) {
	c := pricing.Defaults()[0]
	c.Version = ""
	if err := Finish(&c); err != nil {
		t.Fatalf("Finish(%s): %v", c.KeyOf(), err)
	}
	if c.Version == "" || c.Version != c.ContentVersion() {
		t.Errorf("version %q, want %q", c.Version, c.ContentVersion())
	}
	c.Currency = "EUR"
	err := Finish(&c)
	if want := "card " + c.KeyOf().String() + ": validate: "; err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "currency") {
		t.Fatalf("got %v, want an error starting %q about the currency", err, want)
	}
}

// pricelisttest imports testing: only _test.go files may import it.
func TestOnlyTestsImportTheTestHelpers(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("no go.mod above the package")
		}
		root = parent
	}
	const helpers = "github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == helpers {
				t.Errorf("%s imports %s; only _test.go files may", path, helpers)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
