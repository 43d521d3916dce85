terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

# Credentials come from Application Default Credentials
# (`gcloud auth application-default login`, GOOGLE_APPLICATION_CREDENTIALS,
# or workload identity in CI): nothing secret is configured here.
provider "google" {
  project = var.project_id
  region  = var.region
}
