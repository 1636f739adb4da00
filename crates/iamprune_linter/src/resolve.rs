//! Which finding principals a site reaches, and what they all left unused.

use std::collections::BTreeMap;

use iamprune_catalog::Catalog;
use iamprune_findings::{FindingsSet, Principal, PrincipalFindings, PrincipalKind as ArnKind};
use iamprune_policy::{PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Unused, UnusedSet};

use crate::context::MatchedPrincipal;

/// How findings are tied to the principals a source declares.
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    /// Finding principal ARN → the source owner it is (`aws_iam_role.app`, `AppRole`,
    /// `Stack/AppRole`): always wins over matching by name.
    pub explicit: BTreeMap<String, String>,
}

/// The outcome for one site.
pub struct Resolution {
    pub principals: Vec<MatchedPrincipal>,
    /// Every principal the site reaches could be named.
    pub complete: bool,
}

impl Resolver {
    pub fn resolve(&self, site: &PolicySite, findings: &FindingsSet) -> Resolution {
        let mut principals = Vec::new();
        let mut complete = site.principals_complete;
        let any = findings
            .principals()
            .find(|p| p.principal == Principal::Any);
        // The configuration may name the site itself (`"arn…" = "policies/app.json"` or its owner):
        // that is how a policy whose attachments are not in the source is tied to its principals.
        let mapped: Vec<&String> = self
            .explicit
            .iter()
            .filter(|(_, owner)| site_is(owner, site))
            .map(|(arn, _)| arn)
            .collect();
        if !mapped.is_empty() && site.principals.is_empty() {
            complete = true;
        }
        for arn in mapped {
            principals.push(MatchedPrincipal {
                label: arn.clone(),
                findings: findings.for_principal(arn),
            });
        }
        for reference in &site.principals {
            if reference.name == PrincipalName::Unknown && !self.explicitly_mapped(reference) {
                complete = false;
            }
            let matched: Vec<&PrincipalFindings> = findings
                .principals()
                .filter(|p| self.matches(reference, p))
                .collect();
            if matched.is_empty() {
                principals.push(MatchedPrincipal {
                    label: describe(reference),
                    findings: any.cloned(),
                });
            }
            for found in matched {
                let label = found.principal.to_string();
                // The merged view adds what a simple list says of every principal.
                let findings = findings
                    .for_principal(&label)
                    .or_else(|| Some(found.clone()));
                principals.push(MatchedPrincipal { label, findings });
            }
        }
        Resolution {
            principals,
            complete,
        }
    }

    fn explicitly_mapped(&self, reference: &PrincipalRef) -> bool {
        self.explicit
            .values()
            .any(|owner| owner_matches(owner, reference))
    }

    fn matches(&self, reference: &PrincipalRef, found: &PrincipalFindings) -> bool {
        let Principal::Arn(arn) = &found.principal else {
            return false;
        };
        if let Some(owner) = self.explicit.get(&arn.raw) {
            return owner_matches(owner, reference);
        }
        let kind_matches = matches!(
            (reference.kind, &arn.kind),
            (PrincipalKind::Role, ArnKind::Role)
                | (PrincipalKind::User, ArnKind::User)
                | (PrincipalKind::Group, ArnKind::Group)
        );
        if !kind_matches {
            return false;
        }
        match &reference.name {
            // IAM names are unique case-insensitively.
            PrincipalName::Exact(name) => arn.name.eq_ignore_ascii_case(name),
            PrincipalName::Prefix(prefix) => arn
                .name
                .to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase()),
            PrincipalName::Generated {
                stack: Some(stack),
                logical_id,
            } => iamprune_cfn::generated_name_matches(stack, logical_id, &arn.name),
            PrincipalName::Generated { stack: None, .. } | PrincipalName::Unknown => false,
        }
    }
}

/// `aws_iam_role.app` matches `aws_iam_role.app`; `Stack/AppRole` and `AppRole` match a logical id.
fn owner_matches(owner: &str, reference: &PrincipalRef) -> bool {
    owner == reference.declared_as
        || owner.rsplit('/').next() == Some(reference.declared_as.as_str())
}

fn site_is(owner: &str, site: &PolicySite) -> bool {
    owner == site.owner || (!owner.is_empty() && site.file.ends_with(owner))
}

fn describe(reference: &PrincipalRef) -> String {
    let kind = match reference.kind {
        PrincipalKind::Role => "role",
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
    };
    match &reference.name {
        PrincipalName::Exact(name) => format!("{kind} {name}"),
        PrincipalName::Prefix(prefix) => format!("{kind} {prefix}*"),
        _ => format!("{kind} {}", reference.declared_as),
    }
}

/// What every principal left unused: `None` when nothing can be known (a principal without findings,
/// one that could not be named, or none at all).
pub fn unused_for<'c>(catalog: &'c Catalog, resolution: &Resolution) -> Option<UnusedSet<'c>> {
    if !resolution.complete || resolution.principals.is_empty() {
        return None;
    }
    let mut result: Option<UnusedSet<'c>> = None;
    for principal in &resolution.principals {
        let findings = principal.findings.as_ref()?;
        let mut unused = Unused::new();
        for action in findings.unused_actions.keys() {
            // A name the findings loader accepted is `svc:Action`; anything else cannot be unused here.
            let _ = unused.add_action(action);
        }
        for service in findings.unused_services.keys() {
            let _ = unused.add_service(service);
        }
        let set = UnusedSet::resolve(catalog, &unused);
        result = Some(match result {
            None => set,
            Some(previous) => previous.intersect(&set),
        });
    }
    result.filter(|u| !u.is_empty())
}
