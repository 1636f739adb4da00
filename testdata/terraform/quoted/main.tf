resource "aws_iam_user" "ci" {
  name_prefix = "ci-"
}

resource "aws_iam_user_policy" "ci" {
  name   = "ci"
  user   = aws_iam_user.ci.name
  policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ecr:Get*\", \"ecr:\\u0042atch*\"], \"Resource\": \"arn:aws:ecr:*:${var.account}:repository/*\"}]\n}"
}

resource "aws_iam_group" "ops" {
  name = "ops"
}

resource "aws_iam_group_policy" "ops" {
  group  = aws_iam_group.ops.name
  policy = "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"ec2:Describe*\", \"Resource\": \"*\"}}"
}

resource "aws_iam_user_group_membership" "alice" {
  user   = "alice"
  groups = [aws_iam_group.ops.name]
}
