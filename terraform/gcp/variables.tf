# The variables name, region, memory_mb, timeout_seconds, tags and
# package_path mean the same in terraform/aws, terraform/azure and
# terraform/gcp, so one set of values deploys the identical sample to each.

variable "project_id" {
  description = "ID of the Google Cloud project to deploy to."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lower-case letters, digits or '-'), not its name or number."
  }
}

variable "name" {
  description = "Short name of the workload; the function is named fiso-workload-<name> unless function_name is set."
  type        = string
  default     = "sample"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name))
    error_message = "name must be 1-20 lower-case letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "region" {
  description = "Google Cloud region to deploy to, for example us-central1."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]{1,2}$", var.region))
    error_message = "region must be a Google Cloud region name such as us-central1."
  }
}

variable "memory_mb" {
  description = "Memory of the function in MiB (128-32768); Cloud Run functions allot CPU from it."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 32768 && floor(var.memory_mb) == var.memory_mb
    error_message = "memory_mb must be a whole number of MiB from 128 to 32768."
  }
}

variable "timeout_seconds" {
  description = "Longest one invocation may run, in seconds (1-3600 for HTTP functions)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 3600 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number from 1 to 3600."
  }
}

variable "tags" {
  description = "Tags added to every resource as labels: keys and values are lower-cased and characters labels do not allow become '_'. The module always adds fiso-workload = \"true\"."
  type        = map(string)
  default     = {}
}

variable "package_path" {
  description = "Path of the function's Go source zip (go.mod at its root, entry point Sample). Default: dist/gcp/sample-source.zip at the repository root, as `make build` writes it."
  type        = string
  default     = null
}

variable "function_name" {
  description = "Name of the function (and of the Cloud Run service behind it). Default: fiso-workload-<name>."
  type        = string
  default     = null

  validation {
    condition     = var.function_name == null || can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", coalesce(var.function_name, "x")))
    error_message = "function_name must be 1-63 lower-case letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "runtime" {
  description = "Cloud Run functions Go runtime. It must be at least the go directive of the source bundle's go.mod."
  type        = string
  default     = "go126"

  validation {
    condition     = can(regex("^go1[0-9]{2}$", var.runtime))
    error_message = "runtime must be a Go runtime ID such as go126."
  }
}

variable "max_instances" {
  description = "Most instances the function scales out to."
  type        = number
  default     = 10
}

variable "create_invoker_key" {
  description = "Create a JSON key for the invoker service account and output it as invoker_credentials. The key is then in the Terraform state; set false where the organization forbids keys (iam.disableServiceAccountKeyCreation) and see README.md for the alternative."
  type        = bool
  default     = true
}

variable "enable_apis" {
  description = "Enable the APIs the deployment needs (Cloud Functions, Cloud Run, Cloud Build, Artifact Registry, Cloud Storage, IAM). They are left enabled on destroy."
  type        = bool
  default     = true
}
