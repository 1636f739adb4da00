//! Policies written in the rules' unit tests, checked as `Linter::lint_site` checks a site, with the
//! July 2024 seed catalog: what a test expects does not move when the embedded catalog is updated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use iamprune_catalog::Catalog;
use iamprune_findings::{FindingsSet, LoadOptions};
use iamprune_policy::{PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Purpose, Syntax};
use iamprune_syntax::Span;
use serde_json::Value;

use crate::{Diagnostic, Linter, Rule, fix};

pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let path = testdata("seed/catalog-2024-07.tsv");
        Catalog::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

/// Findings in the simple-list form, which hold for every principal: `s3:GetBucketAcl` is an unused
/// action, `sqs` (no colon) a service none of whose actions was used.
pub fn unused(names: &[&str]) -> String {
    // One entry for each service: each entry says that the actions of its service it does not list
    // were used, so two entries of one service would cancel each other out.
    let mut services: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for name in names {
        let (service, action) = name.split_once(':').unwrap_or((name, ""));
        let actions = services.entry(service).or_default();
        actions.extend(Some(action).filter(|a| !a.is_empty()));
    }
    let entries: Vec<Value> = services
        .into_iter()
        .map(|(service, actions)| {
            if actions.is_empty() {
                serde_json::json!({"serviceNamespace": service})
            } else {
                serde_json::json!({"serviceNamespace": service, "actions": actions})
            }
        })
        .collect();
    Value::Array(entries).to_string()
}

/// A JSON array of the catalog's actions whose names start with `prefix`.
pub fn actions(prefix: &str) -> Value {
    let catalog = catalog();
    catalog
        .prefix_range(prefix)
        .map(|id| Value::from(catalog.name(id)))
        .collect()
}

/// One policy document, attached to the role `AppRole`, and the findings about it.
pub struct Case {
    pub site: PolicySite,
    text: String,
    findings: Option<FindingsSet>,
    /// `max-patterns`, when not the default.
    max_patterns: Option<usize>,
}

impl Case {
    /// A managed policy, written as JSON.
    pub fn policy(document: Value) -> Case {
        Case::from_text(serde_json::to_string_pretty(&document).unwrap_or_default())
    }

    /// A managed policy of one statement, which allows `actions` on every resource.
    pub fn allow(actions: Value) -> Case {
        Case::policy(serde_json::json!({"Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": "*"}
        ]}))
    }

    fn from_text(text: String) -> Case {
        let file = PathBuf::from("policy.json");
        let document = iamprune_syntax::json::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        Case {
            site: PolicySite {
                file: file.clone(),
                owner: "policy".into(),
                owner_file: file,
                owner_span: Span::new(0, 1),
                construct_path: None,
                account: None,
                purpose: Purpose::ManagedPolicy,
                document,
                syntax: Syntax::Json,
                principals: vec![PrincipalRef {
                    kind: PrincipalKind::Role,
                    name: PrincipalName::Exact("AppRole".into()),
                    declared_as: "AppRole".into(),
                }],
                principals_complete: true,
                notes: Vec::new(),
                frozen: None,
            },
            text,
            findings: None,
            max_patterns: None,
        }
    }

    /// With findings in any format the findings loader reads; a simple list is about `AppRole`.
    pub fn findings(mut self, text: &str) -> Case {
        let mut set = FindingsSet::new();
        let options = LoadOptions {
            principal: Some("arn:aws:iam::123456789012:role/AppRole".into()),
        };
        set.load_str(text, Path::new("findings.json"), &options)
            .unwrap_or_else(|e| panic!("{e}"));
        self.findings = Some(set);
        self
    }

    /// An inline policy of the role rather than a managed policy.
    pub fn inline(mut self) -> Case {
        self.site.purpose = Purpose::InlinePolicy;
        self
    }

    /// Checked with `max-patterns = max`.
    pub fn max_patterns(mut self, max: usize) -> Case {
        self.max_patterns = Some(max);
        self
    }

    /// What checking the policy gives: every rule's diagnostics and the analysis.
    pub fn report(&self) -> crate::SiteReport {
        let mut linter = Linter::new(catalog(), self.findings.as_ref());
        // `AppRole` is deployed to the account of the findings' ARNs, and only there.
        linter.resolver.accounts = ["123456789012".to_string()].into();
        if let Some(max) = self.max_patterns {
            linter.max_patterns = max;
        }
        let report = linter.lint_site(&self.site, &self.text, false);
        assert!(report.messages.is_empty(), "{:?}", report.messages);
        report
    }

    /// What `rule` reports on the policy.
    pub fn check(&self, rule: Rule) -> Vec<Diagnostic> {
        let mut diagnostics = self.report().diagnostics;
        diagnostics.retain(|d| d.rule == rule);
        diagnostics
    }

    /// The one diagnostic `rule` reports on the policy.
    pub fn only(&self, rule: Rule) -> Diagnostic {
        let mut diagnostics = self.check(rule);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        diagnostics.remove(0)
    }

    /// The text a diagnostic points at.
    pub fn at(&self, span: Span) -> &str {
        span.slice(&self.text).unwrap_or_default()
    }

    /// Each diagnostic's place (the text it points at) and message.
    pub fn places<'a>(&'a self, diagnostics: &'a [Diagnostic]) -> Vec<(&'a str, &'a str)> {
        diagnostics
            .iter()
            .map(|d| (self.at(d.span), d.message.as_str()))
            .collect()
    }

    /// The document once the safe fixes of `rule` are applied, round after round as `iamprune fix`
    /// does, until none is left.
    pub fn fixed(&self, rule: Rule) -> Value {
        let mut text = self.text.clone();
        for _ in 0..10 {
            let edits = fix::select(&self.with_text(&text).check(rule)).remove(&self.site.file);
            let Some(edits) = edits else {
                return serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            };
            text = fix::apply(&self.site.file, &text, &edits).unwrap_or_else(|e| panic!("{e}"));
        }
        panic!("the fixes of {rule} do not settle");
    }

    /// The same policy, site and findings with another text.
    fn with_text(&self, text: &str) -> Case {
        let mut site = self.site.clone();
        site.document = Case::from_text(text.to_string()).site.document;
        Case {
            site,
            text: text.to_string(),
            findings: self.findings.clone(),
            max_patterns: self.max_patterns,
        }
    }
}
