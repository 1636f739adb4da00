resource "aws_iam_policy" "bad" {
  policy = jsonencode({ Statement = [
}
