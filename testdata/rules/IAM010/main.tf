resource "aws_iam_role" "uploader" {
  name               = "UploaderRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy" "uploader" {
  name = "uploader"
  role = aws_iam_role.uploader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObjekt", "s3:PutObjectAcl"]
        Resource = "arn:aws:s3:::example-uploads/*"
      },
      {
        Effect   = "Allow"
        Action   = "lamda:InvokeFunction"
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "uploader_extra" {
  statement {
    actions = [
      "GetObject",
      "dynamodb:PutItem",
      "dynamodb:Query*Items",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "uploader_extra" {
  name   = "uploader-extra"
  role   = aws_iam_role.uploader.id
  policy = data.aws_iam_policy_document.uploader_extra.json
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}
