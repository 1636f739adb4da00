//! A world written out as a project: Terraform or a CloudFormation template, the findings the
//! analyzers would have exported, and a configuration that says only what is true.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iamprune_catalog::{ActionSet, Catalog};
use serde_json::{Value, json};

use crate::world::{
    Deployed, Form, Format, Kind, Naming, PATTERNS, USED, Who, World, env_name, group_name, sid,
};

/// A project on disk, before it is written.
#[derive(Debug, Clone)]
pub struct Project {
    /// Relative path → text: the sources, the findings, the configuration, notes on the deployments.
    pub files: Vec<(String, String)>,
    /// The source files the engine reads (relative paths).
    pub sources: Vec<String>,
    pub has_findings: bool,
    /// Without an `iamprune.toml`, what the command line would give instead.
    pub account: Option<String>,
    pub stack_name: Option<String>,
}

pub const FINDINGS: &str = "findings.jsonl";

/// What each deployed principal may do and did, as the analyzers saw it.
pub struct Truth {
    pub deployed: Deployed,
    pub arn: String,
    /// What it used, of what it may do (its grants under its boundary and service control policies).
    pub used: ActionSet,
    /// Its finding, when the export has one.
    pub finding: Option<Value>,
}

/// The grants and ceilings of every deployed principal, from the statements given (before or after
/// a fix), by `Sid`.
pub fn permissions(
    catalog: &Catalog,
    world: &World,
    grants: &BTreeMap<String, crate::world::Grant>,
    d: &Deployed,
) -> (ActionSet, ActionSet) {
    let allowed = |p: usize| {
        let mut set = ActionSet::empty(catalog.len());
        let statements = world.policies.get(p).map_or(0, |x| x.statements.len());
        for s in 0..statements {
            if let Some(grant) = grants.get(&sid(p, s)) {
                set.union_with(&grant.allowed(catalog, world, d.env));
            }
        }
        set
    };
    let mut identity = ActionSet::empty(catalog.len());
    let mut ceilings = Vec::new();
    for p in 0..world.policies.len() {
        for env in 0..world.envs.len() {
            if world.grants_to(p, env, d) {
                identity.union_with(&allowed(p));
            }
            if world.caps(p, env, d) {
                ceilings.push(allowed(p));
            }
        }
    }
    let mut effective = identity.clone();
    for ceiling in &ceilings {
        effective.intersect_with(ceiling);
    }
    (identity, effective)
}

/// Every deployed principal with what it may do, used, and the finding the export holds for it.
pub fn truth(catalog: &Catalog, world: &World) -> Vec<Truth> {
    let written: BTreeMap<String, crate::world::Grant> =
        crate::world::written_grants(world).into_iter().collect();
    let mut out = Vec::new();
    for (n, d) in world.deployed().into_iter().enumerate() {
        let (identity, effective) = permissions(catalog, world, &written, &d);
        let mut used = ActionSet::empty(catalog.len());
        let mask = world.used_mask(n);
        for (j, action) in USED.iter().enumerate() {
            if let Some(id) = catalog.lookup(action) {
                if mask & (1 << j) != 0 && effective.contains(id) {
                    used.insert(id);
                }
            }
        }
        let analyzed = world
            .envs
            .get(d.env)
            .and_then(|e| world.usage.analyzed.get(e.account))
            .copied()
            .unwrap_or(false);
        let arn = world.arn(&d);
        let finding = (analyzed && !world.finding_dropped(n))
            .then(|| finding(catalog, world, &d, &arn, &identity, &used))
            .flatten();
        out.push(Truth {
            deployed: d,
            arn,
            used,
            finding,
        });
    }
    out
}

/// The get-finding-v2 output for a principal: what its policies grant and it did not use. `None`
/// when it used all of it (Access Analyzer then has no finding).
fn finding(
    catalog: &Catalog,
    world: &World,
    d: &Deployed,
    arn: &str,
    identity: &ActionSet,
    used: &ActionSet,
) -> Option<Value> {
    let mut unused = identity.clone();
    unused.difference_with(used);
    if unused.is_empty() {
        return None;
    }
    let account = world.account(d.env);
    let resource_type = match d.kind {
        Kind::Role => "AWS::IAM::Role",
        Kind::User => "AWS::IAM::User",
    };
    let mut finding = json!({
        "id": format!("f-{account}-{}", d.name),
        "resource": arn,
        "resourceType": resource_type,
        "resourceOwnerAccount": account,
        "status": "ACTIVE",
        "analyzedAt": "2026-11-01T00:00:00Z",
        "updatedAt": "2026-11-01T00:00:00Z",
    });
    if used.is_empty() && d.kind == Kind::Role && world.usage.unused_role_findings {
        finding["findingType"] = json!("UnusedIAMRole");
        finding["findingDetails"] = json!([{"unusedIamRoleDetails": {}}]);
        return Some(finding);
    }
    let mut by_service: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in unused.iter() {
        let name = catalog.name(id);
        if let Some((service, action)) = name.split_once(':') {
            by_service.entry(service).or_default().push(action);
        }
    }
    let used_services: Vec<&str> = used
        .iter()
        .filter_map(|id| catalog.name(id).split_once(':').map(|(s, _)| s))
        .collect();
    let details: Vec<Value> = by_service
        .into_iter()
        .map(|(service, actions)| {
            if world.usage.service_level && !used_services.contains(&service) {
                json!({"unusedPermissionDetails": {"serviceNamespace": service}})
            } else {
                let actions: Vec<Value> = actions.iter().map(|a| json!({"action": a})).collect();
                json!({"unusedPermissionDetails": {"serviceNamespace": service, "actions": actions}})
            }
        })
        .collect();
    finding["findingType"] = json!("UnusedPermission");
    finding["findingDetails"] = Value::Array(details);
    Some(finding)
}

