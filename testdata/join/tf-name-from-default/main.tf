# `env` defaults to "dev", but `deploy/prod.tfvars` applies the same module again, in the same
# account, as `app-prod`, which reads the objects `app-dev` never read. A name computed from a
# variable's default is the name of one deployment at most: the findings of `app-dev` alone must not
# narrow the policy.
variable "env" {
  type    = string
  default = "dev"
}

resource "aws_iam_role" "app" {
  name               = "app-${var.env}"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "*"
    }]
  })
}
