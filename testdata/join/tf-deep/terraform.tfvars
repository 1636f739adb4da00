env    = "prod"
reader = "reader-prod"
