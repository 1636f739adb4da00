# `override_policy_documents`: a statement of the override with the sid of one of this document's
# replaces it, so the replaced statement is never deployed.
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }

  statement {
    sid       = "Write"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["*"]
  }

  override_policy_documents = [data.aws_iam_policy_document.narrower.json]
}

data "aws_iam_policy_document" "narrower" {
  statement {
    sid       = "Write"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::uploads/*"]
  }
}

resource "aws_iam_role_policy" "app" {
  role   = aws_iam_role.app.name
  policy = data.aws_iam_policy_document.base.json
}
