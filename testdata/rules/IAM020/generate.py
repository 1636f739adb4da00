#!/usr/bin/env python3
"""Writes the IAM020 fixtures from the embedded action catalog.

Run from the repository root: python3 testdata/rules/IAM020/generate.py
The output is committed; run this again only to change the fixtures.

- readonly.json: a CloudFormation managed policy listing every `ec2:Describe*` and `rds:Describe*`
  action, over the 6,144-character managed-policy quota as written.
- main.tf: a Terraform managed policy over the quota as written (`support_read`), and an `Action = "*"`
  managed policy (`admin`) under the quota whose fix, a NotAction list of every unused action, would be
  over it.
- findings.json: the role `admin` is attached to left every `ec2:Create*` and `ec2:Delete*` action unused.
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOG = HERE.parents[2] / "crates/iamprune_catalog/data/catalog.tsv"


def actions(service, prefix=""):
    out = []
    for line in CATALOG.read_text().splitlines():
        if line.startswith("#") or line.startswith("service\t"):
            continue
        svc, action, _level = line.split("\t")
        if svc == service and action.startswith(prefix):
            out.append(f"{svc}:{action}")
    return sorted(out)


def compact_size(document):
    return len(json.dumps(document, separators=(",", ":")))


def write_readonly():
    statements = [
        {"Sid": "Ec2Inventory", "Effect": "Allow", "Action": actions("ec2", "Describe"), "Resource": "*"},
        {"Sid": "RdsInventory", "Effect": "Allow", "Action": actions("rds", "Describe"), "Resource": "*"},
    ]
    document = {"Version": "2012-10-17", "Statement": statements}
    assert compact_size(document) > 6144
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Inventory reader with every Describe action spelled out",
        "Resources": {
            "InventoryReadPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": "InventoryReadPolicy",
                    "PolicyDocument": document,
                },
            }
        },
    }
    (HERE / "readonly.json").write_text(json.dumps(template, indent=2) + "\n")


def hcl_list(items, indent):
    pad = " " * indent
    return "[\n" + "".join(f'{pad}  "{item}",\n' for item in items) + f"{pad}]"


def write_terraform():
    support = [
        ("Scaling", actions("autoscaling", "Describe")),
        ("LoadBalancing", actions("elasticloadbalancing", "Describe")),
        ("Containers", actions("ecs", "Describe") + actions("ecs", "List")),
        ("Kubernetes", actions("eks", "Describe") + actions("eks", "List")),
        ("Identity", actions("iam", "Get") + actions("iam", "List")),
        ("Buckets", actions("s3", "GetBucket")),
    ]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Action": a, "Resource": "*"} for sid, a in support],
    }
    assert compact_size(document) > 6144, compact_size(document)
    statements = "".join(
        f"""      {{
        Sid    = "{sid}"
        Effect = "Allow"
        Action = {hcl_list(a, 8)}
        Resource = "*"
      }},
"""
        for sid, a in support
    )
    text = f"""resource "aws_iam_role" "support" {{
  name               = "SupportReadRole"
  assume_role_policy = data.aws_iam_policy_document.account_trust.json
}}

resource "aws_iam_policy" "support_read" {{
  name = "SupportReadPolicy"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
{statements}    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "support_read" {{
  role       = aws_iam_role.support.name
  policy_arn = aws_iam_policy.support_read.arn
}}

resource "aws_iam_role" "admin" {{
  name               = "BreakGlassAdminRole"
  assume_role_policy = data.aws_iam_policy_document.account_trust.json
}}

resource "aws_iam_policy" "admin" {{
  name = "BreakGlassAdminPolicy"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Effect   = "Allow"
        Action   = "*"
        Resource = "*"
      }},
    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "admin" {{
  role       = aws_iam_role.admin.name
  policy_arn = aws_iam_policy.admin.arn
}}

data "aws_iam_policy_document" "account_trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }}
  }}
}}
"""
    (HERE / "main.tf").write_text(text)


def write_findings():
    unused = {}
    for service, prefix in [("ec2", "Create"), ("ec2", "Delete")]:
        unused.setdefault(service, []).extend(a.split(":", 1)[1] for a in actions(service, prefix))
    finding = {
        "analyzedAt": "2026-09-20T08:14:02.118000+00:00",
        "createdAt": "2026-08-03T17:45:31+00:00",
        "error": None,
        "id": "0b6f2d4e-5a1c-4e8b-9c3d-7f2a1e0d9c88",
        "resource": "arn:aws:iam::123456789012:role/BreakGlassAdminRole",
        "resourceType": "AWS::IAM::Role",
        "resourceOwnerAccount": "123456789012",
        "status": "ACTIVE",
        "updatedAt": "2026-09-20T08:14:03+00:00",
        "findingType": "UnusedPermission",
        "findingDetails": [
            {
                "unusedPermissionDetails": {
                    "serviceNamespace": service,
                    "actions": [{"action": a} for a in names],
                    "lastAccessed": "2026-06-30T11:02:45+00:00",
                }
            }
            for service, names in unused.items()
        ],
    }
    (HERE / "findings.json").write_text(json.dumps(finding, indent=4) + "\n")


write_readonly()
write_terraform()
write_findings()
