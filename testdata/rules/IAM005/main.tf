resource "aws_iam_role" "legacy_batch" {
  name               = "LegacyBatchRole"
  assume_role_policy = data.aws_iam_policy_document.batch_trust.json
}

resource "aws_iam_role_policy" "legacy_batch" {
  name = "legacy-batch"
  role = aws_iam_role.legacy_batch.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "arn:aws:s3:::example-batch/*"
      },
    ]
  })
}

resource "aws_iam_role" "nightly_export" {
  name               = "NightlyExportRole"
  assume_role_policy = data.aws_iam_policy_document.batch_trust.json
}

data "aws_iam_policy_document" "nightly_export" {
  statement {
    actions   = ["dynamodb:ExportTableToPointInTime"]
    resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]
  }
}

resource "aws_iam_role_policy" "nightly_export" {
  name   = "nightly-export"
  role   = aws_iam_role.nightly_export.id
  policy = data.aws_iam_policy_document.nightly_export.json
}

data "aws_iam_policy_document" "batch_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["batch.amazonaws.com"]
    }
  }
}
