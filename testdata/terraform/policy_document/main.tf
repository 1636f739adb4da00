data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:Get*", "s3:ListBucket"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "combined" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [file("${path.module}/override.json")]

  statement {
    effect      = "Allow"
    not_actions = ["iam:*", "organizations:*"]
    resources   = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = ["eu-west-1"]
    }
  }

  dynamic "statement" {
    for_each = var.extra_statements
    content {
      actions   = statement.value.actions
      resources = ["*"]
    }
  }
}

data "aws_iam_policy_document" "queue" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.q.arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "unused" {
  statement {
    actions   = ["ec2:*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "combined" {
  name   = "combined"
  policy = data.aws_iam_policy_document.combined.json
}

resource "aws_iam_group" "devs" {
  name = "devs"
}

resource "aws_iam_group_policy_attachment" "devs" {
  group      = aws_iam_group.devs.name
  policy_arn = aws_iam_policy.combined.arn
}

resource "aws_iam_group_membership" "devs" {
  name  = "devs"
  group = aws_iam_group.devs.name
  users = ["bob", "carol"]
}

resource "aws_iam_role" "svc" {
  name                = "svc"
  assume_role_policy  = data.aws_iam_policy_document.trust.json
  managed_policy_arns = [aws_iam_policy.combined.arn]
}

resource "aws_sqs_queue_policy" "q" {
  queue_url = aws_sqs_queue.q.id
  policy    = data.aws_iam_policy_document.queue.json
}

module "remote" {
  source = "terraform-aws-modules/iam/aws//modules/iam-policy"
  policy = data.aws_iam_policy_document.base.json
}
