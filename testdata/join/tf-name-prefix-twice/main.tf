# The module is applied twice in one account (two workspaces), so there are two roles
# `app-<26 digits>`. The second used everything it is granted and has no finding; the findings of the
# first must not narrow the policy both of them have.
resource "aws_iam_role" "app" {
  name_prefix        = "app-"
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
