# A managed policy attached to `app` whose ARN is a module output: whoever reads it may attach the
# policy to roles this module does not know.
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

output "shared_policy_arn" {
  value = aws_iam_policy.shared.arn
}
