# `actions = ["*"]` in a policy document becomes `not_actions`, listing what the role never used.
data "aws_iam_policy_document" "break_glass_extra" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "break_glass_extra" {
  name   = "break-glass-extra"
  role   = aws_iam_role.break_glass.id
  policy = data.aws_iam_policy_document.break_glass_extra.json
}
