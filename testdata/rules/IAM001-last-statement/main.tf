# Every statement of a policy unused: the fix is shown, and the policy is left for its owner to delete.

resource "aws_iam_role" "orders_api" {
  name               = "OrdersApiRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy" "orders_api" {
  name = "orders-api"
  role = aws_iam_role.orders_api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:DeleteItem"]
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
      },
    ]
  })
}

resource "aws_iam_role_policy" "orders_api_legacy" {
  name = "orders-api-legacy"
  role = aws_iam_role.orders_api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:DeleteLogGroup", "logs:DeleteLogStream"]
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "cleanup" {
  statement {
    actions   = ["s3:DeleteBucket"]
    resources = ["*"]
  }

  statement {
    actions   = ["s3:DeleteBucketPolicy"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "cleanup" {
  name   = "cleanup"
  role   = aws_iam_role.orders_api.id
  policy = data.aws_iam_policy_document.cleanup.json
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}
