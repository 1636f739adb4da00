{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:Put*",
%{ if allow_delete ~}
        "s3:DeleteObject",
%{ endif ~}
        "s3:AbortMultipartUpload"
      ],
      "Resource": "arn:aws:s3:::${bucket}/*"
    }
  ]
}
