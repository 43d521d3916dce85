terraform {
  required_version = ">= 1.5.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.20"
    }
  }
}

# Credentials come from the environment: `az login` (Azure CLI), or
# ARM_CLIENT_ID with ARM_USE_OIDC / ARM_USE_MSI in CI. The subscription is
# ARM_SUBSCRIPTION_ID (azurerm 4.x requires one). Nothing secret is
# configured here.
provider "azurerm" {
  features {}
}
