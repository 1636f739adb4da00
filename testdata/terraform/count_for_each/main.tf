resource "aws_iam_role" "per_env" {
  for_each           = toset(["dev", "prod"])
  name               = "app-${each.key}"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "numbered" {
  count              = 2
  name               = "worker-${count.index}"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "computed" {
  count              = length(var.names)
  name               = var.names[count.index]
  assume_role_policy = "{}"
}

resource "aws_iam_role" "optional" {
  count              = var.create ? 1 : 0
  name               = "optional"
  assume_role_policy = "{}"
}

resource "aws_iam_policy" "shared" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["cloudwatch:Put*"], Resource = "*" }]
  })
}

resource "aws_iam_role_policy_attachment" "per_env" {
  for_each   = aws_iam_role.per_env
  role       = each.value.name
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_role_policy_attachment" "numbered" {
  count      = 2
  role       = aws_iam_role.numbered[count.index].name
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_role_policy" "optional" {
  count = var.create ? 1 : 0
  role  = aws_iam_role.optional[0].id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "xray:Put*", Resource = "*" }]
  })
}

resource "aws_iam_role_policy" "computed" {
  role = aws_iam_role.computed[0].id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
  })
}

resource "aws_iam_role_policy" "by_key" {
  for_each = { a = "team-a", b = "team-b" }
  role     = each.value
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "ssm:GetParameter*", Resource = "*" }]
  })
}
