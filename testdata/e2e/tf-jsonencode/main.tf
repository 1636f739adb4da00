resource "aws_iam_role" "seed" {
  name               = "SeedRole"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "seed" {
  name = "seed"
  role = aws_iam_role.seed.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = [
          "lambda:AddPermission",
          "lambda:GetFunctionConfiguration",
          "lambda:UpdateFunctionConfiguration",
          "lambda:UpdateFunctionCode",
          "lambda:CreateFunction",
          "lambda:DeleteFunction",
          "lambda:ListVersionsByFunction",
          "lambda:GetFunction",
          "lambda:Invoke*",
        ]
        Resource = "arn:aws:lambda:us-east-1:123456789012:function:my-lambda"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:Get*", "s3:List*"]
        Resource = "*"
      },
    ]
  })
}
