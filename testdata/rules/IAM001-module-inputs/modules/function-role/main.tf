# Statements as an input, encoded with a `for` expression.
variable "name" {
  type = string
}

variable "statements" {
  type    = any
  default = []
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "this" {
  name = "statements"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for s in var.statements : {
      Effect   = s.effect
      Action   = s.actions
      Resource = s.resources
    }]
  })
}
