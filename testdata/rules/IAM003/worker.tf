resource "aws_iam_role" "worker" {
  name               = "WorkerRole"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "worker" {
  statement {
    actions = [
      "sqs:SendMessage",
      "dynamodb:Query",
      "sqs:ReceiveMessage",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "worker" {
  name   = "worker"
  role   = aws_iam_role.worker.name
  policy = data.aws_iam_policy_document.worker.json
}
