//! The join: which deployed principals a site reaches, matched to their findings, and what they all left
//! unused.
//!
//! A policy in the source reaches source principals (a Terraform `aws_iam_role` address, a template's
//! logical id); each is deployed as one or more principals that findings name by ARN. What a policy
//! may lose is what every deployed principal it reaches left unused, and only when that set of
//! principals is known to be complete. Every reason it is not is a [`Gap`], which says what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use iamprune_catalog::Catalog;
use iamprune_findings::{FindingsSet, Principal, PrincipalFindings, PrincipalKind as ArnKind};
use iamprune_policy::{PolicySite, PrincipalKind, PrincipalName, PrincipalRef, Unused, UnusedSet};

use crate::context::{MatchedPrincipal, Tie};
use crate::deployments::Deployments;

/// How findings are tied to the principals a source declares.
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    /// Finding principal ARN → the source owner it is (`aws_iam_role.app`, `AppRole`,
    /// `Stack/AppRole`), or the policy itself (its owner, or its file): always wins over matching by
    /// name, and mapping a policy lists every principal it reaches.
    pub explicit: BTreeMap<String, String>,
    /// The AWS accounts the scanned source deploys to (`account`, `accounts`, `--account`). A name is
    /// matched only to findings of these accounts, and a policy is narrowed by name only when each of
    /// them has findings for the principal: an account without is one where it may have used
    /// everything. Empty: not known, so nothing matched by name alone is narrowed.
    pub accounts: BTreeSet<String>,
    /// What source principals are deployed as, where deployment evidence says.
    pub deployments: Arc<Deployments>,
}

/// How many sites the process resolved: once per site and check, as the engine's tests hold it.
static RESOLVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many sites [`Resolver::resolve`] has resolved in this process.
pub fn sites_resolved() -> usize {
    RESOLVED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Why the principals a site reaches are not known to be all of them. Each says what settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The source hands the policy somewhere the extractor does not follow (the site's notes say
    /// where).
    NotFollowed,
    /// A principal whose name the source computes, or a group, whose members outside the source are
    /// not known.
    Unnamed {
        declared_as: String,
        kind: PrincipalKind,
    },
    /// A name CloudFormation generated and cut to 64 characters, which more than one role of the stack
    /// could have, or which more than one finding's principal has.
    Ambiguous {
        declared_as: String,
        candidates: Vec<String>,
    },
    /// A principal matched by name in some of the accounts the source deploys to, not all.
    OtherAccounts {
        declared_as: String,
        without: Vec<String>,
    },
    /// A principal matched by name while the accounts the source deploys to are not configured: another
    /// account may deploy it too, with no finding because it used everything.
    AccountsUnknown {
        declared_as: String,
        seen: Vec<String>,
    },
    /// A name a variable's default or a variable file gives: another environment may deploy the
    /// principal under another name.
    Assumed { declared_as: String, name: String },
    /// A `name_prefix`: each apply (another workspace, another state) creates another principal.
    Prefix { declared_as: String },
}

impl Gap {
    /// The reason and its remedy, for a note on the site `owner`.
    pub fn message(&self, owner: &str) -> String {
        match self {
            Gap::NotFollowed => format!(
                "whom `{owner}` reaches is not fully known from the source (see the notes on it); \
                 list its principals in iamprune.toml [principals] as \"arn:aws:iam::ACCOUNT:role/NAME\" = \"{owner}\""
            ),
            Gap::Unnamed {
                declared_as,
                kind: PrincipalKind::Group,
            } => format!(
                "the members of group `{declared_as}` are not all known from the source; list them in \
                 iamprune.toml [principals] as \"arn:aws:iam::ACCOUNT:user/NAME\" = \"{declared_as}\""
            ),
            Gap::Unnamed { declared_as, kind } => format!(
                "the name of `{declared_as}` is computed; map it in iamprune.toml [principals] as \
                 \"arn:aws:iam::ACCOUNT:{}/NAME\" = \"{declared_as}\"",
                if *kind == PrincipalKind::User {
                    "user"
                } else {
                    "role"
                }
            ),
            Gap::Ambiguous {
                declared_as,
                candidates,
            } => format!(
                "the generated name of `{declared_as}` is cut to 64 characters, and {} could have that \
                 name too; map it in iamprune.toml [principals] as \"ARN\" = \"{declared_as}\", or give \
                 the stack's resources as deployment evidence (--deployment)",
                candidates.join(", ")
            ),
            Gap::OtherAccounts {
                declared_as,
                without,
            } => format!(
                "`{declared_as}` has findings in some of the accounts the source deploys to but none \
                 in {}, where it may use everything; give deployment evidence (--deployment), or map it \
                 in iamprune.toml [principals]",
                without.join(", ")
            ),
            Gap::AccountsUnknown { declared_as, seen } => format!(
                "which accounts `{declared_as}` is deployed to is not known (its findings are from {}); \
                 if that is all of them, say so with account = \"{}\" in iamprune.toml (accounts = [...] \
                 for several, or --account), or give deployment evidence (--deployment)",
                seen.join(", "),
                seen.first().map_or("ACCOUNT", String::as_str)
            ),
            Gap::Assumed { declared_as, name } => format!(
                "the name `{name}` of `{declared_as}` comes from variables, which another environment \
                 may set otherwise; give the deployments of every environment as evidence \
                 (terraform show -json, --deployment), or map it in iamprune.toml [principals]"
            ),
            Gap::Prefix { declared_as } => format!(
                "`{declared_as}` is named by `name_prefix`, so each apply creates another role; give the \
                 deployments as evidence (terraform show -json, --deployment), or map it in \
                 iamprune.toml [principals]"
            ),
        }
    }
}

/// What one resolution looks findings up in: the findings, and the accounts the site deploys to.
struct Lookup<'a> {
    findings: &'a FindingsSet,
    accounts: &'a BTreeSet<String>,
}

