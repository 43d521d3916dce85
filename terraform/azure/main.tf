data "azurerm_client_config" "current" {}

locals {
  package_path = coalesce(var.package_path, "${path.module}/../../dist/azure/sample.zip")
  tags         = merge(var.tags, { "fiso:workload" = "true" })

  # Storage account and Function App names are global; a suffix derived from
  # the subscription, region and name keeps them unique and stable.
  suffix            = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.region}/${var.name}"), 0, 8)
  function_app_name = coalesce(var.function_name, "fiso-workload-${var.name}-${local.suffix}")
  storage_name      = "fiso${substr(replace(var.name, "-", ""), 0, 12)}${local.suffix}"

  # The sample's HTTP trigger: route "sample" under the default "api" prefix
  # (functions/samples/azure/sample/function.json).
  function_url = "https://${azurerm_linux_function_app.this.default_hostname}/api/sample"
}

resource "azurerm_resource_group" "this" {
  name     = "rg-fiso-workload-${var.name}-${var.region}"
  location = var.region
  tags     = local.tags
}

resource "azurerm_storage_account" "this" {
  name                            = local.storage_name
  resource_group_name             = azurerm_resource_group.this.name
  location                        = azurerm_resource_group.this.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  tags                            = local.tags
}

# The package is a private blob named by its content hash: a new build is a
# new blob and a new WEBSITE_RUN_FROM_PACKAGE URL, which restarts the app on
# the new code.
resource "azurerm_storage_container" "packages" {
  name                  = "function-packages"
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_storage_blob" "package" {
  name                   = "sample-${filemd5(local.package_path)}.zip"
  storage_account_name   = azurerm_storage_account.this.name
  storage_container_name = azurerm_storage_container.packages.name
  type                   = "Block"
  source                 = local.package_path
  content_md5            = filemd5(local.package_path)
  content_type           = "application/zip"
}

# The app reads its package with this identity, so no SAS token (which would
# expire, and sit in the app settings) is needed. It exists, with its role,
# before the app does, so that the app's first start can fetch the package.
resource "azurerm_user_assigned_identity" "package_reader" {
  name                = "${local.function_app_name}-package-reader"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  tags                = local.tags
}

resource "azurerm_role_assignment" "package_reader" {
  scope                = azurerm_storage_container.packages.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_user_assigned_identity.package_reader.principal_id
  principal_type       = "ServicePrincipal"
}

# Consumption (Y1) plan on Linux. Flex Consumption would be the newer plan,
# but azurerm's zip_deploy_file posts to /api/zipdeploy, which Flex does not
# serve (see README.md); on Linux Consumption the documented way to run a
# package is WEBSITE_RUN_FROM_PACKAGE set to its URL.
resource "azurerm_service_plan" "this" {
  name                = "${local.function_app_name}-plan"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  os_type             = "Linux"
  sku_name            = "Y1"
  tags                = local.tags
}

resource "azurerm_linux_function_app" "this" {
  name                = local.function_app_name
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  service_plan_id     = azurerm_service_plan.this.id

  storage_account_name       = azurerm_storage_account.this.name
  storage_account_access_key = azurerm_storage_account.this.primary_access_key

  https_only                                     = true
  builtin_logging_enabled                        = false
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.package_reader.id]
  }

  site_config {
    ftps_state = "Disabled"

    application_stack {
      use_custom_runtime = true
    }
  }

  app_settings = {
    WEBSITE_RUN_FROM_PACKAGE                     = azurerm_storage_blob.package.url
    WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID = azurerm_user_assigned_identity.package_reader.id
    # Overrides host.json's functionTimeout (hh:mm:ss).
    AzureFunctionsJobHost__functionTimeout = format("00:%02d:%02d", floor(var.timeout_seconds / 60), var.timeout_seconds % 60)
  }

  tags = local.tags

  depends_on = [azurerm_role_assignment.package_reader]
}

# The host's default function key: FISO sends it as x-functions-key. It is
# read after the app exists, so the first apply waits for the host to start.
data "azurerm_function_app_host_keys" "this" {
  name                = azurerm_linux_function_app.this.name
  resource_group_name = azurerm_resource_group.this.name
}
