# A type whose `effect` defaults to Deny: a caller's `effect = null` is a Deny, never narrowed. A local
# named `count` that reads the statements is a use like any other.
variable "rules" {
  type = list(object({
    effect  = optional(string, "Deny")
    actions = list(string)
  }))
  default = []
}

resource "aws_iam_role" "guarded" {
  name               = "guarded"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "guardrails" {
  dynamic "statement" {
    for_each = var.rules
    content {
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "guardrails" {
  role   = aws_iam_role.guarded.name
  policy = data.aws_iam_policy_document.guardrails.json
}

locals {
  count = var.rules
}
