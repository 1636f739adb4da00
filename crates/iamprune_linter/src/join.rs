//! What the join of a check came to, said for people: each source principal, how its deployed name is
//! known and which findings it matched; each principal the findings name and whether it reached a
//! policy (and if not, why); each identity policy that is not narrowed, and why. `iamprune principals`
//! prints it, the JSON report carries it, and the summary line and `--fail-on-unjoined` count from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use iamprune_findings::{Principal, PrincipalFindings};
use iamprune_policy::{PolicySite, PrincipalKind, PrincipalName, PrincipalRef};
use iamprune_syntax::path_order::order_key;
use serde::Serialize;

use crate::check::UnitReport;
use crate::context::Tie;
use crate::project::Project;
use crate::{Level, Message};

#[derive(Debug, Clone, Default, Serialize)]
pub struct JoinReport {
    /// Every role, user and group an identity policy of the source reaches.
    pub principals: Vec<SourcePrincipal>,
    /// Every principal the findings say left something unused.
    pub findings: Vec<FindingPrincipal>,
    /// Identity policies that findings reach but that are not narrowed.
    pub policies: Vec<PolicyGaps>,
    /// `[principals]` entries that name nothing in the source.
    #[serde(skip)]
    pub mapping_errors: Vec<Message>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourcePrincipal {
    /// `aws_iam_role.app`, `module.app.aws_iam_role.this`, `AppRole`.
    pub declared_as: String,
    pub kind: &'static str,
    /// The module directory or template it is declared in.
    pub unit: PathBuf,
    /// How its deployed name is known.
    pub named_by: NamedBy,
    /// The name, the prefix, or `STACK-LOGICALID-*`; `None` when computed.
    pub name: Option<String>,
    /// The finding principals it is deployed as, and how each was tied to it.
    pub deployed: Vec<Deployed>,
    /// The policies that reach it.
    pub policies: Vec<String>,
}

/// How a source principal's deployed name is known; serialized as the words the reports print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    Literal,
    Variables,
    Prefix,
    Generated,
    GeneratedWithoutStack,
    Computed,
}

impl NamedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            NamedBy::Literal => "literal",
            NamedBy::Variables => "variables (default or variable file)",
            NamedBy::Prefix => "name prefix",
            NamedBy::Generated => "generated",
            NamedBy::GeneratedWithoutStack => "generated, stack not known",
            NamedBy::Computed => "computed",
        }
    }
}

