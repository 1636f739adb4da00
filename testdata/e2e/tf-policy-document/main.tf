resource "aws_iam_role" "seed" {
  name               = "SeedRole"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "seed" {
  statement {
    actions   = [
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
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:my-lambda"]
  }

  statement {
    actions   = ["s3:Get*", "s3:List*"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "seed" {
  name   = "seed"
  role   = aws_iam_role.seed.name
  policy = data.aws_iam_policy_document.seed.json
}
