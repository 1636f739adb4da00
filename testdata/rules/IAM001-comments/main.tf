# Comments next to the elements a fix changes must stay with the elements they describe.

resource "aws_iam_role" "reporting" {
  name               = "ReportingRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy" "reporting" {
  name = "reporting"
  role = aws_iam_role.reporting.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "s3:GetObject",    # read the raw exports
          "s3:DeleteObject", # cleanup, moved to a lifecycle rule
          # the nightly job writes the summaries
          "s3:PutObject",
          # public summaries, retired
          "s3:PutObjectAcl",
        ]
        Resource = "arn:aws:s3:::example-reporting/*"
      },
      // The publish step.
      {
        Effect   = "Allow"
        Action   = "s3:PutBucketPolicy" # the old publish step
        Resource = "arn:aws:s3:::example-reporting"
      },
      # Query access for the dashboards.
      {
        Effect   = "Allow"
        Action   = ["athena:Get*"] # dashboards only read results
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}
