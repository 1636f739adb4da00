module "app" {
  source    = "./modules/app"
  role_name = "from-root"
}

module "batch" {
  source    = "./modules/app"
  role_name = "batch-${var.env}"
}
