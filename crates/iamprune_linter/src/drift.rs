//! A catalog behind the findings. Narrowing a wildcard keeps the actions the catalog knows were used;
//! an action AWS added after the catalog's data, matched by the wildcard and used, is one the catalog
//! cannot keep, and the narrowed pattern would lose it. So wildcards are not narrowed when the findings
//! are newer than the catalog's data, nor in a service whose unused actions the findings name but the
//! catalog does not know, unless the configuration accepts the catalog's age. Exact actions, whole
//! unused services and `NotAction` lists do not depend on the catalog's completeness and are fixed
//! either way.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use iamprune_catalog::{Catalog, Pattern, PatternKind};
use iamprune_findings::{FindingsSet, PrincipalFindings};
use iamprune_policy::PolicyDocument;

use crate::context::MatchedPrincipal;
use crate::{Level, Message};

/// Why the wildcards of a site are not narrowed with this catalog; empty when they may be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// The latest date the site's findings were analyzed and the catalog's data date, when the first
    /// is later.
    pub newer: Option<(String, String)>,
    /// Services (lower case) whose unused actions the findings name but the catalog does not know.
    pub services: BTreeSet<String>,
    /// Services (lower case) of exact actions the policy itself names but the catalog does not know.
    pub named_in_policy: BTreeSet<String>,
}

impl Drift {
    /// What the findings of a site's principals, and the site's own document, say of the catalog.
    pub fn of_site(
        catalog: &Catalog,
        principals: &[MatchedPrincipal],
        document: &PolicyDocument,
    ) -> Drift {
        Drift::of(
            catalog,
            principals.iter().filter_map(|p| p.findings.as_deref()),
        )
        .with_policy(catalog, document)
    }

    /// Also what the document itself says of the catalog: the services of exact actions it names
    /// that the catalog does not know.
    pub fn with_policy(mut self, catalog: &Catalog, document: &PolicyDocument) -> Drift {
        self.named_in_policy = document
            .statements
            .iter()
            .filter_map(|s| s.actions.as_ref())
            .flat_map(|block| &block.elements)
            .filter_map(|element| element.pattern())
            .filter(|p| p.kind() == PatternKind::Exact && catalog.lookup(p.as_str()).is_none())
            .filter_map(|p| {
                p.as_str()
                    .split_once(':')
                    .map(|(s, _)| s.to_ascii_lowercase())
            })
            .filter(|service| !catalog.service_range(service).is_empty())
            .collect();
        self
    }

    /// Why some wildcard of `document` may not be narrowed with this catalog, once; `None` when every
    /// one may be.
    pub fn first_block(&self, document: &PolicyDocument) -> Option<String> {
        document
            .statements
            .iter()
            .filter_map(|s| s.actions.as_ref())
            .flat_map(|block| &block.elements)
            .filter_map(|element| element.pattern())
            .find_map(|p| self.blocks(p.as_str()))
    }

    /// What findings say of the catalog.
    pub fn of<F: std::ops::Deref<Target = PrincipalFindings>>(
        catalog: &Catalog,
        findings: impl Iterator<Item = F>,
    ) -> Drift {
        // One pass: the findings may be merged for it and dropped after (an organization's).
        let mut analyzed: Option<String> = None;
        let mut services = BTreeSet::new();
        // Principals share their actions: each is looked up in the catalog once, not once a
        // principal (an organization's export names a few hundred actions a million times).
        let mut looked_up: HashSet<String> = HashSet::new();
        for f in findings {
            if let Some(day) = f.analyzed_at.as_deref().and_then(date) {
                if analyzed.as_deref().is_none_or(|latest| day > latest) {
                    analyzed = Some(day.to_string());
                }
            }
            for action in f.unused_actions.keys() {
                if looked_up.contains(action.as_str()) {
                    continue;
                }
                looked_up.insert(action.clone());
                if catalog.lookup(action).is_some() {
                    continue;
                }
                if let Some((service, _)) = action.split_once(':') {
                    if !catalog.service_range(service).is_empty() {
                        services.insert(service.to_ascii_lowercase());
                    }
                }
            }
        }
        let newer = catalog_date(catalog)
            .zip(analyzed)
            .filter(|(data, analyzed)| analyzed.as_str() > *data)
            .map(|(data, analyzed)| (analyzed, data.to_string()));
        Drift {
            newer,
            services,
            named_in_policy: BTreeSet::new(),
        }
    }

    /// Why `pattern` (an element of an `Action` list) may not be narrowed, or `None` when it may.
    pub fn blocks(&self, pattern: &str) -> Option<String> {
        if Pattern::new(pattern).kind() == PatternKind::Exact {
            return None;
        }
        if let Some((analyzed, data)) = &self.newer {
            return Some(format!(
                "the catalog's data ({data}) is older than the findings ({analyzed})"
            ));
        }
        let service = pattern
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())?;
        if self.services.contains(&service) {
            return Some(format!(
                "the findings name `{service}` actions the catalog does not know"
            ));
        }
        self.named_in_policy
            .contains(&service)
            .then(|| format!("the policy names `{service}` actions the catalog does not know"))
    }
}