impl Serialize for NamedBy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Deployed {
    pub arn: String,
    /// `name` (matched by name), `mapping` (iamprune.toml [principals]) or `deployment FILE`.
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingPrincipal {
    pub arn: String,
    pub joined: bool,
    /// Why it reached no policy, and what to do; `None` when it did.
    pub reason: Option<String>,
    /// The findings files that name it.
    pub sources: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyGaps {
    pub owner: String,
    pub file: PathBuf,
    pub reasons: Vec<String>,
}

/// What one unit adds to the join, taken while its sites, analyses and texts are at hand: a check of
/// a repository then need not hold them to its end.
#[derive(Debug, Clone, Default)]
pub struct UnitJoin {
    /// The source principals the unit's identity policies reach, with what they were tied to.
    principals: Vec<SourcePrincipal>,
    policies: Vec<PolicyGaps>,
    /// The labels of the finding principals that reached one of its policies.
    joined: BTreeSet<String>,
    /// For each `[principals]` entry, in the configuration's order: whether the unit holds what it
    /// names.
    mappings_found: Vec<bool>,
    /// The names the unit declares, the closest of which a mapping that names nothing is told of;
    /// only taken when some mapping names nothing in this unit.
    candidates: Vec<String>,
}

impl UnitJoin {
    /// The part of a checked unit, `mappings` being the configuration's `[principals]`.
    pub fn of(report: &UnitReport, mappings: &BTreeMap<String, String>) -> UnitJoin {
        let mut part = UnitJoin::default();
        let mut principals: BTreeMap<(PathBuf, String), SourcePrincipal> = BTreeMap::new();
        for (site, analysis) in report.sites.iter().zip(&report.analyses) {
            if !site.purpose.grants_identity() {
                continue;
            }
            // A Terraform unit is one configuration; an assembly holds one stack per template, and
            // a logical id names a different principal in each.
            let place = match report.unit.kind {
                crate::units::UnitKind::TerraformModule => &report.unit.path,
                _ => &site.owner_file,
            };
            for reference in &site.principals {
                let key = (place.clone(), reference.declared_as.clone());
                let entry = principals
                    .entry(key)
                    .or_insert_with(|| source_principal(reference, place));
                add_policy(entry, &site.owner);
                for matched in &analysis.resolution.principals {
                    if matched.findings.is_none()
                        || matched.declared_as.as_deref() != Some(&reference.declared_as)
                    {
                        continue;
                    }
                    let by = match &matched.tie {
                        Tie::Name => "name".to_string(),
                        Tie::Mapping => "mapping".to_string(),
                        Tie::Deployment(file) => format!("deployment {}", file.display()),
                    };
                    add_deployed(
                        entry,
                        Deployed {
                            arn: matched.label.clone(),
                            by,
                        },
                    );
                }
            }
            if let Some(gaps) = policy_gaps(site, analysis) {
                part.policies.push(gaps);
            }
        }
        part.principals = principals.into_values().collect();
        part.joined = report
            .analyses
            .iter()
            .flat_map(|analysis| &analysis.resolution.principals)
            .filter(|p| p.findings.is_some())
            .map(|p| p.label.clone())
            .collect();
        part.mappings_found = mappings
            .values()
            .map(|owner| names(owner, report))
            .collect();
        if part.mappings_found.contains(&false) {
            part.candidates = report
                .sites
                .iter()
                .flat_map(|site| {
                    site.principals
                        .iter()
                        .map(|r| r.declared_as.clone())
                        .chain(std::iter::once(site.owner.clone()))
                })
                .collect();
        }
        part
    }
}

fn add_policy(principal: &mut SourcePrincipal, owner: &str) {
    if !principal.policies.iter().any(|p| p == owner) {
        principal.policies.push(owner.to_string());
    }
}

fn add_deployed(principal: &mut SourcePrincipal, deployed: Deployed) {
    if !principal.deployed.contains(&deployed) {
        principal.deployed.push(deployed);
    }
}

/// How many finding principals that reach no policy get a note of their own.
pub const UNJOINED_NOTES: usize = 20;

impl JoinReport {
    /// The join of the units of one project's check, from each unit's part. `whole_project`: the
    /// check covered the directory of the configuration, so a mapping that matches nothing there
    /// matches nothing at all.
    pub fn build(project: &Project, reports: &[UnitReport], whole_project: bool) -> JoinReport {
        let mut report = JoinReport::default();
        if whole_project {
            report.mapping_errors = mapping_errors(project, reports);
        }
        // In the order of their units' paths, compared as bytes (see `order_key`).
        let mut principals: BTreeMap<(Vec<u8>, &str), SourcePrincipal> = BTreeMap::new();
        for unit in reports {
            for principal in &unit.join.principals {
                let key = (order_key(&principal.unit), principal.declared_as.as_str());
                match principals.get_mut(&key) {
                    Some(entry) => {
                        for owner in &principal.policies {
                            add_policy(entry, owner);
                        }
                        for deployed in &principal.deployed {
                            add_deployed(entry, deployed.clone());
                        }
                    }
                    None => {
                        principals.insert(key, principal.clone());
                    }
                }
            }
            report.policies.extend(unit.join.policies.iter().cloned());
        }
        report.principals = principals.into_values().collect();
        let Some(findings) = &project.findings else {
            return report;
        };
        let joined: BTreeSet<&str> = reports
            .iter()
            .flat_map(|unit| &unit.join.joined)
            .map(String::as_str)
            .collect();
        let unjoined = Unjoined::new(project.accounts(), &report.principals);
        for found in findings.principals().filter(|p| says_unused(p)) {
            let Principal::Arn(arn) = &found.principal else {
                continue;
            };
            let is_joined = joined.contains(arn.raw.as_str());
            report.findings.push(FindingPrincipal {
                arn: arn.raw.clone(),
                joined: is_joined,
                reason: (!is_joined).then(|| unjoined.reason(arn)),
                sources: found.sources.clone(),
            });
        }
        report
    }

    /// How many finding principals reached a policy.
    pub fn joined(&self) -> usize {
        self.findings.iter().filter(|f| f.joined).count()
    }

    /// Adds the join of another project's check.
    pub fn extend(&mut self, other: JoinReport) {
        self.principals.extend(other.principals);
        self.findings.extend(other.findings);
        self.policies.extend(other.policies);
        self.mapping_errors.extend(other.mapping_errors);
    }

    /// One note per finding principal that reached no policy, at the findings file that names it, and
    /// an error per mapping that names nothing. Past [`UNJOINED_NOTES`] principals, one note counts
    /// the rest and says where each is named: an organization's export joins a repository in a few
    /// principals and misses the other million, which a note each would bury.
    pub fn messages(&self) -> Vec<Message> {
        let unjoined: Vec<&FindingPrincipal> = self
            .findings
            .iter()
            .filter(|f| f.reason.is_some())
            .collect();
        let notes = unjoined.iter().take(UNJOINED_NOTES).filter_map(|f| {
            Some(Message {
                level: Level::Note,
                file: f.sources.first().cloned().unwrap_or_default(),
                span: None,
                message: format!(
                    "the findings for {} reach no policy: {}",
                    f.arn,
                    f.reason.as_deref()?
                ),
            })
        });
        let rest = unjoined.get(UNJOINED_NOTES..).unwrap_or_default();
        let summary = rest.first().map(|first| Message {
            level: Level::Note,
            file: first.sources.first().cloned().unwrap_or_default(),
            span: None,
            message: format!(
                "the findings for {} more principal{} reach no policy; `iamprune principals` names \
                 each, and the JSON report's `join.findings` says why",
                rest.len(),
                if rest.len() == 1 { "" } else { "s" }
            ),
        });
        self.mapping_errors
            .iter()
            .cloned()
            .chain(notes)
            .chain(summary)
            .collect()
    }
}

fn source_principal(reference: &PrincipalRef, unit: &Path) -> SourcePrincipal {
    let (named_by, name) = match &reference.name {
        PrincipalName::Exact(name) => (NamedBy::Literal, Some(name.clone())),
        PrincipalName::Assumed(name) => (NamedBy::Variables, Some(name.clone())),
        PrincipalName::Prefix(prefix) => (NamedBy::Prefix, Some(format!("{prefix}*"))),
        PrincipalName::Generated {
            stack: Some(stack),
            logical_id,
            ..
        } => (NamedBy::Generated, Some(format!("{stack}-{logical_id}-*"))),
        PrincipalName::Generated {
            stack: None,
            logical_id,
            ..
        } => (
            NamedBy::GeneratedWithoutStack,
            Some(format!("STACK-{logical_id}-*")),
        ),
        PrincipalName::Unknown => (NamedBy::Computed, None),
    };
    SourcePrincipal {
        declared_as: reference.declared_as.clone(),
        kind: kind_name(reference.kind),
        unit: unit.to_path_buf(),
        named_by,
        name,
        deployed: Vec::new(),
        policies: Vec::new(),
    }
}

fn kind_name(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::Role => "role",
        PrincipalKind::User => "user",
        PrincipalKind::Group => "group",
    }
}

/// Why findings that reach a policy do not narrow it: a gap in whom it reaches, or a principal it
/// reaches that no finding names (it may use everything). `None` when findings reach nothing or it is
/// narrowed as far as they allow.
fn policy_gaps(site: &PolicySite, analysis: &crate::SiteAnalysis) -> Option<PolicyGaps> {
    let resolution = &analysis.resolution;
    let with_findings = resolution
        .principals
        .iter()
        .filter(|p| p.findings.is_some())
        .count();
    if with_findings == 0 {
        return None;
    }
    let mut reasons: Vec<String> = resolution
        .gaps
        .iter()
        .map(|gap| gap.message(&site.owner))
        .collect();
    if resolution.complete() {
        reasons.extend(
            resolution
                .principals
                .iter()
                .filter(|p| p.findings.is_none())
                .map(|p| match &p.tie {
                    Tie::Deployment(file) => format!(
                        "{} (deployed per {}) has no findings: it may use every action, so what the others left unused stays",
                        p.label,
                        file.display()
                    ),
                    _ => format!(
                        "{} has no findings: it may use every action, so what the others left unused stays",
                        p.label
                    ),
                }),
        );
    }
    (!reasons.is_empty()).then(|| PolicyGaps {
        owner: site.owner.clone(),
        file: site.file.clone(),
        reasons,
    })
}

/// Whether findings name anything unused (a finding of an unused role alone joins nothing to narrow).
fn says_unused(principal: &PrincipalFindings) -> bool {
    !principal.unused_actions.is_empty() || !principal.unused_services.is_empty()
}

/// What the source says of every finding principal that reaches no policy, worked out once for all
/// of them: an organization's export misses a repository in a million principals.
struct Unjoined {
    accounts: BTreeSet<String>,
    /// Some name is generated from a stack whose name is not known.
    stack_unknown: bool,
    /// The principals whose names are computed.
    computed: Vec<String>,
}

impl Unjoined {
    /// `accounts`: those the source deploys to, as configured (none: any).
    fn new(accounts: BTreeSet<String>, principals: &[SourcePrincipal]) -> Unjoined {
        Unjoined {
            accounts,
            stack_unknown: principals
                .iter()
                .any(|p| p.named_by == NamedBy::GeneratedWithoutStack),
            computed: principals
                .iter()
                .filter(|p| p.named_by == NamedBy::Computed)
                .map(|p| p.declared_as.clone())
                .collect(),
        }
    }

