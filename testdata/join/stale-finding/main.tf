# Two exports of one finding (copied from testdata/findings/stale/superseded): the newer one no longer
# lists s3, so its object reads were used since; only what the newer one lists may go.
resource "aws_iam_role" "reporting" {
  name               = "ReportingRole"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "reporting" {
  role = aws_iam_role.reporting.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "dynamodb:Scan", "dynamodb:GetItem"]
      Resource = "*"
    }]
  })
}
