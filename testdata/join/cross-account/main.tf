# `app` is deployed to two accounts; the organization's analyzer has a finding for it in one of them
# only (in the other it used everything). Without the account this source deploys to, its findings must
# not narrow the policy.
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
