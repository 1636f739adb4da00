# The shape of terraform-aws-modules/lambda: `try` around every attribute, an `iterator`, and a `for`
# that re-keys the map.
variable "function_name" {
  type = string
}

variable "policy_statements" {
  type    = any
  default = {}
}

resource "aws_iam_role" "lambda" {
  name               = var.function_name
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "additional_inline" {
  dynamic "statement" {
    for_each = { for k, v in var.policy_statements : k => v }
    iterator = s

    content {
      sid           = try(s.value.sid, replace(s.key, "/[^0-9A-Za-z]*/", ""))
      effect        = try(s.value.effect, null)
      actions       = lookup(s.value, "actions", null)
      not_actions   = try(s.value.not_actions, null)
      resources     = try(s.value.resources, null)
      not_resources = try(s.value.not_resources, null)
    }
  }
}

resource "aws_iam_role_policy" "additional_inline" {
  name   = var.function_name
  role   = aws_iam_role.lambda.name
  policy = data.aws_iam_policy_document.additional_inline.json
}
