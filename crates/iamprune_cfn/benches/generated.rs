//! Generated CloudFormation templates for the benchmarks: `roles` roles, each with a trust policy and an
//! inline policy whose actions the benchmarks' findings name (`sqs:*`, `dynamodb:PutItem`). Shared by
//! this crate's `extract` benchmark and the server's `typing` benchmark (through `#[path]`); each uses
//! what it needs.
#![allow(dead_code)]

use std::fmt::Write as _;

pub fn yaml_template(roles: usize) -> String {
    let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n");
    for i in 0..roles {
        let _ = write!(
            out,
            r#"  Role{i:05}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role-{i:05}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{ Service: lambda.amazonaws.com }}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: Data{i:05}
                Effect: Allow
                Action:
                  - s3:GetObject
                  - dynamodb:PutItem
                  - sqs:*
                Resource: "*"
              - Sid: Logs
                Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents, logs:Describe*]
                Resource: !Sub "arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:*"
"#
        );
    }
    out
}

pub fn json_template(roles: usize) -> String {
    let resources: Vec<String> = (0..roles)
        .map(|i| {
            format!(
                r#""Role{i:05}": {{"Type": "AWS::IAM::Role", "Properties": {{"RoleName": "app-role-{i:05}",
  "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}},
  "Policies": [{{"PolicyName": "app", "PolicyDocument": {{"Version": "2012-10-17", "Statement": [
    {{"Sid": "Data{i:05}", "Effect": "Allow", "Action": ["s3:GetObject", "dynamodb:PutItem", "sqs:*"], "Resource": "*"}},
    {{"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:Describe*"], "Resource": {{"Fn::Sub": "arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:*"}}}}]}}}}]}}}}"#
            )
        })
        .collect();
    format!(
        "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\n{}\n}}}}\n",
        resources.join(",\n")
    )
}