pub fn render(catalog: &Catalog, world: &World) -> Project {
    let (source, name) = match world.format {
        Format::Terraform => (terraform(world), "main.tf"),
        Format::CloudFormationJson => (
            serde_json::to_string_pretty(&template(world)).unwrap_or_default() + "\n",
            "template.json",
        ),
        Format::CloudFormationYaml => (yaml(&template(world)), "template.yaml"),
    };
    let truths = truth(catalog, world);
    let findings: String = truths
        .iter()
        .filter_map(|t| t.finding.as_ref())
        .map(|f| format!("{f}\n"))
        .collect();
    let account = world.config.account.then(|| world.account(0).to_string());
    let stack_name = world.config.stack_name.then(|| world.stack_name(0));
    let has_findings = !findings.is_empty();
    let mut sources = vec![(name.to_string(), source)];
    if world.format.is_terraform() {
        sources.extend(policy_files(world));
    }
    let mut files = sources.clone();
    files.push(("DEPLOYMENTS.txt".to_string(), deployments(world, &truths)));
    // Without any finding there is no export to give (an empty one is refused).
    if has_findings {
        files.push((FINDINGS.to_string(), findings));
    }
    if world.config.toml {
        files.push((
            "iamprune.toml".to_string(),
            config(world, name, has_findings, &account, &stack_name),
        ));
    }
    if world.format.is_terraform() {
        // What each environment sets, as its `-var-file` would (the engine does not read these).
        for (env, e) in world.envs.iter().enumerate() {
            let mut vars = format!("# account {}\n", world.account(env));
            let _ = writeln!(vars, "env = \"{}\"", env_name(env));
            if let Some(action) = e.extra_action {
                let _ = writeln!(vars, "extra_action = \"{}\"", USED[action % USED.len()]);
            }
            files.push((format!("deploy/{}.tfvars", env_name(env)), vars));
        }
    }
    Project {
        files,
        sources: sources.into_iter().map(|(name, _)| name).collect(),
        has_findings,
        account: if world.config.toml { None } else { account },
        stack_name: if world.config.toml { None } else { stack_name },
    }
}

/// Who exists where and used what: the part of the world no file of the project says.
fn deployments(world: &World, truths: &[Truth]) -> String {
    let catalog = Catalog::embedded();
    let mut out = String::new();
    for t in truths {
        let used: Vec<&str> = t.used.iter().map(|id| catalog.name(id)).collect();
        let who = match t.deployed.who {
            Who::Source(i) => format!("source principal {i}"),
            Who::GroupMember(g) => format!("added to group {} by hand", group_name(g)),
            Who::Attacher(p) => format!("another stack's role attaching p{p}"),
        };
        let _ = writeln!(
            out,
            "{} [env {}; {who}] used {:?}{}",
            t.arn,
            env_name(t.deployed.env),
            used,
            if t.finding.is_some() {
                ""
            } else {
                " (no finding)"
            }
        );
    }
    if world.policies.iter().any(|p| p.var_action) {
        for env in 0..world.envs.len() {
            let _ = writeln!(
                out,
                "env {} sets extra_action = {}",
                env_name(env),
                world.extra_action(env)
            );
        }
    }
    out
}

/// `iamprune.toml`: the findings, and what the configuration may truthfully add.
fn config(
    world: &World,
    source: &str,
    has_findings: bool,
    account: &Option<String>,
    stack_name: &Option<String>,
) -> String {
    let mut out = String::new();
    if has_findings {
        let _ = writeln!(out, "findings = [\"{FINDINGS}\"]");
    }
    if account.is_some() || stack_name.is_some() {
        out.push_str("\n[cloudformation]\n");
        if let Some(account) = account {
            let _ = writeln!(out, "account = \"{account}\"");
        }
        if let Some(stack) = stack_name {
            let _ = writeln!(out, "stack-names = {{ \"{source}\" = \"{stack}\" }}");
        }
    }
    let mappings = mappings(world);
    if !mappings.is_empty() {
        out.push_str("\n[principals]\n");
        for (arn, owner) in mappings {
            let _ = writeln!(out, "\"{arn}\" = \"{owner}\"");
        }
    }
    out
}

