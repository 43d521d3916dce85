// Command azure is the sample workload's Azure Functions custom handler. The
// Functions host starts it, tells it the port in
// FUNCTIONS_CUSTOMHANDLER_PORT and forwards each HTTP request to it.
package main

import (
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/fiso-dev/fiso/functions/samples/sample"
)

func main() {
	port := os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT")
	if port == "" {
		log.Fatal("FUNCTIONS_CUSTOMHANDLER_PORT is not set: the Azure Functions host sets it when it starts the custom handler")
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", port),
		Handler:           sample.AzureHandler(sample.WithRegion(os.Getenv("REGION_NAME"))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("serving the Azure sample on %s", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("serve the Azure sample on %s: %v", srv.Addr, err)
	}
}
