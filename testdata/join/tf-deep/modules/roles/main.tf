variable "prefix" {
  type = string
}

variable "reader_name" {
  type = string
}

variable "audit_name" {
  type    = string
  default = "audit-role"
}

resource "aws_iam_role" "audit" {
  name               = var.audit_name
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "audit" {
  role = aws_iam_role.audit.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role" "reader" {
  name               = var.reader_name
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "reader" {
  role = aws_iam_role.reader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:Scan"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role" "api" {
  name               = "${var.prefix}-api"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "api" {
  role = aws_iam_role.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:SendMessage", "sqs:DeleteQueue"]
      Resource = "*"
    }]
  })
}
