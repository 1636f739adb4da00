# Applied to two accounts (`deploy/`), but the findings come from the analyzer of the first only,
# where `app` never read an object; the `app` of the second may. Findings that name none of the
# principals of an account the source deploys to must not narrow the policy.
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
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "*"
    }]
  })
}
