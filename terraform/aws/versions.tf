terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

# Credentials come from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID and
# friends, SSO, or an instance role): nothing secret is configured here.
provider "aws" {
  region = var.region
}
