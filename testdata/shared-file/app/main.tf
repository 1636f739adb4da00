resource "aws_iam_role" "app" {
  name               = "AppRole"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "read" {
  name   = "read"
  role   = aws_iam_role.app.id
  policy = file("${path.module}/../policies/read.json")
}
