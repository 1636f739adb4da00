extra_action = "s3:PutObject"
