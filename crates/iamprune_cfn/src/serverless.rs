//! Serverless Framework services (`serverless.yml`): the statements of the role the framework makes for
//! the service (`provider.iam.role.statements`, and the older `provider.iamRoleStatements`), and the
//! statements of a function's own role (`functions.NAME.iamRoleStatements`, the
//! serverless-iam-roles-per-function plugin). Each list is a policy of the role it goes into, whose
//! name the framework derives from the service, the stage and the region.

use iamprune_policy::{
    PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Purpose, SiteNote, Syntax,
};
use iamprune_syntax::{Member, Node, NodeKind};

use crate::ServerlessDeploy;
use crate::sites::{self, Source};

/// Whether a file is a Serverless Framework service by its name.
pub(crate) fn is_service_file(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| matches!(n, "serverless.yml" | "serverless.yaml"))
}

/// The framework's defaults when the service does not say.
const DEFAULT_STAGE: &str = "dev";
const DEFAULT_REGION: &str = "us-east-1";

/// The policy sites of a service's statements.
pub(crate) fn extract(src: &Source<'_>, root: &Node, deploy: &ServerlessDeploy) -> Vec<PolicySite> {
    let Some(provider) = root.get("provider").map(|m| &m.value) else {
        return Vec::new();
    };
    let names = Names::of(root, provider, deploy);
    let inherit_by_default = path(root, &["custom", "serverless-iam-roles-per-function"])
        .and_then(|c| c.get("defaultInherit"))
        .is_some_and(|m| truthy(&m.value));
    let mut functions = Vec::new();
    if let Some(members) = root.get("functions").and_then(|m| m.value.as_object()) {
        for function in members {
            let Some(statements) = function.value.get("iamRoleStatements") else {
                continue;
            };
            let inherits = function
                .value
                .get("iamRoleStatementsInherit")
                .map_or(inherit_by_default, |m| truthy(&m.value));
            functions.push((function, statements, inherits));
        }
    }
    let mut sites = Vec::new();
    let provider_role = names.provider_role(provider);
    for (key_path, owner) in [
        (
            &["iam", "role", "statements"][..],
            "provider.iam.role.statements",
        ),
        (&["iamRoleStatements"][..], "provider.iamRoleStatements"),
    ] {
        let Some(statements) = member_at(provider, key_path) else {
            continue;
        };
        // A function with a role of its own that inherits gets these statements too.
        let mut principals = vec![provider_role.clone()];
        principals.extend(
            functions
                .iter()
                .filter(|(_, _, inherits)| *inherits)
                .map(|(function, _, _)| names.function_role(function)),
        );
        sites.extend(site(src, owner, statements, principals, &names));
    }
    for (function, statements, _) in &functions {
        let owner = format!("functions.{}.iamRoleStatements", function.key);
        let principals = vec![names.function_role(function)];
        sites.extend(site(src, &owner, statements, principals, &names));
    }
    sites
}

/// A list of statements as a document of its own, reaching `principals`, prepared as every document
/// of a template is (its expressions, and an alias that shares its text); and each branch of an
/// `Fn::If` that gives statements, as a document of its own, as in a template.
fn site(
    src: &Source<'_>,
    owner: &str,
    statements: &Member,
    principals: Vec<PrincipalRef>,
    names: &Names,
) -> Vec<PolicySite> {
    let written = Node::new(
        statements.value.span,
        NodeKind::Object(vec![Member {
            key: "Statement".into(),
            key_span: statements.key_span,
            value: variables_opaque(&statements.value),
        }]),
    );
    let (itself, branches) = crate::conditions::documents(&written);
    let expanded: Vec<_> = branches.iter().map(|b| b.condition).collect();
    let mut documents = Vec::new();
    if itself {
        documents.push((owner.to_string(), written, None));
    }
    for branch in branches {
        let mut path = String::new();
        sites::push_path(&mut path, &branch.path);
        let under = branch.document.span;
        documents.push((format!("{owner}.{path}"), branch.document, Some(under)));
    }
    documents
        .into_iter()
        .map(|(owner, written, under_condition)| {
            let mut notes = Vec::new();
            // As in a template (`Walker::document`).
            notes.extend(under_condition.map(|span| SiteNote {
                span,
                message: crate::conditions::UNDER_CONDITION.into(),
            }));
            let (document, frozen) = sites::prepare(&written, src.aliased, &expanded, &mut notes);
            if let Some(why) = &names.assumed {
                notes.push(SiteNote {
                    span: statements.key_span,
                    message: format!(
                        "the role's name is assumed ({why}): another stage or region deploys another \
                         role, so this is narrowed only when deployment evidence or iamprune.toml \
                         [principals] says whom it reaches"
                    ),
                });
            }
            let file = src.file;
            PolicySite {
                file: file.to_path_buf(),
                owner,
                owner_file: file.to_path_buf(),
                owner_span: statements.key_span,
                construct_path: None,
                account: None,
                purpose: Purpose::InlinePolicy,
                document,
                syntax: Syntax::Yaml,
                principals_complete: principals
                    .iter()
                    .all(|p| !matches!(p.name, PrincipalName::Unknown)),
                principals: principals.clone(),
                notes,
                frozen,
            }
        })
        .collect()
}

