resource "aws_iam_policy" "plain" {
  name   = "plain"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["dynamodb:Get*", "dynamodb:Query"],
      "Resource": "${aws_dynamodb_table.t.arn}"
    }
  ]
}
EOF
}

resource "aws_iam_policy" "indented" {
  name = "indented"
  policy = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": [
            "logs:Create*",
            ${jsonencode(var.more_actions)},
            "logs:Put*"
          ],
          "Resource": "arn:aws:logs:*:*:log-group:$${literal}:*"
        }
      ]
    }
  POLICY
}

resource "aws_iam_role" "worker" {
  name = "worker"
  assume_role_policy = <<-EOT
  {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
  EOT
}

resource "aws_iam_role_policy_attachment" "worker_plain" {
  role       = aws_iam_role.worker.name
  policy_arn = aws_iam_policy.plain.arn
}

resource "aws_iam_policy_attachment" "indented" {
  name       = "indented"
  roles      = [aws_iam_role.worker.name, "external-role"]
  users      = ["deployer"]
  policy_arn = aws_iam_policy.indented.arn
}