/// Mappings that are each true and complete: a policy mapped lists everyone it reaches, a group
/// everyone added to it by hand (or, without any, its members), a principal every deployment of it.
/// An ARN maps to one owner, so a mapping whose ARNs another already took is left out whole.
fn mappings(world: &World) -> BTreeMap<String, String> {
    let deployed = world.deployed();
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let claim = |arns: Vec<String>, owner: String, out: &mut BTreeMap<String, String>| {
        if arns.is_empty() || arns.iter().any(|a| out.contains_key(a)) {
            return;
        }
        for arn in arns {
            out.insert(arn, owner.clone());
        }
    };
    for p in 0..world.policies.len() {
        if world.config.map_sites & (1 << p) == 0 {
            continue;
        }
        let Some(owner) = site_owner(world, p) else {
            continue;
        };
        // A mapping of a policy lists every principal it reaches, those the source declares too.
        let arns = deployed
            .iter()
            .filter(|d| (0..world.envs.len()).any(|env| world.grants_to(p, env, d)))
            .map(|d| world.arn(d))
            .collect();
        claim(arns, owner, &mut out);
    }
    for (g, group) in world.groups.iter().enumerate() {
        if world.config.map_groups & (1 << g) == 0 {
            continue;
        }
        let outside = group.outside_members > 0;
        let arns = deployed
            .iter()
            .filter(|d| match d.who {
                Who::GroupMember(h) => h == g,
                Who::Source(i) => {
                    !outside
                        && world
                            .principals
                            .get(i)
                            .is_some_and(|p| p.groups & (1 << g) != 0)
                }
                Who::Attacher(_) => false,
            })
            .map(|d| world.arn(d))
            .collect();
        claim(arns, group_owner(world, g), &mut out);
    }
    for i in 0..world.principals.len() {
        if world.config.map_principals & (1 << i) == 0 {
            continue;
        }
        let arns = deployed
            .iter()
            .filter(|d| d.who == Who::Source(i))
            .map(|d| world.arn(d))
            .collect();
        claim(arns, principal_owner(world, i), &mut out);
    }
    out
}

fn principal_owner(world: &World, i: usize) -> String {
    let base = world.base_name(i);
    match (world.format, world.principals.get(i).map(|p| p.kind)) {
        (Format::Terraform, Some(Kind::User)) => format!("aws_iam_user.{base}"),
        (Format::Terraform, _) => format!("aws_iam_role.{base}"),
        _ => World::logical_id(base),
    }
}

fn group_owner(world: &World, g: usize) -> String {
    if world.format.is_terraform() {
        format!("aws_iam_group.{}", group_name(g))
    } else {
        World::logical_id(group_name(g))
    }
}

/// The owner the engine gives the site of policy `p`, as a mapping names it (a file read with
/// `file()` is named by its path).
fn site_owner(world: &World, p: usize) -> Option<String> {
    let policy = world.policies.get(p)?;
    if !world.format.is_terraform() {
        let first = targets(policy.targets).next();
        return Some(match (cfn_inline(world, p), first) {
            (CfnInline::Holder(b), _) => {
                let k = (0..p)
                    .filter(|&q| cfn_inline(world, q) == CfnInline::Holder(b))
                    .count();
                format!("{}.Policies[{k}].PolicyDocument", cfn_target_id(world, b))
            }
            (CfnInline::Shared, Some(b)) => {
                format!("P{p}{}.PolicyDocument", cfn_target_id(world, b))
            }
            _ => format!("P{p}.PolicyDocument"),
        });
    }
    match policy.form {
        Form::DataDoc => return Some(format!("data.aws_iam_policy_document.p{p}")),
        Form::Local => return Some(format!("local.p{p}")),
        Form::File => return Some(policy_file(world, p)),
        Form::Jsonencode | Form::Heredoc => {}
    }
    if policy.managed {
        return Some(format!("aws_iam_policy.p{p}"));
    }
    let target = targets(policy.targets).next()?;
    Some(match tf_target(world, target) {
        Target::Role(base) if policy.style == 1 => {
            format!("aws_iam_role.{base}.inline_policy.policy")
        }
        Target::Role(_) => format!("aws_iam_role_policy.p{p}"),
        Target::User(_) => format!("aws_iam_user_policy.p{p}"),
        Target::Group(_) => format!("aws_iam_group_policy.p{p}"),
    })
}

/// Target bits `0..4` are principals, `4..6` groups.
fn targets(bits: u8) -> impl Iterator<Item = usize> {
    (0..6).filter(move |b| bits & (1 << b) != 0)
}

fn shared_account(world: &World) -> bool {
    world.envs.iter().enumerate().any(|(i, a)| {
        world
            .envs
            .iter()
            .skip(i + 1)
            .any(|b| a.account == b.account)
    })
}

/// The actions of statement `s` of policy `p`, as written; `var` spells the variable's element.
fn action_items(world: &World, p: usize, s: usize, var: &str) -> Vec<String> {
    let Some(policy) = world.policies.get(p) else {
        return Vec::new();
    };
    let mut items: Vec<String> = policy
        .statements
        .get(s)
        .into_iter()
        .flatten()
        .map(|&i| format!("\"{}\"", PATTERNS[i % PATTERNS.len()]))
        .collect();
    if s == 0 && policy.var_action {
        items.push(var.to_string());
    }
    items
}

/// The document of policy `p` as JSON text (for a heredoc or a file); `var` spells the variable.
fn json_document(world: &World, p: usize, var: &str) -> String {
    let count = world.policies.get(p).map_or(0, |x| x.statements.len());
    let mut out = String::from("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n");
    for s in 0..count {
        let _ = writeln!(
            out,
            "    {{\"Sid\": \"{}\", \"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"*\"}}{}",
            sid(p, s),
            action_items(world, p, s, var).join(", "),
            if s + 1 < count { "," } else { "" }
        );
    }
    out.push_str("  ]\n}\n");
    out
}

// ---------------------------------------------------------------------------------------------------
// Terraform

