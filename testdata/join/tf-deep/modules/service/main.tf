variable "prefix" {
  type = string
}

variable "reader_name" {
  type = string
}

module "roles" {
  source      = "../roles"
  prefix      = var.prefix
  reader_name = var.reader_name
}
