# The orders API, its policy in jsonencode.

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
        Sid    = "OrdersTable"
        Effect = "Allow"
        Action = [
          "dynamodb:GetItem",
          "dynamodb:DeleteItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
        ]
        Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"
      },
      {
        Sid      = "DeadLetters"
        Effect   = "Allow"
        Action   = "sqs:PurgeQueue"
        Resource = "arn:aws:sqs:eu-west-1:123456789012:orders-dlq"
      },
      {
        Sid      = "Events"
        Effect   = "Allow"
        Action   = ["events:PutEvents", "events:DescribeRule"]
        Resource = "*"
      },
    ]
  })
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