enum Target {
    Role(&'static str),
    User(&'static str),
    Group(&'static str),
}

/// Target bit `b` of a policy: principals 0..4, groups 4..6.
fn tf_target(world: &World, b: usize) -> Target {
    if b >= 4 {
        return Target::Group(group_name(b - 4));
    }
    match world.principals.get(b).map(|p| p.kind) {
        Some(Kind::User) => Target::User(world.base_name(b)),
        _ => Target::Role(world.base_name(b)),
    }
}

fn label_of(target: &Target) -> &'static str {
    match target {
        Target::Role(n) | Target::User(n) | Target::Group(n) => n,
    }
}

/// A name that is per environment when two environments share an account.
fn tf_name(world: &World, base: &str) -> String {
    if shared_account(world) {
        format!("\"{base}-${{var.env}}\"")
    } else {
        format!("\"{base}\"")
    }
}

/// The file a `Form::File` policy is read from (a template when it interpolates the variable).
fn policy_file(world: &World, p: usize) -> String {
    if world.policies.get(p).is_some_and(|x| x.var_action) {
        format!("policies/p{p}.json.tftpl")
    } else {
        format!("policies/p{p}.json")
    }
}

/// The JSON files Terraform policies read with `file()` and `templatefile()`.
fn policy_files(world: &World) -> Vec<(String, String)> {
    (0..world.policies.len())
        .filter(|&p| world.policies.get(p).is_some_and(|x| x.form == Form::File))
        .map(|p| {
            (
                policy_file(world, p),
                json_document(world, p, "\"${extra_action}\""),
            )
        })
        .collect()
}

/// The document of policy `p` as the value of a `policy` argument, continuation lines indented by
/// `indent`.
fn tf_document(world: &World, p: usize, indent: &str) -> String {
    let Some(policy) = world.policies.get(p) else {
        return String::new();
    };
    match policy.form {
        Form::DataDoc => format!("data.aws_iam_policy_document.p{p}.json"),
        Form::Local => format!("local.p{p}"),
        Form::File if policy.var_action => format!(
            "templatefile(\"${{path.module}}/{}\", {{ extra_action = var.extra_action }})",
            policy_file(world, p)
        ),
        Form::File => format!("file(\"${{path.module}}/{}\")", policy_file(world, p)),
        Form::Heredoc => format!(
            "<<EOF\n{}EOF",
            json_document(world, p, "\"${var.extra_action}\"")
        ),
        Form::Jsonencode => {
            let mut out = String::from("jsonencode({\n");
            let _ = writeln!(out, "{indent}  Version = \"2012-10-17\"");
            let _ = writeln!(out, "{indent}  Statement = [");
            for s in 0..policy.statements.len() {
                let _ = writeln!(out, "{indent}    {{");
                let _ = writeln!(out, "{indent}      Sid      = \"{}\"", sid(p, s));
                let _ = writeln!(out, "{indent}      Effect   = \"Allow\"");
                let _ = writeln!(
                    out,
                    "{indent}      Action   = [{}]",
                    action_items(world, p, s, "var.extra_action").join(", ")
                );
                let _ = writeln!(out, "{indent}      Resource = \"*\"");
                let _ = writeln!(out, "{indent}    }},");
            }
            let _ = writeln!(out, "{indent}  ]");
            let _ = write!(out, "{indent}}})");
            out
        }
    }
}

fn terraform(world: &World) -> String {
    let mut out = String::new();
    let uses_env =
        shared_account(world) || world.principals.iter().any(|p| p.naming == Naming::EnvVar);
    if uses_env {
        out.push_str("variable \"env\" {\n  type = string\n");
        if world.env_default {
            let _ = writeln!(out, "  default = \"{}\"", env_name(0));
        }
        out.push_str("}\n\n");
    }
    if world.policies.iter().any(|p| p.var_action) {
        let _ = write!(
            out,
            "variable \"extra_action\" {{\n  type    = string\n  default = \"{}\"\n}}\n\n",
            USED[world.var_default % USED.len()]
        );
    }
    // Documents that several consumers share.
    for (p, policy) in world.policies.iter().enumerate() {
        match policy.form {
            Form::DataDoc => {
                let _ = writeln!(out, "data \"aws_iam_policy_document\" \"p{p}\" {{");
                for s in 0..policy.statements.len() {
                    let _ = writeln!(out, "  statement {{");
                    let _ = writeln!(out, "    sid       = \"{}\"", sid(p, s));
                    let _ = writeln!(
                        out,
                        "    actions   = [{}]",
                        action_items(world, p, s, "var.extra_action").join(", ")
                    );
                    let _ = writeln!(out, "    resources = [\"*\"]");
                    let _ = writeln!(out, "  }}");
                }
                out.push_str("}\n\n");
            }
            Form::Local => {
                let mut local = world.clone();
                if let Some(x) = local.policies.get_mut(p) {
                    x.form = Form::Jsonencode;
                }
                let _ = write!(
                    out,
                    "locals {{\n  p{p} = {}\n}}\n\n",
                    tf_document(&local, p, "  ")
                );
            }
            _ => {}
        }
    }
    for (i, principal) in world.principals.iter().enumerate() {
        terraform_principal(world, i, principal, &mut out);
    }
    for (g, group) in world.groups.iter().enumerate() {
        let name = group_name(g);
        let _ = write!(
            out,
            "resource \"aws_iam_group\" \"{name}\" {{\n  name = {}\n}}\n\n",
            tf_name(world, name)
        );
        if group.exclusive {
            // Owns the group's whole membership: nobody else stays in it.
            let users: Vec<String> = world
                .principals
                .iter()
                .enumerate()
                .filter(|(_, p)| p.groups & (1 << g) != 0)
                .map(|(i, _)| format!("aws_iam_user.{}.name", world.base_name(i)))
                .collect();
            let _ = write!(
                out,
                "resource \"aws_iam_group_membership\" \"{name}\" {{\n  name  = \"{name}-members\"\n  group = aws_iam_group.{name}.name\n  users = [{}]\n}}\n\n",
                users.join(", ")
            );
        }
    }
    for (i, principal) in world.principals.iter().enumerate() {
        let groups: Vec<String> = (0..world.groups.len())
            .filter(|&g| principal.groups & (1 << g) != 0)
            .filter(|&g| world.groups.get(g).is_some_and(|x| !x.exclusive))
            .map(|g| format!("aws_iam_group.{}.name", group_name(g)))
            .collect();
        if !groups.is_empty() {
            let base = world.base_name(i);
            let _ = write!(
                out,
                "resource \"aws_iam_user_group_membership\" \"{base}\" {{\n  user   = aws_iam_user.{base}.name\n  groups = [{}]\n}}\n\n",
                groups.join(", ")
            );
        }
    }
    for (p, policy) in world.policies.iter().enumerate() {
        terraform_policy(world, p, policy, &mut out);
    }
    out
}

fn terraform_principal(
    world: &World,
    i: usize,
    principal: &crate::world::Principal,
    out: &mut String,
) {
    let base = world.base_name(i);
    let (rtype, is_role) = match principal.kind {
        Kind::Role => ("aws_iam_role", true),
        Kind::User => ("aws_iam_user", false),
    };
    let _ = writeln!(out, "resource \"{rtype}\" \"{base}\" {{");
    match principal.naming {
        Naming::Prefix => {
            let _ = writeln!(out, "  name_prefix          = \"{base}-\"");
        }
        Naming::EnvVar => {
            let _ = writeln!(out, "  name                 = \"{base}-${{var.env}}\"");
        }
        _ => {
            let _ = writeln!(out, "  name                 = \"{base}\"");
        }
    }
    if is_role {
        let _ = writeln!(out, "  assume_role_policy   = \"{{}}\"");
    }
    if let Some(p) = world
        .policies
        .iter()
        .position(|x| x.boundary_of & (1 << i) != 0)
    {
        let _ = writeln!(out, "  permissions_boundary = aws_iam_policy.p{p}.arn");
    }
    if is_role {
        let arns: Vec<String> = world
            .policies
            .iter()
            .enumerate()
            .filter(|(_, x)| x.managed && x.style == 1 && x.targets & (1 << i) != 0)
            .map(|(p, _)| format!("aws_iam_policy.p{p}.arn"))
            .collect();
        if !arns.is_empty() {
            let _ = writeln!(out, "  managed_policy_arns  = [{}]", arns.join(", "));
        }
        for (p, policy) in world.policies.iter().enumerate() {
            if !policy.managed && policy.style == 1 && policy.targets & (1 << i) != 0 {
                let _ = write!(
                    out,
                    "\n  inline_policy {{\n    name   = \"p{p}\"\n    policy = {}\n  }}\n",
                    tf_document(world, p, "    ")
                );
            }
        }
    }
    out.push_str("}\n\n");
}

fn terraform_policy(world: &World, p: usize, policy: &crate::world::Policy, out: &mut String) {
    if policy.managed {
        let _ = write!(
            out,
            "resource \"aws_iam_policy\" \"p{p}\" {{\n  name   = {}\n  policy = {}\n}}\n\n",
            tf_name(world, &format!("p{p}")),
            tf_document(world, p, "  ")
        );
        if policy.style == 2 && policy.targets != 0 {
            // One resource for every attachment of the policy.
            let mut lists: [(&str, Vec<String>); 3] = [
                ("roles", Vec::new()),
                ("users", Vec::new()),
                ("groups", Vec::new()),
            ];
            for b in targets(policy.targets) {
                let (slot, reference) = match tf_target(world, b) {
                    Target::Role(n) => (0, format!("aws_iam_role.{n}.name")),
                    Target::User(n) => (1, format!("aws_iam_user.{n}.name")),
                    Target::Group(n) => (2, format!("aws_iam_group.{n}.name")),
                };
                if let Some((_, list)) = lists.get_mut(slot) {
                    list.push(reference);
                }
            }
            let _ = writeln!(out, "resource \"aws_iam_policy_attachment\" \"p{p}\" {{");
            let _ = writeln!(out, "  name       = \"p{p}\"");
            let _ = writeln!(out, "  policy_arn = aws_iam_policy.p{p}.arn");
            for (key, items) in &lists {
                if !items.is_empty() {
                    let _ = writeln!(out, "  {key} = [{}]", items.join(", "));
                }
            }
            out.push_str("}\n\n");
        } else {
            for b in targets(policy.targets) {
                let (rtype, key, target_type, name) = match tf_target(world, b) {
                    // Attached through `managed_policy_arns` in the role.
                    Target::Role(_) if policy.style == 1 => continue,
                    Target::Role(n) => {
                        ("aws_iam_role_policy_attachment", "role", "aws_iam_role", n)
                    }
                    Target::User(n) => {
                        ("aws_iam_user_policy_attachment", "user", "aws_iam_user", n)
                    }
                    Target::Group(n) => (
                        "aws_iam_group_policy_attachment",
                        "group",
                        "aws_iam_group",
                        n,
                    ),
                };
                let _ = write!(
                    out,
                    "resource \"{rtype}\" \"p{p}_{name}\" {{\n  {key:<10} = {target_type}.{name}.name\n  policy_arn = aws_iam_policy.p{p}.arn\n}}\n\n"
                );
            }
        }
        if policy.exported {
            let _ = write!(
                out,
                "output \"p{p}_arn\" {{\n  value = aws_iam_policy.p{p}.arn\n}}\n\n"
            );
        }
        for b in targets(policy.inline_too) {
            let target = tf_target(world, b);
            let (rtype, key, target_type) = match target {
                Target::Role(_) => ("aws_iam_role_policy", "role", "aws_iam_role"),
                Target::User(_) => ("aws_iam_user_policy", "user", "aws_iam_user"),
                Target::Group(_) => ("aws_iam_group_policy", "group", "aws_iam_group"),
            };
            let name = label_of(&target);
            let _ = write!(
                out,
                "resource \"{rtype}\" \"p{p}_{name}_inline\" {{\n  name   = \"p{p}-inline\"\n  {key:<6} = {target_type}.{name}.name\n  policy = {}\n}}\n\n",
                tf_document(world, p, "  ")
            );
        }
    } else {
        let shared = policy.form.is_shared();
        for b in targets(policy.targets) {
            let target = tf_target(world, b);
            let label = if shared {
                format!("p{p}_{}", label_of(&target))
            } else {
                format!("p{p}")
            };
            let (rtype, key, target_type, name) = match target {
                // Written in the role's `inline_policy` block.
                Target::Role(_) if policy.style == 1 => continue,
                Target::Role(n) => ("aws_iam_role_policy", "role", "aws_iam_role", n),
                Target::User(n) => ("aws_iam_user_policy", "user", "aws_iam_user", n),
                Target::Group(n) => ("aws_iam_group_policy", "group", "aws_iam_group", n),
            };
            let attr = if key == "role" && policy.style == 0 {
                "id"
            } else {
                "name"
            };
            let _ = write!(
                out,
                "resource \"{rtype}\" \"{label}\" {{\n  name   = \"{label}\"\n  {key:<6} = {target_type}.{name}.{attr}\n  policy = {}\n}}\n\n",
                tf_document(world, p, "  ")
            );
        }
    }
    if policy.scp {
        let _ = write!(
            out,
            "resource \"aws_organizations_policy\" \"p{p}_scp\" {{\n  name    = {}\n  content = {}\n}}\n\n",
            tf_name(world, &format!("p{p}-scp")),
            tf_document(world, p, "  ")
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// CloudFormation

/// Where an inline policy of a template is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CfnInline {
    /// A managed policy, not inline.
    Managed,
    /// In the `Policies` of its one target (target bit).
    Holder(usize),
    /// An `AWS::IAM::RolePolicy` / `UserPolicy` / `GroupPolicy` for its one target.
    Single(usize),
    /// An `AWS::IAM::Policy` listing its targets.
    Resource,
    /// One `AWS::IAM::Policy` per target, all aliasing the first one's document.
    Shared,
}

fn cfn_inline(world: &World, p: usize) -> CfnInline {
    let Some(policy) = world.policies.get(p) else {
        return CfnInline::Resource;
    };
    if policy.managed {
        return CfnInline::Managed;
    }
    if policy.form.is_shared() {
        return CfnInline::Shared;
    }
    match (policy.style, policy.targets.count_ones()) {
        (1, 1) => targets(policy.targets)
            .next()
            .map_or(CfnInline::Resource, CfnInline::Holder),
        (2, 1) => targets(policy.targets)
            .next()
            .map_or(CfnInline::Resource, CfnInline::Single),
        _ => CfnInline::Resource,
    }
}

/// The logical id of target bit `b`.
fn cfn_target_id(world: &World, b: usize) -> String {
    if b >= 4 {
        World::logical_id(group_name(b - 4))
    } else {
        World::logical_id(world.base_name(b))
    }
}

fn cfn_ref(id: &str) -> Value {
    json!({ "Ref": id })
}

fn cfn_document(world: &World, p: usize) -> Value {
    let Some(policy) = world.policies.get(p) else {
        return Value::Null;
    };
    let statements: Vec<Value> = policy
        .statements
        .iter()
        .enumerate()
        .map(|(s, statement)| {
            let mut actions: Vec<Value> = statement
                .iter()
                .map(|&i| json!(PATTERNS[i % PATTERNS.len()]))
                .collect();
            if s == 0 && policy.var_action {
                actions.push(cfn_ref("ExtraAction"));
            }
            json!({"Sid": sid(p, s), "Effect": "Allow", "Action": actions, "Resource": "*"})
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The document of a shared policy where it is first written (a YAML anchor), and where it is used
/// again (an alias). The markers are turned into YAML by [`yaml`].
fn cfn_shared_document(world: &World, p: usize, first: bool) -> Value {
    if first {
        json!({ ANCHOR: format!("p{p}"), ANCHORED: cfn_document(world, p) })
    } else {
        json!(format!("{ALIAS}p{p}"))
    }
}

const ANCHOR: &str = "<anchor>";
const ANCHORED: &str = "<anchored>";
const ALIAS: &str = "<alias>";

/// A name that is per environment when two environments share an account.
fn cfn_name(world: &World, base: &str) -> Value {
    if shared_account(world) {
        json!({ "Fn::Sub": format!("{base}-${{Env}}") })
    } else {
        json!(base)
    }
}

/// `Roles`, `Users` and `Groups` of the targets (bits).
fn cfn_attach(world: &World, bits: u8, props: &mut serde_json::Map<String, Value>) {
    let mut roles = Vec::new();
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for b in targets(bits) {
        let reference = cfn_ref(&cfn_target_id(world, b));
        if b >= 4 {
            groups.push(reference);
        } else if world.principals.get(b).map(|x| x.kind) == Some(Kind::User) {
            users.push(reference);
        } else {
            roles.push(reference);
        }
    }
    for (key, items) in [("Roles", roles), ("Users", users), ("Groups", groups)] {
        if !items.is_empty() {
            props.insert(key.into(), Value::Array(items));
        }
    }
}

fn template(world: &World) -> Value {
    let mut parameters = serde_json::Map::new();
    let uses_env = shared_account(world)
        || world
            .principals
            .iter()
            .any(|p| p.naming == Naming::SubParam);
    if uses_env {
        parameters.insert(
            "Env".into(),
            json!({"Type": "String", "Default": env_name(0)}),
        );
    }
    if world.policies.iter().any(|p| p.var_action) {
        parameters.insert(
            "ExtraAction".into(),
            json!({"Type": "String", "Default": USED[world.var_default % USED.len()]}),
        );
    }
    let inline_in = |b: usize| -> Vec<Value> {
        (0..world.policies.len())
            .filter(|&p| cfn_inline(world, p) == CfnInline::Holder(b))
            .map(|p| json!({"PolicyName": format!("p{p}"), "PolicyDocument": cfn_document(world, p)}))
            .collect()
    };
    let mut resources = serde_json::Map::new();
    for (i, principal) in world.principals.iter().enumerate() {
        let base = world.base_name(i);
        let mut props = serde_json::Map::new();
        let key = match principal.kind {
            Kind::Role => "RoleName",
            Kind::User => "UserName",
        };
        match principal.naming {
            Naming::Generated => {}
            Naming::SubParam => {
                props.insert(key.into(), json!({"Fn::Sub": format!("{base}-${{Env}}")}));
            }
            Naming::SubAccount => {
                props.insert(
                    key.into(),
                    json!({"Fn::Sub": format!("{base}-${{AWS::AccountId}}")}),
                );
            }
            _ => {
                props.insert(key.into(), json!(base));
            }
        }
        if principal.kind == Kind::Role {
            props.insert("AssumeRolePolicyDocument".into(), json!({}));
        }
        let managed: Vec<Value> = world
            .policies
            .iter()
            .enumerate()
            .filter(|(_, x)| x.managed && x.style == 1 && x.targets & (1 << i) != 0)
            .map(|(p, _)| cfn_ref(&format!("P{p}")))
            .collect();
        if !managed.is_empty() {
            props.insert("ManagedPolicyArns".into(), Value::Array(managed));
        }
        if let Some(p) = world
            .policies
            .iter()
            .position(|x| x.boundary_of & (1 << i) != 0)
        {
            props.insert("PermissionsBoundary".into(), cfn_ref(&format!("P{p}")));
        }
        let inline = inline_in(i);
        if !inline.is_empty() {
            props.insert("Policies".into(), Value::Array(inline));
        }
        if principal.kind == Kind::User {
            let groups: Vec<Value> = (0..world.groups.len())
                .filter(|&g| principal.groups & (1 << g) != 0)
                .filter(|&g| world.groups.get(g).is_some_and(|x| !x.exclusive))
                .map(|g| cfn_ref(&World::logical_id(group_name(g))))
                .collect();
            if !groups.is_empty() {
                props.insert("Groups".into(), Value::Array(groups));
            }
        }
        let rtype = match principal.kind {
            Kind::Role => "AWS::IAM::Role",
            Kind::User => "AWS::IAM::User",
        };
        resources.insert(
            World::logical_id(base),
            json!({"Type": rtype, "Properties": props}),
        );
    }
    for (g, group) in world.groups.iter().enumerate() {
        let id = World::logical_id(group_name(g));
        let mut props = serde_json::Map::new();
        props.insert("GroupName".into(), cfn_name(world, group_name(g)));
        let inline = inline_in(4 + g);
        if !inline.is_empty() {
            props.insert("Policies".into(), Value::Array(inline));
        }
        resources.insert(
            id.clone(),
            json!({"Type": "AWS::IAM::Group", "Properties": props}),
        );
        if group.exclusive {
            let users: Vec<Value> = world
                .principals
                .iter()
                .enumerate()
                .filter(|(_, p)| p.groups & (1 << g) != 0)
                .map(|(i, _)| cfn_ref(&World::logical_id(world.base_name(i))))
                .collect();
            if !users.is_empty() {
                resources.insert(
                    format!("{id}Additions"),
                    json!({"Type": "AWS::IAM::UserToGroupAddition", "Properties": {"GroupName": cfn_ref(&id), "Users": users}}),
                );
            }
        }
    }
    let mut outputs = serde_json::Map::new();
    for (p, policy) in world.policies.iter().enumerate() {
        let shared = policy.form.is_shared();
        match cfn_inline(world, p) {
            CfnInline::Holder(_) => {}
            CfnInline::Single(b) => {
                let (rtype, key) = if b >= 4 {
                    ("AWS::IAM::GroupPolicy", "GroupName")
                } else if world.principals.get(b).map(|x| x.kind) == Some(Kind::User) {
                    ("AWS::IAM::UserPolicy", "UserName")
                } else {
                    ("AWS::IAM::RolePolicy", "RoleName")
                };
                resources.insert(
                    format!("P{p}"),
                    json!({"Type": rtype, "Properties": {
                        "PolicyName": format!("p{p}"),
                        "PolicyDocument": cfn_document(world, p),
                        key: cfn_ref(&cfn_target_id(world, b)),
                    }}),
                );
            }
            CfnInline::Resource => {
                let mut props = serde_json::Map::new();
                props.insert("PolicyName".into(), json!(format!("p{p}")));
                props.insert("PolicyDocument".into(), cfn_document(world, p));
                cfn_attach(world, policy.targets, &mut props);
                resources.insert(
                    format!("P{p}"),
                    json!({"Type": "AWS::IAM::Policy", "Properties": props}),
                );
            }
            CfnInline::Shared => {
                for (n, b) in targets(policy.targets).enumerate() {
                    let mut props = serde_json::Map::new();
                    props.insert(
                        "PolicyName".into(),
                        json!(format!("p{p}-{}", cfn_target_id(world, b))),
                    );
                    props.insert(
                        "PolicyDocument".into(),
                        cfn_shared_document(world, p, n == 0),
                    );
                    cfn_attach(world, 1 << b, &mut props);
                    resources.insert(
                        format!("P{p}{}", cfn_target_id(world, b)),
                        json!({"Type": "AWS::IAM::Policy", "Properties": props}),
                    );
                }
            }
            CfnInline::Managed => {
                let mut props = serde_json::Map::new();
                let document = if shared {
                    cfn_shared_document(world, p, true)
                } else {
                    cfn_document(world, p)
                };
                props.insert("PolicyDocument".into(), document);
                if policy.style == 1 {
                    // Roles and users list it in their `ManagedPolicyArns`; groups here.
                    cfn_attach(world, policy.targets & 0b11_0000, &mut props);
                } else {
                    cfn_attach(world, policy.targets, &mut props);
                }
                resources.insert(
                    format!("P{p}"),
                    json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": props}),
                );
                for b in targets(policy.inline_too) {
                    let mut props = serde_json::Map::new();
                    props.insert("PolicyName".into(), json!(format!("p{p}-inline")));
                    props.insert(
                        "PolicyDocument".into(),
                        cfn_shared_document(world, p, false),
                    );
                    cfn_attach(world, 1 << b, &mut props);
                    resources.insert(
                        format!("P{p}{}Inline", cfn_target_id(world, b)),
                        json!({"Type": "AWS::IAM::Policy", "Properties": props}),
                    );
                }
                if policy.exported {
                    outputs.insert(
                        format!("P{p}Arn"),
                        json!({"Value": cfn_ref(&format!("P{p}")), "Export": {"Name": {"Fn::Sub": format!("${{AWS::StackName}}-p{p}")}}}),
                    );
                }
            }
        }
        if policy.scp {
            resources.insert(
                format!("P{p}Scp"),
                json!({"Type": "AWS::Organizations::Policy", "Properties": {
                    "Name": format!("p{p}-scp"),
                    "Type": "SERVICE_CONTROL_POLICY",
                    "Content": cfn_shared_document(world, p, false),
                }}),
            );
        }
    }
    let mut root = serde_json::Map::new();
    root.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    if !parameters.is_empty() {
        root.insert("Parameters".into(), Value::Object(parameters));
    }
    root.insert("Resources".into(), Value::Object(resources));
    if !outputs.is_empty() {
        root.insert("Outputs".into(), Value::Object(outputs));
    }
    Value::Object(root)
}

/// Block-style YAML for a template (strings double-quoted, which YAML reads as JSON reads them),
/// with the anchors and aliases [`cfn_shared_document`] marks.
fn yaml(value: &Value) -> String {
    let mut out = String::new();
    yaml_value(value, 0, &mut out);
    out
}

/// A value written on its key's line: a scalar, an empty collection, an alias.
fn yaml_inline(value: &Value) -> Option<String> {
    match value {
        Value::Object(m) if m.is_empty() => Some("{}".into()),
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::String(s) if s.starts_with(ALIAS) => {
            s.strip_prefix(ALIAS).map(|name| format!("*{name}"))
        }
        Value::Object(_) | Value::Array(_) => None,
        other => Some(other.to_string()),
    }
}

/// An anchored value: its name and the value.
fn yaml_anchor(value: &Value) -> Option<(&str, &Value)> {
    Some((value.get(ANCHOR)?.as_str()?, value.get(ANCHORED)?))
}

fn yaml_value(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(members) if !members.is_empty() => {
            for (key, v) in members {
                if let Some((name, anchored)) = yaml_anchor(v) {
                    let _ = writeln!(out, "{pad}{key}: &{name}");
                    yaml_value(anchored, indent + 2, out);
                    continue;
                }
                match yaml_inline(v) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}{key}: {s}");
                    }
                    None => {
                        let _ = writeln!(out, "{pad}{key}:");
                        yaml_value(v, indent + 2, out);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                match yaml_inline(item) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}- {s}");
                    }
                    None => {
                        // The item's first line goes after the dash, the rest under it.
                        let mut inner = String::new();
                        yaml_value(item, indent + 2, &mut inner);
                        let trimmed = inner.get(indent + 2..).unwrap_or_default();
                        let _ = write!(out, "{pad}- {trimmed}");
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", yaml_inline(other).unwrap_or_default());
        }
    }
}
