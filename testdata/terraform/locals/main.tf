locals {
  prefix       = "svc"
  role_name    = "${local.prefix}-runner"
  read_actions = ["s3:GetObject", "s3:ListBucket"]
  one_action   = "sqs:ReceiveMessage"
  shared       = ["kms:Decrypt"]
  policy_doc = jsonencode({
    Statement = [{ Effect = "Allow", Action = local.shared, Resource = "*" }]
  })
}

variable "extra" {
  default = ["sns:Publish"]
}

resource "aws_iam_role" "runner" {
  name               = local.role_name
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "runner" {
  role = aws_iam_role.runner.name
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = local.read_actions, Resource = "*" },
      { Effect = "Allow", Action = [local.one_action, "sqs:DeleteMessage"], Resource = "*" },
      { Effect = "Allow", Action = var.extra, Resource = "*" },
      { Effect = "Allow", Action = local.shared, Resource = "*" },
    ]
  })
}

resource "aws_iam_role_policy" "from_local" {
  role   = aws_iam_role.runner.name
  policy = local.policy_doc
}
