resource "aws_iam_role" "worker" {
  name               = "WorkerRole"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "read" {
  name   = "read"
  role   = aws_iam_role.worker.id
  policy = file("${path.module}/../policies/read.json")
}
