// Command cmd runs the GCP sample locally under the functions framework, as
// `fiso dev` and the end-to-end tests do. The framework's server cannot be
// stopped from inside, so it runs as its own process.
//
// PORT (default 8080) and HOST (default 127.0.0.1: loopback unless asked
// otherwise) choose where it listens.
package main

import (
	"cmp"
	"context"
	"log"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/fiso-dev/fiso/functions/samples/gcp"
)

func main() {
	port := cmp.Or(os.Getenv("PORT"), "8080")
	host := cmp.Or(os.Getenv("HOST"), "127.0.0.1")
	if err := funcframework.RegisterHTTPFunctionContext(context.Background(), "/", gcp.Sample); err != nil {
		log.Fatalf("register the sample function: %v", err)
	}
	log.Printf("serving the GCP sample on %s:%s", host, port)
	if err := funcframework.StartHostPort(host, port); err != nil {
		log.Fatalf("serve the GCP sample on %s:%s: %v", host, port, err)
	}
}
