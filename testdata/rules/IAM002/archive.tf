resource "aws_iam_role" "archive" {
  name               = "ArchiveRole"
  assume_role_policy = data.aws_iam_policy_document.ecs_trust.json
}

data "aws_iam_policy_document" "archive" {
  statement {
    sid = "Objects"
    actions = [
      "s3:*Object*",
      "s3:ListBucket",
    ]
    resources = [
      "arn:aws:s3:::example-archive",
      "arn:aws:s3:::example-archive/*",
    ]
  }
}

resource "aws_iam_role_policy" "archive" {
  name   = "archive"
  role   = aws_iam_role.archive.id
  policy = data.aws_iam_policy_document.archive.json
}
