# fiso_deployment is what `fiso deployments import` reads: the fields of a
# FISO catalog deployment (shared/catalog). The function key is a separate,
# sensitive output that the import stores where credential_ref points and
# never sends to FISO.
output "fiso_deployment" {
  description = "The deployment to register with FISO (fiso deployments import)."
  value = {
    provider  = "azure"
    region    = var.region
    target    = local.function_url
    memory_mb = var.memory_mb
    arch      = "x86_64"
    plan      = "consumption"
  }
}

output "function_key" {
  description = "The Function App's default host key, which FISO sends as x-functions-key. Keep it out of logs."
  value       = data.azurerm_function_app_host_keys.this.default_function_key
  sensitive   = true
}

output "function_url" {
  description = "HTTPS URL of the sample function (it answers 401 without the key)."
  value       = local.function_url
}

output "function_app_name" {
  description = "Name of the Function App."
  value       = azurerm_linux_function_app.this.name
}

output "resource_group_name" {
  description = "Resource group holding everything this module created."
  value       = azurerm_resource_group.this.name
}