/// A Serverless variable (`${self:custom.bucket}`, `${opt:stage}`) is only known when the framework
/// runs: a string holding one is undecidable.
fn variables_opaque(node: &Node) -> Node {
    node.rewrite(&|n| match &n.kind {
        NodeKind::String(s) if s.contains("${") => Some(Node::new(
            n.span,
            NodeKind::Opaque("a Serverless variable".into()),
        )),
        _ => None,
    })
}

/// What the framework names the roles of a service by.
struct Names {
    service: Option<String>,
    stage: String,
    region: String,
    /// Why the names are only what one deployment is called: a default or a variable's fallback
    /// stands for the stage or the region.
    assumed: Option<String>,
}

impl Names {
    fn of(root: &Node, provider: &Node, deploy: &ServerlessDeploy) -> Names {
        let service = root.get("service").and_then(|m| match &m.value.kind {
            NodeKind::String(s) => resolve(s, root),
            NodeKind::Object(_) => m
                .value
                .get("name")
                .and_then(|n| n.value.as_str())
                .and_then(|s| resolve(s, root)),
            _ => None,
        });
        let mut assumed = Vec::new();
        let mut setting = |key: &str, given: Option<&String>, default: &str| -> String {
            if let Some(given) = given {
                return given.clone();
            }
            let written = provider.get(key).and_then(|m| m.value.as_str());
            match written.map(|w| (w, resolve(w, root))) {
                Some((_, Some(value))) => value,
                Some((w, None)) => match fallback(w) {
                    Some(value) => {
                        assumed.push(format!("{key} `{w}` taken as `{value}`"));
                        value
                    }
                    None => {
                        assumed.push(format!("{key} `{w}` taken as the default `{default}`"));
                        default.to_string()
                    }
                },
                None => {
                    assumed.push(format!("no {key}, so the default `{default}`"));
                    default.to_string()
                }
            }
        };
        let stage = setting("stage", deploy.stage.as_ref(), DEFAULT_STAGE);
        let region = setting("region", deploy.region.as_ref(), DEFAULT_REGION);
        Names {
            service,
            stage,
            region,
            assumed: (!assumed.is_empty()).then(|| assumed.join(", ")),
        }
    }

    fn name(&self, name: String) -> PrincipalName {
        match self.assumed {
            Some(_) => PrincipalName::Assumed(name),
            None => PrincipalName::Exact(name),
        }
    }

    /// The role of the service: `provider.iam.role.name`, else `SERVICE-STAGE-REGION-lambdaRole`.
    fn provider_role(&self, provider: &Node) -> PrincipalRef {
        let declared_as = "provider.iam.role".to_string();
        let custom = member_at(provider, &["iam", "role", "name"]);
        let name = match (custom, &self.service) {
            (Some(m), _) => written_name(m),
            // A role given by ARN or logical id is not the framework's: who else it reaches is not known.
            _ if member_at(provider, &["iam", "role"])
                .is_some_and(|m| m.value.as_str().is_some())
                || provider.get("role").is_some() =>
            {
                PrincipalName::Unknown
            }
            (None, Some(service)) => self.name(format!(
                "{service}-{}-{}-lambdaRole",
                self.stage, self.region
            )),
            (None, None) => PrincipalName::Unknown,
        };
        PrincipalRef {
            kind: PrincipalKind::Role,
            name,
            declared_as,
        }
    }

