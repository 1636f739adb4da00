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

# Overrides that cannot all be read: a document made with `dynamic "statement"`, one whose sid is an
# expression, and a document given through a variable. Each is noted: which statements here they
# replace is not known.
variable "extra_override" {
  type    = string
  default = "{}"
}

variable "audit_sid" {
  type    = string
  default = "Audit"
}

data "aws_iam_policy_document" "mixed" {
  statement {
    sid       = "Audit"
    actions   = ["cloudtrail:LookupEvents"]
    resources = ["*"]
  }

  override_policy_documents = [
    data.aws_iam_policy_document.generated.json,
    data.aws_iam_policy_document.named.json,
    var.extra_override,
  ]
}

data "aws_iam_policy_document" "generated" {
  dynamic "statement" {
    for_each = ["logs:GetLogEvents"]
    content {
      actions   = [statement.value]
      resources = ["*"]
    }
  }
}

data "aws_iam_policy_document" "named" {
  statement {
    sid       = var.audit_sid
    actions   = ["cloudtrail:LookupEvents"]
    resources = ["arn:aws:cloudtrail:us-east-1:123456789012:trail/main"]
  }
}

resource "aws_iam_role_policy" "mixed" {
  role   = aws_iam_role.app.name
  policy = data.aws_iam_policy_document.mixed.json
}
