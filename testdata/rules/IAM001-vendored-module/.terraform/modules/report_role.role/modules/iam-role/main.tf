# A trimmed copy of the iam-role module as `terraform init` vendors it (the shape of
# terraform-aws-modules/iam's iam-role: statements as an input, made by `dynamic "statement"`).
variable "name" {
  type = string
}

variable "inline_policy_permissions" {
  type = map(object({
    sid         = optional(string)
    actions     = optional(list(string))
    not_actions = optional(list(string))
    effect      = optional(string, "Allow")
    resources   = optional(list(string))
  }))
  default = null
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

data "aws_iam_policy_document" "inline" {
  dynamic "statement" {
    for_each = var.inline_policy_permissions != null ? var.inline_policy_permissions : {}

    content {
      sid         = try(coalesce(statement.value.sid, statement.key))
      actions     = statement.value.actions
      not_actions = statement.value.not_actions
      effect      = statement.value.effect
      resources   = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "inline" {
  count = var.inline_policy_permissions != null ? 1 : 0

  name   = "inline"
  role   = aws_iam_role.this.name
  policy = data.aws_iam_policy_document.inline.json
}