    /// A function's own role: `iamRoleStatementsName`, else `SERVICE-STAGE-FUNCTION-REGION-lambdaRole`,
    /// without `-lambdaRole` when that would pass IAM's 64 characters (the plugin refuses a name that
    /// is longer still).
    fn function_role(&self, function: &Member) -> PrincipalRef {
        let declared_as = format!("functions.{}", function.key);
        let custom = function.value.get("iamRoleStatementsName");
        let name = match (custom, &self.service) {
            (Some(m), _) => written_name(m),
            (None, Some(service)) => {
                let base = format!("{service}-{}-{}-{}", self.stage, function.key, self.region);
                let full = format!("{base}-lambdaRole");
                match (full.len() <= 64, base.len() <= 64) {
                    (true, _) => self.name(full),
                    (false, true) => self.name(base),
                    (false, false) => PrincipalName::Unknown,
                }
            }
            (None, None) => PrincipalName::Unknown,
        };
        PrincipalRef {
            kind: PrincipalKind::Role,
            name,
            declared_as,
        }
    }
}

/// A role name written in the service: exact, unless a variable makes it unknown.
fn written_name(member: &Member) -> PrincipalName {
    member
        .value
        .as_str()
        .and_then(literal)
        .map_or(PrincipalName::Unknown, PrincipalName::Exact)
}

/// `text` with every `${self:a.b}` that names a literal of the service replaced by it
/// (`service: shop-${self:custom.name}`); `None` when a variable is left that only the framework can
/// tell (an option, an environment variable, a file, the stage).
fn resolve(text: &str, root: &Node) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(rest.get(..at)?);
        let after = rest.get(at + 2..)?;
        let close = after.find('}')?;
        let path: Vec<&str> = after
            .get(..close)?
            .strip_prefix("self:")?
            .split('.')
            .collect();
        let value = member_at(root, &path)?.value.as_str()?;
        out.push_str(&literal(value)?);
        rest = after.get(close + 1..)?;
    }
    out.push_str(rest);
    literal(&out)
}

/// A value with no variable in it.
fn literal(text: &str) -> Option<String> {
    (!text.contains("${") && !text.is_empty()).then(|| text.to_string())
}

/// The literal fallback of a variable written `${opt:stage, 'prod'}` (or with `"`), the value the
/// framework uses when the option is not given.
fn fallback(text: &str) -> Option<String> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    let (_, fallback) = inner.rsplit_once(',')?;
    let fallback = fallback.trim();
    let value = fallback
        .strip_prefix('\'')
        .and_then(|f| f.strip_suffix('\''))
        .or_else(|| fallback.strip_prefix('"').and_then(|f| f.strip_suffix('"')))?;
    literal(value)
}

fn truthy(node: &Node) -> bool {
    matches!(node.kind, NodeKind::Bool(true)) || node.as_str() == Some("true")
}

fn path<'n>(node: &'n Node, keys: &[&str]) -> Option<&'n Node> {
    member_at(node, keys).map(|m| &m.value)
}

