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
    /// The AWS account the scanned source deploys to, when known: findings about principals of other
    /// accounts (an organisation-wide export) are not matched by name.
    pub account: Option<String>,
}

/// How many sites the process resolved: once per site and check, as the engine's tests hold it.
static RESOLVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many sites [`Resolver::resolve`] has resolved in this process.
pub fn sites_resolved() -> usize {
    RESOLVED.load(std::sync::atomic::Ordering::Relaxed)
}

/// The outcome for one site.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    pub principals: Vec<MatchedPrincipal>,
    /// Every principal the site reaches could be named.
    pub complete: bool,
}

impl Resolution {
    /// Nothing matched to findings yet: complete as far as the source names every principal.
    pub fn unresolved(site: &PolicySite) -> Resolution {
        Resolution {
            principals: Vec::new(),
            complete: site.principals_complete,
        }
    }
}

impl Resolver {
    pub fn resolve(&self, site: &PolicySite, findings: &FindingsSet) -> Resolution {
        RESOLVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
            if reference.name == PrincipalName::Unknown
                && self.explicitly_mapped_to(reference, site).is_empty()
            {
                complete = false;
            }
            let mapped = self.explicitly_mapped_to(reference, site);
            let matched: Vec<&PrincipalFindings> = findings
                .principals()
                .filter(|p| match &p.principal {
                    // A reference the configuration maps is tied to exactly the ARNs mapped to it.
                    Principal::Arn(arn) if !mapped.is_empty() => mapped.contains(&arn.raw.as_str()),
                    _ => mapped.is_empty() && self.matches_by_name(reference, p),
                })
                .collect();
            if let PrincipalName::Generated {
                stack: Some(stack),
                logical_id,
            } = &reference.name
            {
                // A name CloudFormation cut to 64 characters could belong to another role of the stack
                // whose logical id starts the same way: not known for sure, so not narrowed.
                let full = format!("{stack}-{logical_id}-");
                if matched.iter().any(|p| match &p.principal {
                    Principal::Arn(arn) => !arn.name.starts_with(&full),
                    Principal::Any => false,
                }) {
                    complete = false;
                }
            }
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

    /// The ARNs the configuration maps to this reference.
    fn explicitly_mapped_to(&self, reference: &PrincipalRef, site: &PolicySite) -> Vec<&str> {
        self.explicit
            .iter()
            .filter(|(_, owner)| owner_matches(owner, reference, site))
            .map(|(arn, _)| arn.as_str())
            .collect()
    }

    fn matches_by_name(&self, reference: &PrincipalRef, found: &PrincipalFindings) -> bool {
        let Principal::Arn(arn) = &found.principal else {
            return false;
        };
        if self.explicit.contains_key(&arn.raw) {
            // Mapped ARNs are tied only to what they are mapped to.
            return false;
        }
        if self
            .account
            .as_ref()
            .is_some_and(|account| *account != arn.account)
        {
            return false;
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
            // Terraform appends a 26-digit unique id to a `name_prefix`; any other name that merely
            // starts with the prefix is another principal.
            PrincipalName::Prefix(prefix) => {
                arn.name
                    .get(..prefix.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
                    && arn.name.get(prefix.len()..).is_some_and(|rest| {
                        rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_digit())
                    })
            }
            PrincipalName::Generated {
                stack: Some(stack),
                logical_id,
            } => iamprune_cfn::generated_name_matches(stack, logical_id, &arn.name),
            PrincipalName::Generated { stack: None, .. } | PrincipalName::Unknown => false,
        }
    }
}

/// `aws_iam_role.app` matches `aws_iam_role.app`; `AppRole` matches the logical id `AppRole`;
/// `Stack/AppRole` matches it only in that stack (a CDK construct path, or a name generated in it).
fn owner_matches(owner: &str, reference: &PrincipalRef, site: &PolicySite) -> bool {
    if owner == reference.declared_as {
        return true;
    }
    let Some((stack, id)) = owner.rsplit_once('/') else {
        return false;
    };
    if id != reference.declared_as {
        return false;
    }
    let in_construct = site
        .construct_path
        .as_deref()
        .is_some_and(|path| path.split('/').next() == Some(stack));
    let in_generated =
        matches!(&reference.name, PrincipalName::Generated { stack: Some(s), .. } if s == stack);
    in_construct || in_generated
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
