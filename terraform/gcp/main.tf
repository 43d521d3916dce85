locals {
  function_name = coalesce(var.function_name, "fiso-workload-${var.name}")
  package_path  = coalesce(var.package_path, "${path.module}/../../dist/gcp/sample-source.zip")

  # Labels allow lower-case letters, digits, '_' and '-', up to 63 of them.
  labels = {
    for k, v in merge(var.tags, { "fiso-workload" = "true" }) :
    substr(replace(lower(k), "/[^a-z0-9_-]/", "_"), 0, 63) => substr(replace(lower(v), "/[^a-z0-9_-]/", "_"), 0, 63)
  }

  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "iam.googleapis.com",
    "run.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "this" {
  for_each = var.enable_apis ? toset(local.apis) : toset([])

  service            = each.value
  disable_on_destroy = false
}

# Project IDs are globally unique, so the bucket name is too; it is at most
# 60 characters, under the limit of 63.
resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-fiso-${var.name}-src"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels

  depends_on = [google_project_service.this]
}

# Named by content hash: a new source bundle is a new object, which makes
# Terraform rebuild and redeploy the function.
resource "google_storage_bucket_object" "source" {
  name   = "sample-source-${filemd5(local.package_path)}.zip"
  bucket = google_storage_bucket.source.name
  source = local.package_path
}

# The function runs as an identity with no roles: the sample calls nothing.
resource "google_service_account" "runtime" {
  account_id   = "fiso-run-${var.name}"
  display_name = "Runtime of ${local.function_name}"
  description  = "Identity the FISO sample function runs as; it has no roles."

  depends_on = [google_project_service.this]
}

# FISO calls the function as this account, with ID tokens minted from its key.
resource "google_service_account" "invoker" {
  account_id   = "fiso-inv-${var.name}"
  display_name = "FISO invoker of ${local.function_name}"
  description  = "FISO's control plane invokes ${local.function_name} as this account; its only role is run.invoker on that function's service."

  depends_on = [google_project_service.this]
}

resource "google_cloudfunctions2_function" "this" {
  name        = local.function_name
  location    = var.region
  description = "FISO sample workload (${var.name})"
  labels      = local.labels

  build_config {
    runtime     = var.runtime
    entry_point = "Sample"

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory      = "${var.memory_mb}Mi"
    timeout_seconds       = var.timeout_seconds
    max_instance_count    = var.max_instances
    ingress_settings      = "ALLOW_ALL"
    service_account_email = google_service_account.runtime.email
    # No allUsers binding anywhere: every call needs an ID token of an
    # account with run.invoker, which only the invoker account has.
  }

  depends_on = [google_project_service.this]
}

# Gen2 functions are Cloud Run services of the same name; invoking one over
# HTTP takes run.invoker on that service, granted here and nowhere else.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  project  = google_cloudfunctions2_function.this.project
  location = google_cloudfunctions2_function.this.location
  name     = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}

resource "google_service_account_key" "invoker" {
  count = var.create_invoker_key ? 1 : 0

  service_account_id = google_service_account.invoker.name
}
