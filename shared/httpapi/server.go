// Package httpapi is FISO's HTTP API: one http.Handler that the Lambda entry
// (through API Gateway's HTTP API payload v2) and the local server both
// serve. Handlers decode, validate, make one service or store call and
// encode; every error becomes an RFC 9457 problem in one place (problem.go).
package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/fiso-dev/fiso/shared/apikey"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/store"
)

// Store is the state the API reads and manages.
type Store interface {
	store.Functions
	store.Policies
	store.Keys
	store.Invocations
	store.Costs
	store.Models
	store.Budgets
	store.Alerts
	store.Anomalies
}

// Orchestrator runs invocations.
type Orchestrator interface {
	Invoke(ctx context.Context, call orchestrator.Call) (orchestrator.Result, error)
}

// MaxBodyBytes is the request body cap: AWS Lambda's synchronous payload
// limit, the smallest of the three clouds'.
const MaxBodyBytes = 6 << 20

// Options tune the server. Zero values take defaults.
type Options struct {
	// RequestTimeout bounds one invocation, all attempts included (default
	// 28s, under API Gateway's 30s integration timeout).
	RequestTimeout time.Duration
	Now            func() time.Time
	// Random is the entropy for new API keys (default crypto/rand).
	Random io.Reader
	Logger *slog.Logger
	// Version is reported by /healthz.
	Version string
	// Prices lists the rate cards in force for GET /v1/prices.
	Prices PriceBook
	// Budgets, when set, is told of budget changes made through the API.
	Budgets BudgetCache
}

// Server is the API.
type Server struct {
	store Store
	orch  Orchestrator
	opts  Options
	mux   *http.ServeMux
	table []route
}

// handler is a handler that returns its error to the one error writer.
type handler func(w http.ResponseWriter, r *http.Request) error

type route struct {
	pattern string
	// role is the least role allowed; "" means no authentication.
	role apikey.Role
	h    handler
}

