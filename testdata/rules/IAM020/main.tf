resource "aws_iam_role" "support" {
  name               = "SupportReadRole"
  assume_role_policy = data.aws_iam_policy_document.account_trust.json
}

resource "aws_iam_policy" "support_read" {
  name = "SupportReadPolicy"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Scaling"
        Effect = "Allow"
        Action = [
          "autoscaling:DescribeAccountLimits",
          "autoscaling:DescribeAccountSettings",
          "autoscaling:DescribeAdjustmentTypes",
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeAutoScalingNotificationTypes",
          "autoscaling:DescribeInstanceRefreshes",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeLifecycleHookTypes",
          "autoscaling:DescribeLifecycleHooks",
          "autoscaling:DescribeLoadBalancerTargetGroups",
          "autoscaling:DescribeLoadBalancers",
          "autoscaling:DescribeMetricCollectionTypes",
          "autoscaling:DescribeNotificationConfigurations",
          "autoscaling:DescribePolicies",
          "autoscaling:DescribeScalingActivities",
          "autoscaling:DescribeScalingProcessTypes",
          "autoscaling:DescribeScheduledActions",
          "autoscaling:DescribeTags",
          "autoscaling:DescribeTerminationPolicyTypes",
          "autoscaling:DescribeTrafficSources",
          "autoscaling:DescribeWarmPool",
        ]
        Resource = "*"
      },
      {
        Sid    = "LoadBalancing"
        Effect = "Allow"
        Action = [
          "elasticloadbalancing:DescribeAccountLimits",
          "elasticloadbalancing:DescribeCapacityReservation",
          "elasticloadbalancing:DescribeInstanceHealth",
          "elasticloadbalancing:DescribeListenerAttributes",
          "elasticloadbalancing:DescribeListenerCertificates",
          "elasticloadbalancing:DescribeListeners",
          "elasticloadbalancing:DescribeLoadBalancerAttributes",
          "elasticloadbalancing:DescribeLoadBalancerPolicies",
          "elasticloadbalancing:DescribeLoadBalancerPolicyTypes",
          "elasticloadbalancing:DescribeLoadBalancers",
          "elasticloadbalancing:DescribeRules",
          "elasticloadbalancing:DescribeSSLPolicies",
          "elasticloadbalancing:DescribeTags",
          "elasticloadbalancing:DescribeTargetGroupAttributes",
          "elasticloadbalancing:DescribeTargetGroups",
          "elasticloadbalancing:DescribeTargetHealth",
          "elasticloadbalancing:DescribeTrustStoreAssociations",
          "elasticloadbalancing:DescribeTrustStoreRevocations",
          "elasticloadbalancing:DescribeTrustStores",
          "elasticloadbalancing:DescribeWebACLAssociation",
        ]
        Resource = "*"
      },
      {
        Sid    = "Containers"
        Effect = "Allow"
        Action = [
          "ecs:DescribeCapacityProviders",
          "ecs:DescribeClusters",
          "ecs:DescribeContainerInstances",
          "ecs:DescribeDaemon",
          "ecs:DescribeDaemonDeployments",
          "ecs:DescribeDaemonRevisions",
          "ecs:DescribeDaemonTaskDefinition",
          "ecs:DescribeExpressGatewayService",
          "ecs:DescribeServiceDeployments",
          "ecs:DescribeServiceRevisions",
          "ecs:DescribeServices",
          "ecs:DescribeTaskDefinition",
          "ecs:DescribeTaskSets",
          "ecs:DescribeTasks",
          "ecs:ListAccountSettings",
          "ecs:ListAttributes",
          "ecs:ListClusters",
          "ecs:ListContainerInstances",
          "ecs:ListDaemonDeployments",
          "ecs:ListDaemonTaskDefinitions",
          "ecs:ListDaemons",
          "ecs:ListServiceDeployments",
          "ecs:ListServices",
          "ecs:ListServicesByNamespace",
          "ecs:ListTagsForResource",
          "ecs:ListTaskDefinitionFamilies",
          "ecs:ListTaskDefinitions",
          "ecs:ListTasks",
        ]
        Resource = "*"
      },
      {
        Sid    = "Kubernetes"
        Effect = "Allow"
        Action = [
          "eks:DescribeAccessEntry",
          "eks:DescribeAddon",
          "eks:DescribeAddonConfiguration",
          "eks:DescribeAddonVersions",
          "eks:DescribeCapability",
          "eks:DescribeCertificateAuthority",
          "eks:DescribeCluster",
          "eks:DescribeClusterVersions",
          "eks:DescribeEksAnywhereSubscription",
          "eks:DescribeFargateProfile",
          "eks:DescribeIdentityProviderConfig",
          "eks:DescribeInsight",
          "eks:DescribeInsightsRefresh",
          "eks:DescribeNodegroup",
          "eks:DescribePodIdentityAssociation",
          "eks:DescribeUpdate",
          "eks:ListAccessEntries",
          "eks:ListAccessPolicies",
          "eks:ListAddons",
          "eks:ListAssociatedAccessPolicies",
          "eks:ListCapabilities",
          "eks:ListCertificateAuthorities",
          "eks:ListClusters",
          "eks:ListDashboardData",
          "eks:ListDashboardResources",
          "eks:ListEksAnywhereSubscriptions",
          "eks:ListFargateProfiles",
          "eks:ListIdentityProviderConfigs",
          "eks:ListInsights",
          "eks:ListNodegroups",
          "eks:ListPodIdentityAssociations",
          "eks:ListTagsForResource",
          "eks:ListUpdates",
        ]
        Resource = "*"
      },
      {
        Sid    = "Identity"
        Effect = "Allow"
        Action = [
          "iam:GetAccessKeyLastUsed",
          "iam:GetAccountAuthorizationDetails",
          "iam:GetAccountEmailAddress",
          "iam:GetAccountName",
          "iam:GetAccountPasswordPolicy",
          "iam:GetAccountProperties",
          "iam:GetAccountSummary",
          "iam:GetCloudFrontPublicKey",
          "iam:GetContextKeysForCustomPolicy",
          "iam:GetContextKeysForPrincipalPolicy",
          "iam:GetCredentialReport",
          "iam:GetDelegationRequest",
          "iam:GetGroup",
          "iam:GetGroupPolicy",
          "iam:GetHumanReadableSummary",
          "iam:GetInstanceProfile",
          "iam:GetLoginProfile",
          "iam:GetMFADevice",
          "iam:GetOpenIDConnectProvider",
          "iam:GetOrganizationsAccessReport",
          "iam:GetOutboundWebIdentityFederationInfo",
          "iam:GetPolicy",
          "iam:GetPolicyVersion",
          "iam:GetRole",
          "iam:GetRolePolicy",
          "iam:GetRoleTemplateVersion",
          "iam:GetSAMLProvider",
          "iam:GetSSHPublicKey",
          "iam:GetServerCertificate",
          "iam:GetServiceLastAccessedDetails",
          "iam:GetServiceLastAccessedDetailsWithEntities",
          "iam:GetServiceLinkedRoleDeletionStatus",
          "iam:GetUser",
          "iam:GetUserPolicy",
          "iam:ListAccessKeys",
          "iam:ListAccountAliases",
          "iam:ListAttachedGroupPolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListAttachedUserPolicies",
          "iam:ListCloudFrontPublicKeys",
          "iam:ListDelegationRequests",
          "iam:ListEntitiesForPolicy",
          "iam:ListGroupPolicies",
          "iam:ListGroups",
          "iam:ListGroupsForUser",
          "iam:ListInstanceProfileTags",
          "iam:ListInstanceProfiles",
          "iam:ListInstanceProfilesForRole",
          "iam:ListMFADeviceTags",
          "iam:ListMFADevices",
          "iam:ListOpenIDConnectProviderTags",
          "iam:ListOpenIDConnectProviders",
          "iam:ListOrganizationsFeatures",
          "iam:ListPolicies",
          "iam:ListPoliciesGrantingServiceAccess",
          "iam:ListPolicyTags",
          "iam:ListPolicyVersions",
          "iam:ListRolePolicies",
          "iam:ListRoleTags",
          "iam:ListRoles",
          "iam:ListSAMLProviderTags",
          "iam:ListSAMLProviders",
          "iam:ListSSHPublicKeys",
          "iam:ListSTSRegionalEndpointsStatus",
          "iam:ListServerCertificateTags",
          "iam:ListServerCertificates",
          "iam:ListServiceSpecificCredentials",
          "iam:ListSigningCertificates",
          "iam:ListUserPolicies",
          "iam:ListUserTags",
          "iam:ListUsers",
          "iam:ListVirtualMFADevices",
        ]
        Resource = "*"
      },
      {
        Sid    = "Buckets"
        Effect = "Allow"
        Action = [
          "s3:GetBucketAbac",
          "s3:GetBucketAcl",
          "s3:GetBucketCORS",
          "s3:GetBucketLocation",
          "s3:GetBucketLogging",
          "s3:GetBucketMetadataTableConfiguration",
          "s3:GetBucketNotification",
          "s3:GetBucketObjectLockConfiguration",
          "s3:GetBucketOwnershipControls",
          "s3:GetBucketPolicy",
          "s3:GetBucketPolicyStatus",
          "s3:GetBucketPublicAccessBlock",
          "s3:GetBucketRequestPayment",
          "s3:GetBucketTagging",
          "s3:GetBucketVersioning",
          "s3:GetBucketWebsite",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "support_read" {
  role       = aws_iam_role.support.name
  policy_arn = aws_iam_policy.support_read.arn
}

resource "aws_iam_role" "admin" {
  name               = "BreakGlassAdminRole"
  assume_role_policy = data.aws_iam_policy_document.account_trust.json
}

resource "aws_iam_policy" "admin" {
  name = "BreakGlassAdminPolicy"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "*"
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.admin.name
  policy_arn = aws_iam_policy.admin.arn
}

data "aws_iam_policy_document" "account_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
  }
}
