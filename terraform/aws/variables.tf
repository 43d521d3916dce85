# The variables name, region, memory_mb, timeout_seconds, tags and
# package_path mean the same in terraform/aws, terraform/azure and
# terraform/gcp, so one set of values deploys the identical sample to each.

variable "name" {
  description = "Short name of the workload; the Lambda function is named fiso-workload-<name> unless function_name is set."
  type        = string
  default     = "sample"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$", var.name))
    error_message = "name must be 1-20 lower-case letters, digits or '-', starting with a letter and not ending with '-'."
  }
}

variable "region" {
  description = "AWS region to deploy to, for example us-east-1."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "memory_mb" {
  description = "Memory of the function in MB (128-10240); Lambda allots CPU in proportion."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240 && floor(var.memory_mb) == var.memory_mb
    error_message = "memory_mb must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout_seconds" {
  description = "Longest one invocation may run, in seconds (1-900)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be from 1 to 900."
  }
}

variable "tags" {
  description = "Tags added to every resource. The module always adds fiso:workload = \"true\", which the control plane's invoke permission keys on."
  type        = map(string)
  default     = {}
}

variable "package_path" {
  description = "Path of the Lambda zip (a linux/arm64 bootstrap for provided.al2023). Default: dist/lambda/sample.zip at the repository root, as `make build` writes it."
  type        = string
  default     = null
}

variable "function_name" {
  description = "Name of the Lambda function. Default: fiso-workload-<name>, the prefix the control plane may invoke."
  type        = string
  default     = null

  validation {
    condition     = var.function_name == null || can(regex("^[A-Za-z0-9_-]{1,64}$", coalesce(var.function_name, "x")))
    error_message = "function_name must be 1-64 letters, digits, '-' or '_'."
  }

  # The control plane may invoke only functions named fiso-workload-*
  # (and tagged fiso:workload = true, which the module sets).
  validation {
    condition     = var.function_name == null || startswith(coalesce(var.function_name, "fiso-workload-"), "fiso-workload-")
    error_message = "function_name must start with fiso-workload-: the control plane may invoke no other Lambda function."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's logs."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}