/// The join of one site.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// The deployed principals found, each with its findings (`None`: no finding names it, so it may
    /// use everything), or the source's name for a principal no finding named.
    pub principals: Vec<MatchedPrincipal>,
    /// Why the principals are not known to be all of them; empty when they are.
    pub gaps: Vec<Gap>,
}

impl Resolution {
    /// Nothing matched to findings yet: complete as far as the source names every principal.
    pub fn unresolved(site: &PolicySite) -> Resolution {
        Resolution {
            principals: Vec::new(),
            gaps: source_gaps(site),
        }
    }

    /// Whether every principal the site reaches is known.
    pub fn complete(&self) -> bool {
        self.gaps.is_empty()
    }
}

/// What the source alone leaves open.
fn source_gaps(site: &PolicySite) -> Vec<Gap> {
    let mut gaps = Vec::new();
    if !site.principals_complete {
        gaps.push(Gap::NotFollowed);
    }
    for reference in &site.principals {
        if reference.name == PrincipalName::Unknown {
            gaps.push(Gap::Unnamed {
                declared_as: reference.declared_as.clone(),
                kind: reference.kind,
            });
        }
    }
    gaps
}

impl Resolver {
    pub fn resolve(&self, site: &PolicySite, findings: &FindingsSet) -> Resolution {
        RESOLVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A CDK stack names its account; the configuration, when it says, rules over it.
        let own: BTreeSet<String>;
        let accounts = match &site.account {
            Some(account) if self.accounts.is_empty() => {
                own = BTreeSet::from([account.clone()]);
                &own
            }
            _ => &self.accounts,
        };
        self.resolve_in(site, &Lookup { findings, accounts })
    }

    fn resolve_in(&self, site: &PolicySite, lookup: &Lookup<'_>) -> Resolution {
        let mut resolution = Resolution::default();
        // The configuration may name the site itself (`"arn…" = "policies/app.json"` or its owner):
        // that lists whom it reaches, which is how a policy whose attachments are not all in the source
        // becomes complete.
        let site_mapped: Vec<&str> = self
            .explicit
            .iter()
            .filter(|(_, owner)| site_is(owner, site))
            .map(|(arn, _)| arn.as_str())
            .collect();
        if site_mapped.is_empty() && !site.principals_complete {
            resolution.gaps.push(Gap::NotFollowed);
        }
        for (label, found) in mapped_findings(&site_mapped, lookup.findings) {
            resolution.principals.push(MatchedPrincipal {
                label,
                findings: found,
                declared_as: None,
                tie: Tie::Mapping,
            });
        }
        for reference in &site.principals {
            self.join_reference(
                reference,
                site,
                lookup,
                !site_mapped.is_empty(),
                &mut resolution,
            );
        }
        resolution
    }

