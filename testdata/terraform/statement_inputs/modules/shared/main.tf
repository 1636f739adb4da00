# The variable also feeds a second role, so the statements reach more than the document they make.
variable "statements" {
  type    = any
  default = []
}

resource "aws_iam_role" "shared" {
  name               = "shared"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "shared" {
  name = "shared"
  role = aws_iam_role.shared.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for s in var.statements : {
      Effect   = "Allow"
      Action   = s.actions
      Resource = s.resources
    }]
  })
}

output "statements" {
  value = var.statements
}
