variable "prefix" {
  type = string
}

variable "reader_name" {
  type = string
}

module "service" {
  source      = "../service"
  prefix      = var.prefix
  reader_name = var.reader_name
}
