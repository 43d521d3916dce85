# fiso_deployment is what `fiso deployments import` reads: the fields of a
# FISO catalog deployment (shared/catalog). FISO invokes the function by ARN
# with its own IAM role, so no credential output is needed.
output "fiso_deployment" {
  description = "The deployment to register with FISO (fiso deployments import)."
  value = {
    provider  = "aws"
    region    = var.region
    target    = aws_lambda_function.this.arn
    memory_mb = var.memory_mb
    arch      = "arm64"
    plan      = "lambda"
  }
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function, the target FISO invokes."
  value       = aws_lambda_function.this.arn
}

output "log_group_name" {
  description = "CloudWatch Logs group of the function."
  value       = aws_cloudwatch_log_group.this.name
}
