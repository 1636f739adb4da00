variable "role_name" {
  default = "default-name"
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "this" {
  statement {
    actions   = ["dynamodb:*"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
