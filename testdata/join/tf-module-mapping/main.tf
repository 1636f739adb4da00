# The role's name comes from a variable without a default (set per environment at apply time): the
# source cannot name it, and only a mapping in iamprune.toml ties the findings to it.
variable "environment" {
  type = string
}

module "app" {
  source = "./modules/app"
  name   = "app-${var.environment}"
}
