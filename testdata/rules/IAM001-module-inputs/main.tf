# Two calls of one local module; only the reader's role has findings, so only its statements change.
module "reader" {
  source = "./modules/role"
  name   = "reader"

  inline_policy_permissions = {
    ReadReports = {
      actions = [
        "s3:GetObject",
        "s3:PutObject",
      ]
      resources = ["arn:aws:s3:::example-reports/*"]
    }
    # The nightly job once queued its work here.
    Queue = {
      actions   = ["sqs:SendMessage"]
      resources = ["*"]
    }
  }
}

module "writer" {
  source = "./modules/role"
  name   = "writer"

  inline_policy_permissions = {
    WriteReports = {
      effect    = "Allow"
      actions   = ["s3:PutObject", "s3:DeleteObject"]
      resources = ["arn:aws:s3:::example-reports/*"]
    }
  }
}

# A module that encodes its statements with a `for`; the statements are a local nothing else reads.
module "thumbnails" {
  source     = "./modules/function-role"
  name       = "thumbnails"
  statements = local.thumbnail_statements
}

locals {
  thumbnail_statements = [
    {
      effect    = "Allow"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["arn:aws:s3:::example-images/*"]
    },
  ]
}
