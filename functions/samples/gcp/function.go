// Package gcp is the sample workload's Google Cloud Functions source. Sample
// is deployed with --entry-point=Sample; the functions framework finds it by
// name without a declarative registration, so the package needs no init().
package gcp

import (
	"net/http"

	"github.com/fiso-dev/fiso/functions/samples/sample"
)

// Sample is the HTTP entry point.
func Sample(w http.ResponseWriter, r *http.Request) {
	sample.HTTP(w, r)
}
