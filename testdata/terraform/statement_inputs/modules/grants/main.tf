# Actions given as map keys: the call holds no list an edit could change, so they are undecidable;
# what the elements hold (the resource) is read as for any statement passed in.
variable "grants" {
  type = map(object({
    resource = string
  }))
  default = {}
}

resource "aws_iam_role" "granted" {
  name               = "granted"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "granted" {
  role = aws_iam_role.granted.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for action, grant in var.grants : { Effect = "Allow", Action = action, Resource = grant.resource }]
  })
}
