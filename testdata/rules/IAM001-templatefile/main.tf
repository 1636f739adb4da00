# `templatefile()` with literal variables: the action they complete is known, and fixed in the template.
resource "aws_iam_role" "ingest" {
  name               = "ingest"
  assume_role_policy = file("${path.module}/policies/trust.json")
}

resource "aws_iam_role_policy" "ingest" {
  name = "queue"
  role = aws_iam_role.ingest.id
  policy = templatefile("${path.module}/policies/queue.json.tpl", {
    queue_action = "SendMessage"
    queue_arn    = aws_sqs_queue.jobs.arn
  })
}

resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

# One template rendered with other values by each of two roles: it is not narrowed.
resource "aws_iam_role" "reports" {
  name               = "reports"
  assume_role_policy = file("${path.module}/policies/trust.json")
}

resource "aws_iam_role" "exports" {
  name               = "exports"
  assume_role_policy = file("${path.module}/policies/trust.json")
}

resource "aws_iam_role_policy" "reports" {
  name   = "bucket"
  role   = aws_iam_role.reports.id
  policy = templatefile("${path.module}/policies/bucket.json.tpl", { verb = "GetObject" })
}

resource "aws_iam_role_policy" "exports" {
  name   = "bucket"
  role   = aws_iam_role.exports.id
  policy = templatefile("${path.module}/policies/bucket.json.tpl", { verb = "PutObject" })
}
