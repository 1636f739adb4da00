//! The principals a Terraform state or plan deploys, read from `terraform show -json`: each
//! `aws_iam_role`, `aws_iam_user` and `aws_iam_group` with its address and deployed name and ARN.
//!
//! Both shapes are read: a state (`values.root_module`) and a plan (`planned_values.root_module` and
//! `prior_state.values.root_module`), with `child_modules` at any depth.

use iamprune_policy::PrincipalKind;
use iamprune_syntax::{Node, SyntaxError};

/// One deployed principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatePrincipal {
    /// The address as the source spells it: `module.app.aws_iam_role.this`, `aws_iam_role.app["k"]`.
    /// Module instance keys are dropped (the source has one block for every instance of a module),
    /// the resource's own key or index is kept.
    pub address: String,
    pub kind: PrincipalKind,
    pub name: String,
    pub arn: Option<String>,
}

/// Whether a JSON document is `terraform show -json` output.
pub fn is_state(root: &Node) -> bool {
    root.get("values").is_some()
        || root.get("planned_values").is_some()
        || root.get("prior_state").is_some()
        || root.get("terraform_version").is_some()
}

/// The principals of a state or plan. A resource without a literal name (unknown until apply in a
/// plan) is left out: the prior state, when there is one, has it.
pub fn state_principals(root: &Node) -> Result<Vec<StatePrincipal>, SyntaxError> {
    let mut modules = Vec::new();
    for path in [
        &["values", "root_module"][..],
        &["planned_values", "root_module"],
        &["prior_state", "values", "root_module"],
    ] {
        if let Some(module) = path
            .iter()
            .try_fold(root, |node, key| node.get(key).map(|m| &m.value))
        {
            modules.push(module);
        }
    }
    if modules.is_empty() {
        return Err(SyntaxError::new(
            root.span,
            "a `terraform show -json` output without `values.root_module` or `planned_values.root_module`",
        ));
    }
    let mut out = Vec::new();
    for module in modules {
        collect(module, &mut out, 0);
    }
    out.sort_by(|a, b| (&a.address, &a.name).cmp(&(&b.address, &b.name)));
    out.dedup();
    Ok(out)
}

/// Modules nested deeper than this are not read (a state cannot nest this far; a hostile file could).
const MAX_DEPTH: usize = 64;

fn collect(module: &Node, out: &mut Vec<StatePrincipal>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for resource in module
        .get("resources")
        .and_then(|m| m.value.as_array())
        .unwrap_or_default()
    {
        let text = |key: &str| resource.get(key).and_then(|m| m.value.as_str());
        if text("mode").is_some_and(|m| m != "managed") {
            continue;
        }
        let kind = match text("type") {
            Some("aws_iam_role") => PrincipalKind::Role,
            Some("aws_iam_user") => PrincipalKind::User,
            Some("aws_iam_group") => PrincipalKind::Group,
            _ => continue,
        };
        let values = resource.get("values").map(|m| &m.value);
        let value = |key: &str| {
            values
                .and_then(|v| v.get(key))
                .and_then(|m| m.value.as_str())
                .map(str::to_string)
        };
        let (Some(address), Some(name)) = (text("address"), value("name")) else {
            continue;
        };
        out.push(StatePrincipal {
            address: source_address(address),
            kind,
            name,
            arn: value("arn"),
        });
    }
    for child in module
        .get("child_modules")
        .and_then(|m| m.value.as_array())
        .unwrap_or_default()
    {
        collect(child, out, depth + 1);
    }
}

/// `module.a["x"].module.b[0].aws_iam_role.r["k"]` → `module.a.module.b.aws_iam_role.r["k"]`.
fn source_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let (name, tail) = after.split_at(end);
        out.push_str("module.");
        out.push_str(name);
        out.push('.');
        // Skip the module's instance key, which may hold dots inside its quotes.
        let tail = match tail.strip_prefix('[') {
            Some(key) => skip_key(key),
            None => tail,
        };
        rest = tail.strip_prefix('.').unwrap_or(tail);
    }
    out.push_str(rest);
    out
}

/// The text after a `[...]` key whose opening bracket is already consumed.
fn skip_key(text: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return text.get(i + 1..).unwrap_or_default(),
            _ => {}
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_keys_are_dropped_and_resource_keys_kept() {
        assert_eq!(
            source_address(r#"module.a["x.y"].module.b[0].aws_iam_role.r["k"]"#),
            r#"module.a.module.b.aws_iam_role.r["k"]"#
        );
        assert_eq!(source_address("aws_iam_role.r[0]"), "aws_iam_role.r[0]");
        assert_eq!(
            source_address("module.app.aws_iam_role.this"),
            "module.app.aws_iam_role.this"
        );
    }

    #[test]
    fn states_and_plans_are_read() {
        let text = r#"{"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
             "values": {"name": "app-prod", "arn": "arn:aws:iam::1:role/app-prod"}},
            {"address": "data.aws_iam_role.x", "mode": "data", "type": "aws_iam_role", "name": "x",
             "values": {"name": "other"}}],
            "child_modules": [{"address": "module.m[\"a\"]", "resources": [
            {"address": "module.m[\"a\"].aws_iam_user.u", "mode": "managed", "type": "aws_iam_user",
             "name": "u", "values": {"name": "alice"}}]}]}}}"#;
        let root = iamprune_syntax::json::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(is_state(&root));
        let found = state_principals(&root).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<(&str, &str)> = found
            .iter()
            .map(|p| (p.address.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("aws_iam_role.app", "app-prod"),
                ("module.m.aws_iam_user.u", "alice")
            ]
        );
        let plan = r#"{"planned_values": {"root_module": {}}, "prior_state": {"values": {"root_module": {"resources": [
            {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
             "values": {"name": "app-dev"}}]}}}}"#;
        let root = iamprune_syntax::json::parse(plan).unwrap_or_else(|e| panic!("{e}"));
        let found = state_principals(&root).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.len(), 1);
        let empty = iamprune_syntax::json::parse(r#"{"terraform_version": "1.9"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(state_principals(&empty).is_err());
    }
}
