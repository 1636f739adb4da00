resource "aws_iam_role" "seed" {
  name               = "SeedRole"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "seed" {
  name   = "seed"
  role   = aws_iam_role.seed.id
  policy = file("${path.module}/seed-policy.json")
}
