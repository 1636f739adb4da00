module "api" {
  source = "./modules/lambda-like"

  function_name = "api"
  policy_statements = {
    "dynamodb-read" = {
      actions   = ["dynamodb:GetItem", "dynamodb:Query"]
      resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]
    }
    deny_delete = {
      effect      = "Deny"
      not_actions = ["s3:GetObject"]
      resources   = ["*"]
    }
    from_local = local.extra_statement
  }
}

module "worker" {
  source = "./modules/lambda-like"

  function_name     = "worker"
  policy_statements = var.worker_statements
}

module "shared" {
  source = "./modules/shared"

  statements = [
    { actions = ["sqs:SendMessage"], resources = ["*"] },
  ]
}

variable "worker_statements" {
  type    = any
  default = {}
}

locals {
  extra_statement = {
    actions   = ["logs:PutLogEvents"]
    resources = ["*"]
  }
}

module "guardrails" {
  source = "./modules/deny-default"

  rules = [
    { effect = null, actions = ["s3:DeleteBucket"] },
  ]
}

module "grants" {
  source = "./modules/grants"

  grants = {
    "s3:GetObject" = { resource = "*" }
  }
}