/// The member at `keys` under `node`.
fn member_at<'n>(node: &'n Node, keys: &[&str]) -> Option<&'n Member> {
    let (last, parents) = keys.split_last()?;
    let mut at = node;
    for key in parents {
        at = &at.get(key)?.value;
    }
    at.get(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(text: &str) -> Vec<PolicySite> {
        sites_deployed(text, &ServerlessDeploy::default())
    }

    fn sites_deployed(text: &str, deploy: &ServerlessDeploy) -> Vec<PolicySite> {
        let tree = crate::yaml::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let src = Source {
            file: std::path::Path::new("serverless.yml"),
            text,
            syntax: Syntax::Yaml,
            styles: Some(&tree.styles),
            aliased: &tree.aliased,
        };
        extract(&src, &tree.root, deploy)
    }

    fn named(site: &PolicySite) -> Vec<String> {
        site.principals
            .iter()
            .map(|p| format!("{} {:?}", p.declared_as, p.name))
            .collect()
    }

    #[test]
    fn the_service_role_is_named_from_service_stage_and_region() {
        let found = sites(
            "service: orders\nprovider:\n  name: aws\n  stage: prod\n  region: eu-west-1\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: [s3:GetObject]\n          Resource: '*'\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].owner, "provider.iam.role.statements");
        assert_eq!(
            named(&found[0]),
            ["provider.iam.role Exact(\"orders-prod-eu-west-1-lambdaRole\")"]
        );
        assert!(found[0].principals_complete && found[0].notes.is_empty());
    }

    #[test]
    fn defaults_and_fallbacks_are_assumed() {
        let found = sites(
            "service:\n  name: orders\nprovider:\n  stage: ${opt:stage, 'staging'}\n  iamRoleStatements:\n    - Effect: Allow\n      Action: sqs:SendMessage\n      Resource: '*'\n",
        );
        assert_eq!(
            named(&found[0]),
            ["provider.iam.role Assumed(\"orders-staging-us-east-1-lambdaRole\")"]
        );
        assert!(found[0].notes[0].message.contains("taken as `staging`"));
    }

    #[test]
    fn a_function_role_of_its_own_and_inheritance() {
        let found = sites(
            "service: svc\nprovider:\n  stage: dev\n  region: us-east-1\n  iamRoleStatements:\n    - Effect: Allow\n      Action: logs:*\n      Resource: '*'\nfunctions:\n  resize:\n    handler: h.resize\n    iamRoleStatementsInherit: true\n    iamRoleStatements:\n      - Effect: Allow\n        Action: [s3:GetObject, s3:PutObject]\n        Resource: 'arn:aws:s3:::${self:custom.bucket}/*'\n  a-function-whose-name-is-long-enough:\n    iamRoleStatements:\n      - Effect: Allow\n        Action: s3:ListBucket\n        Resource: '*'\n",
        );
        let owners: Vec<&str> = found.iter().map(|s| s.owner.as_str()).collect();
        assert_eq!(
            owners,
            [
                "provider.iamRoleStatements",
                "functions.resize.iamRoleStatements",
                "functions.a-function-whose-name-is-long-enough.iamRoleStatements"
            ]
        );
        assert_eq!(
            named(&found[0]),
            [
                "provider.iam.role Exact(\"svc-dev-us-east-1-lambdaRole\")",
                "functions.resize Exact(\"svc-dev-resize-us-east-1-lambdaRole\")"
            ]
        );
        assert_eq!(
            named(&found[2]),
            // With `-lambdaRole` it would be 65 characters.
            [
                "functions.a-function-whose-name-is-long-enough Exact(\"svc-dev-a-function-whose-name-is-long-enough-us-east-1\")"
            ]
        );
    }

    #[test]
    fn the_stage_and_region_deployed_with_are_exact() {
        let text = "service: orders\nprovider:\n  stage: ${opt:stage, 'dev'}\n  iamRoleStatements:\n    - Effect: Allow\n      Action: sqs:SendMessage\n      Resource: '*'\n";
        let deploy = ServerlessDeploy {
            stage: Some("prod".into()),
            region: Some("eu-west-1".into()),
        };
        let found = sites_deployed(text, &deploy);
        assert_eq!(
            named(&found[0]),
            ["provider.iam.role Exact(\"orders-prod-eu-west-1-lambdaRole\")"]
        );
        assert!(found[0].notes.is_empty());
    }

    #[test]
    fn self_references_to_literals_are_followed() {
        let found = sites(
            "service: shop-${self:custom.name}\ncustom:\n  name: orders\n  stage: prod\nprovider:\n  stage: ${self:custom.stage}\n  region: eu-west-1\n  iamRoleStatements:\n    - Effect: Allow\n      Action: sqs:SendMessage\n      Resource: '*'\n",
        );
        assert_eq!(
            named(&found[0]),
            ["provider.iam.role Exact(\"shop-orders-prod-eu-west-1-lambdaRole\")"]
        );
        // Another variable is only known when the framework runs.
        let found = sites(
            "service: shop-${env:NAME}\nprovider:\n  iamRoleStatements:\n    - Effect: Allow\n      Action: sqs:SendMessage\n      Resource: '*'\n",
        );
        assert_eq!(named(&found[0]), ["provider.iam.role Unknown"]);
    }

    #[test]
    fn statements_are_prepared_as_a_templates_are() {
        // Statements from a file are only known when the framework runs: said, not passed over.
        let found = sites(
            "service: svc\nprovider:\n  stage: dev\n  region: us-east-1\n  iamRoleStatements: ${file(./iam.yml)}\n",
        );
        assert!(
            found[0]
                .notes
                .iter()
                .any(|n| n.message.contains("is undecidable")),
            "{:?}",
            found[0].notes
        );
        // Statements an alias shares with a function: an edit would change both.
        let found = sites(
            "service: svc\nprovider:\n  stage: dev\n  region: us-east-1\n  iamRoleStatements: &shared\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: '*'\nfunctions:\n  f:\n    iamRoleStatements: *shared\n",
        );
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|s| s.frozen.is_some()), "{found:?}");
    }

    #[test]
    fn a_custom_role_is_not_the_frameworks() {
        let found = sites(
            "service: svc\nprovider:\n  stage: dev\n  region: us-east-1\n  role: arn:aws:iam::123456789012:role/shared\n  iamRoleStatements:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: '*'\n",
        );
        assert_eq!(named(&found[0]), ["provider.iam.role Unknown"]);
        assert!(!found[0].principals_complete);
    }
}
