resource "aws_iam_role" "platform_ops" {
  name               = "PlatformOpsRole"
  assume_role_policy = data.aws_iam_policy_document.ops_trust.json
}

resource "aws_iam_role_policy" "platform_ops" {
  name = "platform-ops"
  role = aws_iam_role.platform_ops.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EverythingButIdentity"
        Effect    = "Allow"
        NotAction = [
          "iam:*",
          "organizations:*",
        ]
        Resource = "*"
      },
      {
        Sid       = "NoDirectory"
        Effect    = "Deny"
        NotAction = ["ds:Describe*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_iam_role" "auditor" {
  name               = "AuditorRole"
  assume_role_policy = data.aws_iam_policy_document.ops_trust.json
}

data "aws_iam_policy_document" "auditor" {
  statement {
    effect      = "Allow"
    not_actions = ["iam:*", "sts:*"]
    resources   = ["*"]
  }
}

resource "aws_iam_role_policy" "auditor" {
  name   = "auditor"
  role   = aws_iam_role.auditor.id
  policy = data.aws_iam_policy_document.auditor.json
}

data "aws_iam_policy_document" "ops_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
  }
}
