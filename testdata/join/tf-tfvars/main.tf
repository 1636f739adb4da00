# `var.extra_action` defaults to an action `app` never used, but terraform.tfvars deploys it as one it
# does use: an action that comes from a variable is never removed.
variable "extra_action" {
  type    = string
  default = "s3:GetObject"
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject", var.extra_action]
      Resource = "*"
    }]
  })
}
