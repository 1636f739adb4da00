# One document feeding a role policy and a service control policy: the SCP is declared last, and the
# role's findings must not narrow a ceiling of the whole organization.
data "aws_iam_policy_document" "shared" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.shared.json
}

resource "aws_organizations_policy" "guardrail" {
  name    = "guardrail"
  content = data.aws_iam_policy_document.shared.json
}
