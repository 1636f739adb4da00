resource "aws_iam_role" "site" {
  name               = "SiteRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy" "site" {
  name = "site"
  role = aws_iam_role.site.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "s3:Get*",
          "s3:GetObject",
          "s3:ListBucket",
          "S3:listbucket",
        ]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = ["cloudfront:CreateInvalidation", "cloudfront:createinvalidation"]
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "site_logs" {
  statement {
    actions   = ["logs:PutLogEvents", "logs:*", "logs:CreateLogStream"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "site_logs" {
  name   = "site-logs"
  role   = aws_iam_role.site.id
  policy = data.aws_iam_policy_document.site_logs.json
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
