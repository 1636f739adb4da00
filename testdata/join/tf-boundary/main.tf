# One managed policy attached to `app` and used as the permissions boundary of `worker`.
resource "aws_iam_policy" "shared" {
  name = "shared"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_role" "worker" {
  name                 = "worker"
  assume_role_policy   = "{}"
  permissions_boundary = aws_iam_policy.shared.arn
}
