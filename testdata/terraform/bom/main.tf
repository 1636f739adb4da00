resource "aws_iam_policy" "bom" {
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:Get*"], Resource = "*" }] })
}
