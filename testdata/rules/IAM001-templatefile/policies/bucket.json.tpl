{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:${verb}", "s3:ListBucket"],
      "Resource": "*"
    }
  ]
}