    /// Adds what one source principal is deployed as, or why that is not known.
    fn join_reference(
        &self,
        reference: &PrincipalRef,
        site: &PolicySite,
        lookup: &Lookup<'_>,
        site_mapped: bool,
        resolution: &mut Resolution,
    ) {
        let mapped = self.explicitly_mapped_to(reference, site);
        if !mapped.is_empty() {
            // A reference the configuration maps is exactly the ARNs mapped to it.
            for (label, found) in mapped_findings(&mapped, lookup.findings) {
                resolution.principals.push(MatchedPrincipal {
                    label,
                    findings: found,
                    declared_as: Some(reference.declared_as.clone()),
                    tie: Tie::Mapping,
                });
            }
            return;
        }
        let deployed = self.deployments.of(reference);
        if !deployed.is_empty() {
            // The evidence names every deployed principal: each must have findings, in every
            // environment, or the policy stays as it is.
            for deployment in deployed {
                self.join_deployment(reference, deployment, lookup, resolution);
            }
            return;
        }
        if reference.name == PrincipalName::Unknown {
            // A mapping of the whole site lists whom it reaches, this one included.
            if !site_mapped {
                resolution.gaps.push(Gap::Unnamed {
                    declared_as: reference.declared_as.clone(),
                    kind: reference.kind,
                });
            }
            return;
        }
        let matched: Vec<&Arc<PrincipalFindings>> = candidates(reference, lookup.findings)
            .filter(|p| self.matches_by_name(reference, p, lookup.accounts))
            .collect();
        if let Some(gap) = self.ambiguity(reference, &matched) {
            resolution.gaps.push(gap);
        }
        if let Some(gap) = missing_accounts(reference, &matched, lookup.accounts) {
            resolution.gaps.push(gap);
        }
        match &reference.name {
            PrincipalName::Assumed(name) => resolution.gaps.push(Gap::Assumed {
                declared_as: reference.declared_as.clone(),
                name: name.clone(),
            }),
            PrincipalName::Prefix(_) => resolution.gaps.push(Gap::Prefix {
                declared_as: reference.declared_as.clone(),
            }),
            _ => {}
        }
        if matched.is_empty() {
            resolution.principals.push(MatchedPrincipal {
                label: describe(reference),
                findings: None,
                declared_as: Some(reference.declared_as.clone()),
                tie: Tie::Name,
            });
        }
        for found in matched {
            resolution.principals.push(MatchedPrincipal {
                label: found.principal.to_string(),
                findings: Some(found.clone()),
                declared_as: Some(reference.declared_as.clone()),
                tie: Tie::Name,
            });
        }
    }

    /// One deployed principal the evidence lists for a source principal, with its findings: by ARN
    /// when the evidence has it, else by its exact name as a by-name match would.
    fn join_deployment(
        &self,
        reference: &PrincipalRef,
        deployment: &crate::deployments::Deployment,
        lookup: &Lookup<'_>,
        resolution: &mut Resolution,
    ) {
        let declared_as = Some(reference.declared_as.clone());
        let tie = Tie::Deployment(deployment.file.clone());
        if let Some(arn) = &deployment.arn {
            resolution.principals.push(MatchedPrincipal {
                label: arn.clone(),
                findings: lookup.findings.for_principal(arn),
                declared_as,
                tie,
            });
            return;
        }
        let named = PrincipalRef {
            kind: reference.kind,
            name: PrincipalName::Exact(deployment.name.clone()),
            declared_as: reference.declared_as.clone(),
        };
        let matched: Vec<&Arc<PrincipalFindings>> = candidates(&named, lookup.findings)
            .filter(|p| self.matches_by_name(&named, p, lookup.accounts))
            .collect();
        if let Some(gap) = missing_accounts(&named, &matched, lookup.accounts) {
            resolution.gaps.push(gap);
        }
        if matched.is_empty() {
            resolution.principals.push(MatchedPrincipal {
                label: describe(&named),
                findings: None,
                declared_as: declared_as.clone(),
                tie: tie.clone(),
            });
        }
        for found in matched {
            resolution.principals.push(MatchedPrincipal {
                label: found.principal.to_string(),
                findings: Some(found.clone()),
                declared_as: declared_as.clone(),
                tie: tie.clone(),
            });
        }
    }

