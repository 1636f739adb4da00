resource "aws_iam_policy" "heredoc" {
  policy = <<EOF
{"Statement": [{"Effect": "Allow" "Action": "s3:*"}]}
EOF
}