// New builds the API.
func New(st Store, orch Orchestrator, opts Options) *Server {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 28 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Random == nil {
		opts.Random = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{store: st, orch: orch, opts: opts, mux: http.NewServeMux()}
	s.table = []route{
		{"GET /healthz", "", s.health},
		{"GET /openapi.yaml", "", s.openAPI},

		{"POST /api/v1/orchestrate", apikey.Invoker, s.orchestrate},
		{"POST /v1/functions/{name}/invoke", apikey.Invoker, s.invokeFunction},

		{"GET /v1/functions", apikey.Admin, s.listFunctions},
		{"GET /v1/functions/{name}", apikey.Admin, s.getFunction},
		{"PUT /v1/functions/{name}", apikey.Admin, s.putFunction},
		{"DELETE /v1/functions/{name}", apikey.Admin, s.deleteFunction},
		{"GET /v1/functions/{name}/models", apikey.Admin, s.listModels},

		{"GET /v1/policies", apikey.Admin, s.listPolicies},
		{"GET /v1/policies/{name}", apikey.Admin, s.getPolicy},
		{"PUT /v1/policies/{name}", apikey.Admin, s.putPolicy},
		{"DELETE /v1/policies/{name}", apikey.Admin, s.deletePolicy},
		{"POST /v1/policies/{name}/activate", apikey.Admin, s.activatePolicy},
		{"POST /v1/policies/{name}/deactivate", apikey.Admin, s.deactivatePolicy},
		{"GET /v1/experiments/{name}", apikey.Admin, s.getExperiment},

		{"GET /v1/invocations", apikey.Invoker, s.listInvocations},
		{"GET /v1/invocations/{id}", apikey.Invoker, s.getInvocation},

		{"GET /v1/prices", apikey.Invoker, s.listPrices},
		{"GET /v1/costs", apikey.Admin, s.getCosts},
		{"GET /v1/savings", apikey.Admin, s.getSavings},
		{"GET /v1/recommendations", apikey.Admin, s.getRecommendations},

		{"GET /v1/budgets", apikey.Admin, s.listBudgets},
		{"GET /v1/budgets/{scope}/{id}", apikey.Admin, s.getBudget},
		{"PUT /v1/budgets/{scope}/{id}", apikey.Admin, s.putBudget},
		{"DELETE /v1/budgets/{scope}/{id}", apikey.Admin, s.deleteBudget},
		{"GET /v1/alerts", apikey.Admin, s.listAlerts},
		{"GET /v1/anomalies", apikey.Admin, s.listAnomalies},

		{"GET /v1/keys", apikey.Admin, s.listKeys},
		{"POST /v1/keys", apikey.Admin, s.createKey},
		{"DELETE /v1/keys/{id}", apikey.Admin, s.deleteKey},
	}
	for _, rt := range s.table {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	s.mux.Handle("/", s.wrap(route{role: "", h: s.unmatched}))
	return s
}

// Routes lists every served route as "METHOD /path", for the OpenAPI check.
func (s *Server) Routes() []string {
	out := make([]string, len(s.table))
	for i, rt := range s.table {
		out[i] = rt.pattern
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// wrap adds, around every route: a request ID, the body cap, panic
// recovery, authentication and role checks, and one access-log line.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.opts.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			id = ulid.Make().String()
		}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		sw := &statusWriter{ResponseWriter: w}
		var keyID string
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.opts.Logger.Error("handler panic", slog.String("request_id", id), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				if sw.status == 0 {
					writeProblem(sw, newProblem(r, http.StatusInternalServerError, "FISO could not complete the request; the cause is logged under request_id"))
				}
			}
			s.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", rt.pattern),
				slog.String("path", r.URL.Path), slog.Int("status", sw.status), slog.String("key_id", keyID),
				slog.Float64("duration_ms", float64(s.opts.Now().Sub(start).Microseconds())/1000))
		}()
		if rt.role != "" {
			k, err := s.authenticate(r, rt.role)
			if err != nil {
				s.writeError(sw, r, err)
				return
			}
			keyID = k.ID
			r = r.WithContext(context.WithValue(r.Context(), callerKey{}, k))
		}
		if err := rt.h(sw, r); err != nil {
			s.writeError(sw, r, err)
		}
	})
}

// authenticate checks the bearer key and the role the route needs.
func (s *Server) authenticate(r *http.Request, need apikey.Role) (apikey.Key, error) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !equalFoldASCII(h[:len(prefix)], prefix) {
		return apikey.Key{}, errStatus(http.StatusUnauthorized, "send an API key as 'Authorization: Bearer <key>' (create one with 'fiso keys create' or POST /v1/keys)")
	}
	plaintext := h[len(prefix):]
	k, err := s.store.KeyByHash(r.Context(), apikey.Hash(plaintext))
	if errors.Is(err, fault.ErrNotFound) || (err == nil && !k.Matches(plaintext)) {
		return apikey.Key{}, errStatus(http.StatusUnauthorized, "the API key is not valid (revoked, mistyped, or from another FISO installation)")
	}
	if err != nil {
		return apikey.Key{}, err
	}
	if need == apikey.Admin && k.Role != apikey.Admin {
		return apikey.Key{}, fault.Forbidden("this route needs an admin key; key %s has role %s", k.ID, k.Role)
	}
	return k, nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i]|0x20, b[i]|0x20
		if ca != cb {
			return false
		}
	}
	return true
}

// unmatched answers paths no route serves: 405 with Allow when another
// method would match, else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		return errStatus(http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	}
	return errStatus(http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path+" (the API is described at /openapi.yaml)")
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opts.Version})
}

type (
	requestIDKey struct{}
	callerKey    struct{}
)

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// caller is the key that authenticated the request.
func caller(ctx context.Context) apikey.Key {
	k, _ := ctx.Value(callerKey{}).(apikey.Key)
	return k
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