    /// A generated name cut to 64 characters joins only when exactly one role of the stack could have
    /// it and exactly one finding's principal has it: CloudFormation keeps a prefix of the stack name
    /// and of the logical id, so two logical ids that start alike are told apart only by the random
    /// suffix, which the source cannot know. With one candidate on each side, the name can only be that
    /// role's.
    fn ambiguity(
        &self,
        reference: &PrincipalRef,
        matched: &[&Arc<PrincipalFindings>],
    ) -> Option<Gap> {
        let PrincipalName::Generated {
            stack: Some(stack),
            logical_id,
            rivals,
        } = &reference.name
        else {
            return None;
        };
        let names: Vec<&str> = matched
            .iter()
            .filter_map(|p| match &p.principal {
                Principal::Arn(arn) => Some(arn.name.as_str()),
                Principal::Any => None,
            })
            .collect();
        let cut = names
            .iter()
            .any(|n| !n.starts_with(&format!("{stack}-{logical_id}-")));
        if !cut {
            return None;
        }
        let mut candidates: Vec<String> = rivals
            .iter()
            .filter(|rival| {
                names
                    .iter()
                    .any(|n| iamprune_cfn::generated_name_matches(stack, rival, n))
            })
            .map(|rival| format!("`{rival}`"))
            .collect();
        if candidates.is_empty() && names.len() <= 1 {
            return None;
        }
        if names.len() > 1 {
            candidates.extend(names.iter().map(|n| format!("the finding for role {n}")));
        }
        Some(Gap::Ambiguous {
            declared_as: reference.declared_as.clone(),
            candidates,
        })
    }

    /// The ARNs the configuration maps to this reference.
    fn explicitly_mapped_to(&self, reference: &PrincipalRef, site: &PolicySite) -> Vec<&str> {
        self.explicit
            .iter()
            .filter(|(_, owner)| owner_matches(owner, reference, site))
            .map(|(arn, _)| arn.as_str())
            .collect()
    }

    fn matches_by_name(
        &self,
        reference: &PrincipalRef,
        found: &PrincipalFindings,
        accounts: &BTreeSet<String>,
    ) -> bool {
        let Principal::Arn(arn) = &found.principal else {
            return false;
        };
        if self.explicit.contains_key(&arn.raw)
            || self
                .explicit
                .keys()
                .any(|key| key.contains('*') && glob_matches(key, &arn.raw))
        {
            // Mapped ARNs are tied only to what they are mapped to.
            return false;
        }
        if !accounts.is_empty() && !accounts.contains(&arn.account) {
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
            PrincipalName::Exact(name) | PrincipalName::Assumed(name) => {
                arn.name.eq_ignore_ascii_case(name)
            }
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
                ..
            } => iamprune_cfn::generated_name_matches(stack, logical_id, &arn.name),
            PrincipalName::Generated { stack: None, .. } | PrincipalName::Unknown => false,
        }
    }
}

/// A name matched without knowing every account the source deploys to, or with findings missing
/// in one of them: the principal there may have used everything.
fn missing_accounts(
    reference: &PrincipalRef,
    matched: &[&Arc<PrincipalFindings>],
    accounts: &BTreeSet<String>,
) -> Option<Gap> {
    if matched.is_empty() {
        return None;
    }
    let with: BTreeSet<&str> = matched
        .iter()
        .filter_map(|p| match &p.principal {
            Principal::Arn(arn) => Some(arn.account.as_str()),
            Principal::Any => None,
        })
        .collect();
    if accounts.is_empty() {
        return Some(Gap::AccountsUnknown {
            declared_as: reference.declared_as.clone(),
            seen: with.iter().map(|a| a.to_string()).collect(),
        });
    }
    let without: Vec<String> = accounts
        .iter()
        .filter(|a| !with.contains(a.as_str()))
        .cloned()
        .collect();
    (!without.is_empty()).then(|| Gap::OtherAccounts {
        declared_as: reference.declared_as.clone(),
        without,
    })
}

