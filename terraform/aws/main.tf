locals {
  function_name = coalesce(var.function_name, "fiso-workload-${var.name}")
  package_path  = coalesce(var.package_path, "${path.module}/../../dist/lambda/sample.zip")
  # fiso:workload is the tag the control plane's lambda:InvokeFunction
  # permission is conditioned on; it wins over a caller-supplied value.
  tags = merge(var.tags, { "fiso:workload" = "true" })
}

# Created before the function so that Lambda never creates it itself without
# a retention period.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${local.function_name}-role"
  description        = "Execution role of ${local.function_name}: writes its own logs, nothing else."
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

# Narrower than AWSLambdaBasicExecutionRole: only this function's log group,
# which exists already, so no logs:CreateLogGroup.
data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "write-own-logs"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_lambda_function" "this" {
  function_name    = local.function_name
  description      = "FISO sample workload (${var.name})"
  role             = aws_iam_role.this.arn
  filename         = local.package_path
  source_code_hash = filebase64sha256(local.package_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  memory_size      = var.memory_mb
  timeout          = var.timeout_seconds
  tags             = local.tags

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.logs]
}
