resource "aws_iam_policy" "ok" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:Get*", Resource = "*" }] })
}