    /// The likeliest reason the findings for `arn` matched no source principal, with its remedy.
    fn reason(&self, arn: &iamprune_findings::PrincipalArn) -> String {
        let mapping = format!(
            "map it in iamprune.toml [principals] as \"{}\" = \"<address or logical id>\"",
            arn.raw
        );
        if !self.accounts.is_empty() && !self.accounts.contains(&arn.account) {
            return format!(
                "it is in account {}, and the source deploys to {} (account, accounts in iamprune.toml)",
                arn.account,
                self.accounts.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        if self.stack_unknown {
            return format!(
                "no source principal is named {}, and some names are generated from a stack whose name is not known: name the stacks ([cloudformation] stack-names, or --stack-name), or {mapping}",
                arn.name
            );
        }
        if !self.computed.is_empty() {
            let shown: Vec<&str> = self.computed.iter().map(String::as_str).take(5).collect();
            return format!(
                "no source principal is named {}; {} ({}{}) may be it: {mapping}",
                arn.name,
                crate::diagnostic::count(self.computed.len(), "computed name"),
                shown.join(", "),
                if self.computed.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            );
        }
        format!(
            "no role, user or group in the scanned source is named {}: {mapping}",
            arn.name
        )
    }
}

/// Each `[principals]` entry whose right side is no policy and no principal of the source: a typo there
/// would leave a policy unjoined without a word. The error names the closest candidates.
fn mapping_errors(project: &Project, reports: &[UnitReport]) -> Vec<Message> {
    let mut errors = Vec::new();
    for (i, (arn, owner)) in project.config.principals.iter().enumerate() {
        let found = reports
            .iter()
            .any(|unit| unit.join.mappings_found.get(i).copied().unwrap_or(false));
        if found {
            continue;
        }
        let mut candidates: Vec<&str> = reports
            .iter()
            .flat_map(|unit| &unit.join.candidates)
            .map(String::as_str)
            .collect();
        candidates.sort_by_key(|c| std::cmp::Reverse(similarity(owner, c)));
        candidates.dedup();
        candidates.truncate(5);
        let listed: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        errors.push(Message {
            level: Level::Error,
            file: project.config_path.clone().unwrap_or_default(),
            span: None,
            message: format!(
                "[principals] maps \"{arn}\" to `{owner}`, which is no policy, role, user or group of the scanned source{}",
                if listed.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", listed.join(", "))
                }
            ),
        });
    }
    errors
}

/// Whether a unit holds what a mapping names: a policy, a principal a policy reaches, or something it
/// declares that no identity policy reaches (a role whose only policies are boundaries, say) — not a
/// typo, so not an error.
fn names(owner: &str, report: &UnitReport) -> bool {
    report.sites.iter().any(|site| {
        crate::resolve::site_is(owner, site)
            || site
                .principals
                .iter()
                .any(|r| crate::resolve::owner_matches(owner, r, site))
    }) || declared(owner, &report.texts)
}

/// Whether the texts declare what a mapping names: `resource "aws_iam_role" "app"` for
/// `module.x.aws_iam_role.app`, the key `AppRole` for a logical id (or `Stack/AppRole`), a file of the
/// check for a path.
fn declared(owner: &str, texts: &BTreeMap<PathBuf, String>) -> bool {
    if texts
        .keys()
        .any(|path| path.ends_with(owner.trim_start_matches("./")))
    {
        return true;
    }
    let address = owner.split('[').next().unwrap_or(owner);
    let parts: Vec<&str> = address.split('.').collect();
    if let [.., rtype, name] = parts.as_slice() {
        if rtype.starts_with("aws_") {
            let needle = format!("\"{rtype}\" \"{name}\"");
            return texts.values().any(|text| text.contains(&needle));
        }
    }
    let id = owner.rsplit('/').next().unwrap_or(owner);
    !id.is_empty()
        && texts.values().any(|text| {
            text.contains(&format!("\"{id}\":")) || text.contains(&format!("\n  {id}:"))
        })
}

/// How alike two names are: the length of their common prefix, then of their common suffix.
fn similarity(a: &str, b: &str) -> (usize, usize) {
    let prefix = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let suffix = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (prefix, suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(declared_as: &str, named_by: NamedBy) -> SourcePrincipal {
        SourcePrincipal {
            declared_as: declared_as.into(),
            kind: "role",
            unit: PathBuf::from("main.tf"),
            named_by,
            name: None,
            deployed: Vec::new(),
            policies: Vec::new(),
        }
    }

    #[test]
    fn an_unjoined_principal_is_told_the_likeliest_reason_first() {
        let arn: iamprune_findings::PrincipalArn = "arn:aws:iam::111111111111:role/app"
            .parse()
            .unwrap_or_else(|e| panic!("{e:?}"));
        let computed = [
            principal("aws_iam_role.a", NamedBy::Computed),
            principal("aws_iam_role.b", NamedBy::Literal),
        ];
        let reason = |accounts: &[&str], principals: &[SourcePrincipal]| {
            let accounts = accounts.iter().map(|a| a.to_string()).collect();
            Unjoined::new(accounts, principals).reason(&arn)
        };
        assert!(
            reason(&["222222222222"], &computed).starts_with(
                "it is in account 111111111111, and the source deploys to 222222222222"
            )
        );
        let generated = [principal("Role", NamedBy::GeneratedWithoutStack)];
        assert!(reason(&["111111111111"], &generated).contains("name the stacks"));
        assert!(
            reason(&[], &computed)
                .starts_with("no source principal is named app; 1 computed name (aws_iam_role.a)")
        );
        let literal = [principal("aws_iam_role.b", NamedBy::Literal)];
        assert!(
            reason(&[], &literal)
                .starts_with("no role, user or group in the scanned source is named app: map it")
        );
    }
}
