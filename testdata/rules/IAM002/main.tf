resource "aws_iam_role" "catalog" {
  name               = "CatalogRole"
  assume_role_policy = data.aws_iam_policy_document.ecs_trust.json
}

resource "aws_iam_role_policy" "catalog" {
  name = "catalog"
  role = aws_iam_role.catalog.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Tables"
        Effect   = "Allow"
        Action   = ["dynamodb:Describe*", "dynamodb:Query", "dynamodb:GetItem"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role" "break_glass" {
  name               = "BreakGlassRole"
  assume_role_policy = data.aws_iam_policy_document.ecs_trust.json
}

resource "aws_iam_role_policy" "break_glass" {
  name = "break-glass"
  role = aws_iam_role.break_glass.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "*"
        Resource = "*"
      },
    ]
  })
}

data "aws_iam_policy_document" "ecs_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}
