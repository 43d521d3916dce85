# fiso_deployment is what `fiso deployments import` reads: the fields of a
# FISO catalog deployment (shared/catalog). The invoker's key is a separate,
# sensitive output that the import stores where credential_ref points and
# never sends to FISO.
output "fiso_deployment" {
  description = "The deployment to register with FISO (fiso deployments import)."
  value = {
    provider = "gcp"
    region   = var.region
    # The run.app URL: FISO posts to it and mints ID tokens with it as the
    # audience, which Cloud Run accepts.
    target    = google_cloudfunctions2_function.this.service_config[0].uri
    memory_mb = var.memory_mb
    arch      = "x86_64"
    plan      = "gen2"
  }
}

output "invoker_credentials" {
  description = "JSON key of the invoker service account, which FISO mints ID tokens with; null when create_invoker_key is false. Keep it out of logs."
  value       = var.create_invoker_key ? base64decode(google_service_account_key.invoker[0].private_key) : null
  sensitive   = true
}

output "invoker_service_account" {
  description = "Email of the service account FISO invokes the function as."
  value       = google_service_account.invoker.email
}

output "function_url" {
  description = "HTTPS URL of the function (it answers 403 without an ID token of the invoker)."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "function_name" {
  description = "Name of the function and of its Cloud Run service."
  value       = google_cloudfunctions2_function.this.name
}
