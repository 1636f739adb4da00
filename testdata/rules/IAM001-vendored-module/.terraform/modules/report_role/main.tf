# A wrapper module as `terraform init` vendors it: it hands its callers' statements to the iam-role
# module (whose copy the manifest shares with the root's own call of it).
variable "name" {
  type = string
}

variable "permissions" {
  type    = any
  default = null
}

module "role" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role"
  version = "6.2.1"

  name                      = var.name
  inline_policy_permissions = var.permissions
}
