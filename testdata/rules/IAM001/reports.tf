resource "aws_iam_role" "reports" {
  name               = "ReportsRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "reports" {
  statement {
    sid = "ReadWriteReports"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
    ]
    resources = ["arn:aws:s3:::example-reports/*"]
  }

  statement {
    sid       = "BucketPolicy"
    actions   = ["s3:PutBucketPolicy"]
    resources = ["arn:aws:s3:::example-reports"]
  }

  statement {
    sid       = "Listing"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = ["arn:aws:s3:::example-reports"]
  }
}

resource "aws_iam_role_policy" "reports" {
  name   = "reports"
  role   = aws_iam_role.reports.id
  policy = data.aws_iam_policy_document.reports.json
}