/// The finding principals a name could match, found through the index by the part of the name that
/// is certain: the whole name, the `name_prefix`, or the first character of the stack (a generated
/// name cut to 64 characters keeps at least that much of it).
fn candidates<'f>(
    reference: &PrincipalRef,
    findings: &'f FindingsSet,
) -> Box<dyn Iterator<Item = &'f Arc<PrincipalFindings>> + 'f> {
    let prefix: String = match &reference.name {
        PrincipalName::Exact(name) | PrincipalName::Assumed(name) | PrincipalName::Prefix(name) => {
            name.clone()
        }
        // Short enough that CloudFormation keeps the whole `STACK-LOGICALID-`; else any name that
        // starts with a prefix of the stack (a nested stack's `PARENT-ID-*` keeps its parent part).
        PrincipalName::Generated {
            stack: Some(stack),
            logical_id,
            ..
        } => {
            if !stack.ends_with("-*") && stack.len() + logical_id.len() + 2 + 13 <= 64 {
                format!("{stack}-{logical_id}-")
            } else {
                stack.chars().take(1).collect()
            }
        }
        PrincipalName::Generated { stack: None, .. } | PrincipalName::Unknown => {
            return Box::new(std::iter::empty());
        }
    };
    Box::new(findings.principals_named_from(&prefix))
}

/// The findings of the ARNs a mapping names. A key with `*` stands for every finding principal whose
/// ARN it matches; one that matches none is a deployed principal without findings, which keeps the
/// policy as it is.
fn mapped_findings(
    keys: &[&str],
    findings: &FindingsSet,
) -> Vec<(String, Option<Arc<PrincipalFindings>>)> {
    let mut out = Vec::new();
    for key in keys {
        if !key.contains('*') {
            out.push((key.to_string(), findings.for_principal(key)));
            continue;
        }
        let before = out.len();
        let matches =
            |p: &Principal| matches!(p, Principal::Arn(arn) if glob_matches(key, &arn.raw));
        for found in findings.principals_where(matches) {
            out.push((found.principal.to_string(), Some(found.clone())));
        }
        if out.len() == before {
            out.push((key.to_string(), None));
        }
    }
    out
}

/// `*` matches any run of characters (`/` included); the rest compares ignoring ASCII case, as IAM
/// names do.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let text = text.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// `aws_iam_role.app` matches `aws_iam_role.app`; `AppRole` matches the logical id `AppRole`;
/// `Stack/AppRole` matches it only in that stack (a CDK construct path, or a name generated in it).
pub(crate) fn owner_matches(owner: &str, reference: &PrincipalRef, site: &PolicySite) -> bool {
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

/// Whether a mapping's right side names the site: its owner, or its file, given relative (with or
/// without `./`, compared from the end) or absolute (compared as real paths).
pub(crate) fn site_is(owner: &str, site: &PolicySite) -> bool {
    if owner == site.owner {
        return true;
    }
    let path = std::path::Path::new(owner);
    if path.is_absolute() {
        let real = |p: &std::path::Path| std::fs::canonicalize(p).ok();
        return real(path).is_some_and(|a| real(&site.file) == Some(a));
    }
    let relative: std::path::PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    !relative.as_os_str().is_empty() && site.file.ends_with(&relative)
}

fn describe(reference: &PrincipalRef) -> String {
    let kind = match reference.kind {
        PrincipalKind::Role => "role",
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
    };
    match &reference.name {
        PrincipalName::Exact(name) | PrincipalName::Assumed(name) => format!("{kind} {name}"),
        PrincipalName::Prefix(prefix) => format!("{kind} {prefix}*"),
        _ => format!("{kind} {}", reference.declared_as),
    }
}

/// What every principal left unused: `None` when nothing can be known (a principal without findings,
/// one that could not be named, or none at all).
pub fn unused_for<'c>(catalog: &'c Catalog, resolution: &Resolution) -> Option<UnusedSet<'c>> {
    if !resolution.complete() || resolution.principals.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_any_run_and_ignore_case() {
        assert!(glob_matches(
            "arn:aws:iam::*:role/app-*",
            "arn:aws:iam::111122223333:role/App-Prod"
        ));
        assert!(glob_matches(
            "arn:aws:iam::1:role/a",
            "arn:aws:iam::1:role/A"
        ));
        assert!(!glob_matches(
            "arn:aws:iam::*:role/app-*",
            "arn:aws:iam::1:user/app-x"
        ));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("a*b*c", "aXbYc"));
        assert!(!glob_matches("a*b*c", "aXc"));
        // The fixed ends may not overlap.
        assert!(!glob_matches("ab*ba", "aba"));
    }
}
