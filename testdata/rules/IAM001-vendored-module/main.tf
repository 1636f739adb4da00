# A registry module that `terraform init` vendored: its statements are followed into
# .terraform/modules and fixed here, where they are written.
module "billing_role" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role"
  version = "6.2.1"

  name = "billing"
  inline_policy_permissions = {
    Invoices = {
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["arn:aws:s3:::example-invoices/*"]
    }
  }
}

# A module whose code is not here: its statements are checked against the catalog, and the note
# says why they are not narrowed.
module "audit_role" {
  source = "git::https://git.example.com/platform/iam-modules.git//role?ref=v2.0.0"

  name = "audit"
  policy_statements = [
    {
      effect    = "Allow"
      actions   = ["cloudtrail:LookupEvents", "cloudtrail:LookupEvent"]
      resources = ["*"]
    },
  ]
}

# A wrapper `terraform init` vendored, which passes the statements on to a module of its own:
# statements are followed one module call deep, so these are checked against the catalog and the
# note says why they are not narrowed.
module "report_role" {
  source  = "app.terraform.io/example/wrapped-role/aws"
  version = "1.0.0"

  name = "report"
  permissions = {
    Reports = {
      actions   = ["s3:GetObject", "s3:GetObjekt"]
      resources = ["arn:aws:s3:::example-reports/*"]
    }
  }
}
