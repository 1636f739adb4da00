import { Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

// The app the assembly in cdk.out was synthesized from (abridged).
export class SeedStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const role = new iam.Role(this, 'SeedRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(new iam.PolicyStatement({
      actions: [
        'lambda:AddPermission',
        'lambda:GetFunctionConfiguration',
        'lambda:UpdateFunctionConfiguration',
        'lambda:UpdateFunctionCode',
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:ListVersionsByFunction',
        'lambda:GetFunction',
        'lambda:Invoke*',
      ],
      resources: ['arn:aws:lambda:us-east-1:123456789012:function:my-lambda'],
    }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:Get*', 's3:List*'], resources: ['*'] }));
    // Written a second time, so iamprune cannot tell which line made the template's entry.
    const alsoDelete = 'lambda:DeleteFunction';
    void alsoDelete;
  }
}