/// `YYYY-MM-DD` at the start of a timestamp.
fn date(timestamp: &str) -> Option<&str> {
    let day = timestamp.get(..10)?;
    let well_formed = day.bytes().enumerate().all(|(i, b)| {
        if i == 4 || i == 7 {
            b == b'-'
        } else {
            b.is_ascii_digit()
        }
    });
    well_formed.then_some(day)
}

/// The date of the catalog's data, from its source line (`…, data 2026-09-26`).
fn catalog_date(catalog: &Catalog) -> Option<&str> {
    let (_, after) = catalog.source().rsplit_once("data ")?;
    date(after)
}

/// The one note of a run whose findings are ahead of its catalog, with what to do; `None` when they
/// are not, or the configuration accepts it.
pub fn note(catalog: &Catalog, findings: &FindingsSet, config: &Path) -> Option<Message> {
    let drift = Drift::of(catalog, findings.principals().map(|p| &**p));
    let mut why = Vec::new();
    if let Some((analyzed, data)) = &drift.newer {
        why.push(format!(
            "the findings (analyzed up to {analyzed}) are newer than the catalog's data ({data}), so \
             an action AWS added since may have been used and is unknown to it"
        ));
    }
    if !drift.services.is_empty() {
        let services: Vec<&str> = drift.services.iter().map(String::as_str).collect();
        why.push(format!(
            "the findings name actions of {} that the catalog does not know",
            services.join(", ")
        ));
    }
    if why.is_empty() {
        return None;
    }
    Some(Message {
        level: Level::Note,
        file: config.to_path_buf(),
        span: None,
        message: format!(
            "{}: wildcards are not narrowed (their fixes are shown, not applied). Use a newer catalog \
             (a newer iamprune, or `--catalog`), or accept the risk with `accept-catalog-age = true` \
             in iamprune.toml or `--accept-catalog-age`",
            why.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_tsv(
            "# source: test, data 2026-09-26\ns3\tGetObject\tRead\ns3\tGetBucketAcl\tRead\n",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn principal(analyzed: &str, unused: &[&str]) -> MatchedPrincipal {
        let findings = PrincipalFindings {
            principal: iamprune_findings::Principal::Any,
            unused_actions: unused
                .iter()
                .map(|a| (a.to_string(), Default::default()))
                .collect(),
            unused_services: Default::default(),
            facts: Vec::new(),
            analyzed_at: Some(analyzed.to_string()),
            updated_at: None,
            sources: Vec::new(),
        };
        MatchedPrincipal {
            label: "app".into(),
            findings: Some(std::sync::Arc::new(findings)),
            declared_as: None,
            tie: crate::context::Tie::Name,
        }
    }

    #[test]
    fn newer_findings_block_every_wildcard_and_no_exact_action() {
        let drift = of_principals(&[principal("2026-11-20T08:00:00Z", &[])]);
        assert_eq!(
            drift.newer,
            Some(("2026-11-20".to_string(), "2026-09-26".to_string()))
        );
        assert!(drift.blocks("s3:Get*").is_some());
        assert!(drift.blocks("ec2:Describe*").is_some());
        assert_eq!(drift.blocks("s3:GetObject"), None);
    }

    #[test]
    fn unknown_actions_block_their_service_only() {
        let drift = of_principals(&[principal(
            "2026-09-01T00:00:00Z",
            &["s3:GetBucketAbac", "s3:GetObject"],
        )]);
        assert_eq!(drift.newer, None);
        assert_eq!(drift.services, BTreeSet::from(["s3".to_string()]));
        assert!(drift.blocks("s3:Get*").is_some());
        assert_eq!(drift.blocks("sqs:*"), None);
    }

    #[test]
    fn older_findings_block_nothing() {
        let drift = of_principals(&[principal("2026-09-26T23:00:00Z", &["s3:GetObject"])]);
        assert_eq!(drift, Drift::default());
    }

    fn of_principals(principals: &[MatchedPrincipal]) -> Drift {
        Drift::of(
            &catalog(),
            principals.iter().filter_map(|p| p.findings.as_deref()),
        )
    }

    #[test]
    fn an_action_the_policy_names_and_the_catalog_does_not_know_blocks_its_service() {
        let node = iamprune_syntax::json::parse(
            r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:GetBucketQuantum", "ec2:Nope"], "Resource": "*"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let document = PolicyDocument::from_node(&node).unwrap_or_else(|e| panic!("{}", e.message));
        let drift = Drift::of_site(&catalog(), &[], &document);
        // `ec2` is a service this catalog does not have at all: a typo of a service says nothing of s3.
        assert_eq!(drift.named_in_policy, BTreeSet::from(["s3".to_string()]));
        assert!(
            drift
                .blocks("s3:Get*")
                .is_some_and(|why| why.contains("the policy names `s3`"))
        );
    }
}
