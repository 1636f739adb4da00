resource "aws_iam_role" "reader" {
  name               = "reader"
  assume_role_policy = file("${path.module}/policies/trust.json")
}

resource "aws_iam_role_policy" "reader" {
  role   = "reader"
  policy = file("${path.module}/policies/read.json")
}

resource "aws_iam_policy" "templated" {
  policy = templatefile("policies/write.json.tpl", { bucket = "b" })
}

resource "aws_iam_policy" "escape" {
  policy = file("../../../outside.json")
}

resource "aws_lambda_function" "f" {
  filename = file("${path.module}/not-there.zip")
}
