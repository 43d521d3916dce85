# The variables name, region, memory_mb, timeout_seconds, tags and
# package_path mean the same in terraform/aws, terraform/azure and
# terraform/gcp, so one set of values deploys the identical sample to each.

variable "name" {
  description = "Short name of the workload; the Function App is named fiso-workload-<name>-<suffix> unless function_name is set."
  type        = string
  default     = "sample"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name))
    error_message = "name must be 1-20 lower-case letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "region" {
  description = "Azure region to deploy to, in its short form, for example eastus or westeurope."
  type        = string
  default     = "eastus"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,39}$", var.region))
    error_message = "region must be an Azure region's short name such as eastus (lower case, no spaces)."
  }
}

variable "memory_mb" {
  description = "Memory FISO prices the function at, in MB (128-1536). The Consumption plan does not let you choose: it gives each instance 1.5 GB and bills the memory an execution used; FISO bills this value where it observes none."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 1536 && floor(var.memory_mb) == var.memory_mb
    error_message = "memory_mb must be a whole number of MB from 128 to 1536 (the most the Consumption plan bills)."
  }
}

variable "timeout_seconds" {
  description = "Longest one invocation may run, in seconds (1-600, the Consumption plan's limit); it overrides host.json's functionTimeout. HTTP callers are answered within 230 s whatever this says."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 600 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number from 1 to 600."
  }
}

variable "tags" {
  description = "Tags added to every resource. The module always adds fiso:workload = \"true\"."
  type        = map(string)
  default     = {}
}

variable "package_path" {
  description = "Path of the custom-handler package zip (host.json, sample/function.json and a linux/amd64 `handler`). Default: dist/azure/sample.zip at the repository root, as `make build` writes it."
  type        = string
  default     = null
}

variable "function_name" {
  description = "Name of the Function App, which is also its host name in <name>.azurewebsites.net and so must be unique across Azure. Default: fiso-workload-<name>-<suffix>, the suffix derived from the subscription and region."
  type        = string
  default     = null

  validation {
    condition     = var.function_name == null || can(regex("^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$", coalesce(var.function_name, "xx")))
    error_message = "function_name must be 2-60 lower-case letters, digits or '-', not starting or ending with '-'."
  }
}
