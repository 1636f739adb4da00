# A root calling a local module three levels deep (platform → service → roles). The roles' names come
# from a variable default (`audit`), from terraform.tfvars (`reader`), and from a local interpolation of
# variables (`api`).
variable "team" {
  type    = string
  default = "data"
}

variable "env" {
  type    = string
  default = "dev"
}

variable "reader" {
  type = string
}

locals {
  prefix = "${var.team}-${var.env}"
}

module "platform" {
  source      = "./modules/platform"
  prefix      = local.prefix
  reader_name = var.reader
}
