# The data pipeline: a role, its inline policy, and a managed policy attached to it.

resource "aws_iam_role" "pipeline" {
  name = "DataPipelineRole"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "read" {
  name = "read"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadData"
        Effect   = "Allow"
        Action   = ["s3:Get*", "s3:List*"]
        Resource = "*"
      },
    ]
  })
}

# iamprune:ignore IAM001 reason="deploys run from this role next quarter"
data "aws_iam_policy_document" "deploy" {
  statement {
    sid = "Deploy"
    actions = [
      "lambda:CreateFunction",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:GetFunction",
      "lambda:InvokeFunction",
    ]
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:pipeline-*"]
  }
}

resource "aws_iam_policy" "deploy" {
  name   = "pipeline-deploy"
  policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.pipeline.name
  policy_arn = aws_iam_policy.deploy.arn
}
