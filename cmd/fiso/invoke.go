package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// runInvoke calls POST /v1/functions/{name}/invoke (or the seed's
// /api/v1/orchestrate without a name), prints the function's answer on
// stdout and FISO's routing headers on stderr.
func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	data := fs.String("d", "", "payload: JSON text, @FILE, or - for stdin (default: empty)")
	base := fs.String("url", envOr("FISO_URL", "http://127.0.0.1:8080"), "FISO's base URL (FISO_URL)")
	key := fs.String("key", firstEnv("FISO_API_KEY", "FISO_ADMIN_KEY"), "API key (FISO_API_KEY, else FISO_ADMIN_KEY)")
	region := fs.String("region", "", "the caller's region, sent as X-Fiso-User-Region")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"usage: fiso invoke [FUNCTION] [-d JSON|@FILE|-]"}
	}
	if *key == "" {
		return usageError{"no API key: pass --key or set FISO_API_KEY"}
	}
	payload, err := readPayload(*data, stdin)
	if err != nil {
		return err
	}
	target := strings.TrimRight(*base, "/") + "/api/v1/orchestrate"
	if len(pos) == 1 {
		target = strings.TrimRight(*base, "/") + "/v1/functions/" + url.PathEscape(pos[0]) + "/invoke"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("build request for %s: %w", target, err)
	}
	req.Header.Set("Authorization", "Bearer "+*key)
	req.Header.Set("Content-Type", "application/json")
	if *region != "" {
		req.Header.Set("X-Fiso-User-Region", *region)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("call FISO at %s: %w", *base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read FISO's answer: %w", err)
	}
	var names []string
	for h := range resp.Header {
		if strings.HasPrefix(h, "X-Fiso-") {
			names = append(names, h)
		}
	}
	sort.Strings(names)
	for _, h := range names {
		fmt.Fprintf(stderr, "%s: %s\n", h, resp.Header.Get(h))
	}
	if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		var p struct {
			Title, Detail string
		}
		_ = json.Unmarshal(body, &p)
		stdout.Write(body)
		return fmt.Errorf("HTTP %d %s: %s", resp.StatusCode, p.Title, p.Detail)
	}
	stdout.Write(body)
	if resp.StatusCode >= 400 {
		return fmt.Errorf("the function answered HTTP %d", resp.StatusCode)
	}
	return nil
}

func readPayload(data string, stdin io.Reader) ([]byte, error) {
	switch {
	case data == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read payload from stdin: %w", err)
		}
		return b, nil
	case strings.HasPrefix(data, "@"):
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, fmt.Errorf("read payload: %w", err)
		}
		return b, nil
	}
	return []byte(data), nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
