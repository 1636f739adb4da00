resource "aws_iam_role" "archiver" {
  name               = "ArchiverRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "archiver" {
  // Writes the monthly archive.
  statement {
    actions = [
      "glacier:UploadArchive",        // the archive itself
      "glacier:InitiateMultipartUpload",
      "glacier:DeleteArchive",        // retention is a vault lock now
    ]
    resources = ["*"]
  }

  statement {
    actions   = ["glacier:DeleteVault"] # one-off migration
    resources = ["*"]
  }

  # Inventory for the audit report.
  statement {
    actions   = ["glacier:DescribeVault", "glacier:ListVaults"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "archiver" {
  name   = "archiver"
  role   = aws_iam_role.archiver.id
  policy = data.aws_iam_policy_document.archiver.json
}
