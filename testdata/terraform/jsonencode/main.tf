variable "extra_action" {
  default = "sqs:SendMessage"
}

resource "aws_iam_role" "app" {
  name               = "app-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "app" {
  name = "app"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Read"
        Effect = "Allow"
        Action = ["s3:Get*", "s3:List*"] # trailing comment
        Resource = "*"
      },
      {
        "Effect" : "Allow",
        "Action" : [var.extra_action, "sns:${var.topic_verb}", lower("KMS:Decrypt")],
        "Resource" : aws_sqs_queue.q.arn
      },
    ]
  })
}

resource "aws_iam_policy" "deny" {
  name = "deny-all-but"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = {
      Effect    = "Deny"
      NotAction = ["iam:*"]
      Resource  = "*"
    }
  })
}

resource "aws_iam_role" "inline" {
  name_prefix        = "inline-"
  assume_role_policy = data.aws_iam_policy_document.trust.json

  inline_policy {
    name = "inline"
    policy = jsonencode({
      Statement = [{ Effect = "Allow", Action = ["ec2:Describe*", "ec2:Get*"], Resource = "*" }]
    })
  }
}
