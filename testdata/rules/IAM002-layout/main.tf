resource "aws_iam_role" "layout" {
  name               = "LayoutTfRole"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "layout" {
  name = "layout"
  role = aws_iam_role.layout.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:Describe*", "logs:PutLogEvents"] # the shipper
        Resource = "*"
      },
    ]
  })
}
