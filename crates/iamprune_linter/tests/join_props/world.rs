//! The ground-truth world: what the source declares, where it is deployed, who else reaches its
//! policies, and what every deployed principal used. Everything the engine may not know is in here too
//! (deployments in other accounts and environments, members of groups added by hand, roles of other
//! stacks that attach an exported policy), so that the property can hold the engine to what is true
//! rather than to what the source says.

use iamprune_catalog::{ActionSet, Catalog, Pattern};
use proptest::prelude::*;

/// Three accounts, so that one source can be deployed to several and an organisation-wide findings
/// export can cover some of them only.
pub const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
/// Environment `i` is named `ENV_NAMES[i]`; the first is what `var.env` defaults to.
pub const ENV_NAMES: [&str; 3] = ["dev", "prod", "test"];
pub const ROLE_NAMES: [&str; 4] = ["app", "worker", "batch", "etl"];
pub const USER_NAMES: [&str; 4] = ["alice", "bob", "carol", "dave"];
pub const GROUP_NAMES: [&str; 2] = ["devs", "ops"];

pub fn env_name(env: usize) -> &'static str {
    ENV_NAMES.get(env).copied().unwrap_or("env")
}

pub fn group_name(g: usize) -> &'static str {
    GROUP_NAMES[g % GROUP_NAMES.len()]
}
/// What principals use: a small pool, so that random usage often overlaps between principals (the
/// interesting case for a shared policy) and findings often say the same action is unused.
pub const USED: [&str; 8] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:GetObjectTagging",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "sqs:SendMessage",
];
/// What statements grant: the pool's actions and wildcards over them, so that refinement replaces
/// wildcards (a trailing one, an inner one, a whole service) and not only removes exact actions.
pub const PATTERNS: [&str; 12] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:GetObjectTagging",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "sqs:SendMessage",
    "s3:GetObject*",
    "s3:Get*",
    "dynamodb:*Item",
    "sqs:*",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Terraform,
    CloudFormationJson,
    CloudFormationYaml,
}

impl Format {
    pub fn is_terraform(self) -> bool {
        self == Format::Terraform
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Role,
    User,
}

impl Kind {
    pub fn arn_part(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::User => "user",
        }
    }
}

/// How a source principal's name is written, and so what the engine can know of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `name = "app"` / `RoleName: app`: one principal per account, so environments that share an
    /// account cannot use it.
    Literal,
    /// Terraform `name = "app-${var.env}"`: each environment sets `env` (the first one may leave it at
    /// its default), so the source names a different principal in each.
    EnvVar,
    /// Terraform `name_prefix = "app-"`: every deployment gets its own 26-digit suffix, even two in one
    /// account.
    Prefix,
    /// CloudFormation `!Sub "app-${Env}"` with a stack parameter: not known from the template.
    SubParam,
    /// CloudFormation `!Sub "app-${AWS::AccountId}"`: known only with the account configured.
    SubAccount,
    /// CloudFormation without a name: `STACK-LogicalId-SUFFIX`, known only with the stack name.
    Generated,
}

#[derive(Debug, Clone)]
pub struct Env {
    pub account: usize,
    /// What this environment sets `extra_action` to (an index into [`USED`]); `None`: the default.
    pub extra_action: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: Kind,
    pub naming: Naming,
    /// The groups (bits over `World::groups`) a user is a member of in the source.
    pub groups: u8,
}

#[derive(Debug, Clone)]
pub struct Group {
    /// Terraform: membership through `aws_iam_group_membership`, which owns the whole membership of
    /// the group (anyone added by hand is removed on the next apply), else through
    /// `aws_iam_user_group_membership`, which does not. CloudFormation: `UserToGroupAddition` rather
    /// than the user's `Groups` (neither keeps others out).
    pub exclusive: bool,
    /// Users added to the group outside the source, in every environment: the source cannot know them.
    pub outside_members: u8,
}

/// How a document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Terraform `jsonencode({...})`; CloudFormation: in place.
    Jsonencode,
    /// Terraform: JSON in a heredoc, the variable interpolated into it.
    Heredoc,
    /// One document every consumer of the policy uses: Terraform `data "aws_iam_policy_document"`;
    /// CloudFormation YAML: an anchor that the other consumers alias.
    DataDoc,
    /// Terraform: a `local` every consumer uses.
    Local,
    /// Terraform: a JSON file every consumer reads with `file()` (`templatefile()` with the
    /// variable).
    File,
}

impl Form {
    /// Whether every consumer uses the one document (rather than each its own copy).
    pub fn is_shared(self) -> bool {
        matches!(self, Form::DataDoc | Form::Local | Form::File)
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    /// Statements of pattern indices into [`PATTERNS`], each statement with its own `Sid`.
    pub statements: Vec<Vec<usize>>,
    /// The first statement also grants `var.extra_action` (`!Ref ExtraAction`): what it is depends on
    /// the environment, and the source shows only the default.
    pub var_action: bool,
    pub form: Form,
    /// A managed policy (attached), else inline (one resource per target).
    pub managed: bool,
    /// Bits 0..4: the principals it is attached to or inline in; bits 4..6: the groups.
    pub targets: u8,
    /// The principals (bits) whose permissions boundary it also is: a ceiling on them.
    pub boundary_of: u8,
    /// Its ARN is a Terraform `output` / a CloudFormation export, and other stacks attach it to roles
    /// of their own (`outside_roles` of them in each environment).
    pub exported: bool,
    pub outside_roles: u8,
    /// The shared document is also an organization's service control policy: a ceiling on every
    /// principal of the account.
    pub scp: bool,
    /// How attachments and inline policies are spelled (several spellings reach the same principals).
    pub style: u8,
    /// A shared managed policy's document is also an inline policy of these (bits, as `targets`):
    /// one text, written once, that two kinds of policy use.
    pub inline_too: u8,
}

/// What principals did, and what the findings export says of it.
#[derive(Debug, Clone)]
pub struct Usage {
    /// Per deployed principal (cycled): the actions of [`USED`] it used, of those it may use.
    pub masks: Vec<u8>,
    /// The accounts an analyzer covers: principals elsewhere have no findings at all.
    pub analyzed: [bool; 3],
    /// Per deployed principal (cycled): its finding is not in the export (an analyzer that has not run
    /// since, an export of some findings only).
    pub dropped: Vec<bool>,
    /// A service none of whose actions was used is reported as a whole (no `actions`), as Access
    /// Analyzer does, rather than action by action.
    pub service_level: bool,
    /// A role that used nothing gets an `UnusedIAMRole` finding rather than unused permissions.
    pub unused_role_findings: bool,
}

/// What the configuration says; everything it says is true of the world.
#[derive(Debug, Clone)]
pub struct ConfigChoice {
    /// An `iamprune.toml` (with the findings, the account, stack names and mappings); without it the
    /// findings, account and stack name are given as the command line would.
    pub toml: bool,
    /// The account the source deploys to, when it deploys to one only.
    pub account: bool,
    /// The stack name of the template, when every deployment has the same.
    pub stack_name: bool,
    /// Map every deployment of these principals (bits) to their declaration.
    pub map_principals: u8,
    /// Map the members of these groups (bits) that the source does not know to the group.
    pub map_groups: u8,
    /// Map everyone these policies (bits) reach to the policy.
    pub map_sites: u8,
}

#[derive(Debug, Clone)]
pub struct World {
    pub format: Format,
    pub envs: Vec<Env>,
    pub principals: Vec<Principal>,
    pub groups: Vec<Group>,
    pub policies: Vec<Policy>,
    /// `var.extra_action`'s default (an index into [`USED`]).
    pub var_default: usize,
    /// Whether `var.env` has a default (the first environment's name).
    pub env_default: bool,
    /// CloudFormation: each environment is its own stack name (forced when two share an account).
    pub stack_per_env: bool,
    pub usage: Usage,
    pub config: ConfigChoice,
}

fn bit(bits: u8, i: usize) -> bool {
    i < 8 && bits & (1 << i) != 0
}

fn weighted(p: f64) -> proptest::bool::Weighted {
    proptest::bool::weighted(p)
}

fn arb_env() -> impl Strategy<Value = Env> {
    (0..3usize, proptest::option::weighted(0.4, 0..USED.len())).prop_map(
        |(account, extra_action)| Env {
            account,
            extra_action,
        },
    )
}

fn arb_principal() -> impl Strategy<Value = Principal> {
    (any::<bool>(), 0..4u8, 0..4u8).prop_map(|(user, naming, groups)| Principal {
        kind: if user { Kind::User } else { Kind::Role },
        // Interpreted per format by `normalize`; Literal is 0 so that shrinking goes to it.
        naming: match naming {
            0 => Naming::Literal,
            1 => Naming::EnvVar,
            2 => Naming::Prefix,
            _ => Naming::Generated,
        },
        groups,
    })
}

fn arb_group() -> impl Strategy<Value = Group> {
    (any::<bool>(), 0..=2u8).prop_map(|(exclusive, outside_members)| Group {
        exclusive,
        outside_members,
    })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    (
        proptest::collection::vec(proptest::collection::vec(0..PATTERNS.len(), 1..=3), 1..=2),
        weighted(0.3),
        0..5u8,
        any::<bool>(),
        any::<u8>(),
        (weighted(0.2), 0..16u8),
        (weighted(0.2), 1..=2u8),
        weighted(0.3),
        0..3u8,
        (weighted(0.25), any::<u8>()),
    )
        .prop_map(
            |(
                statements,
                var_action,
                form,
                managed,
                targets,
                (bounds, boundary_of),
                (exported, outside_roles),
                scp,
                style,
                (inline_too, inline_targets),
            )| Policy {
                statements,
                var_action,
                form: match form {
                    0 => Form::Jsonencode,
                    1 => Form::Heredoc,
                    2 => Form::DataDoc,
                    3 => Form::Local,
                    _ => Form::File,
                },
                managed,
                targets,
                boundary_of: if bounds { boundary_of } else { 0 },
                exported,
                outside_roles,
                scp,
                style,
                inline_too: if inline_too { inline_targets } else { 0 },
            },
        )
}

fn arb_usage() -> impl Strategy<Value = Usage> {
    (
        proptest::collection::vec(any::<u8>(), 1..=8),
        [weighted(0.85), weighted(0.85), weighted(0.85)],
        proptest::collection::vec(weighted(0.1), 1..=8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(masks, analyzed, dropped, service_level, unused_role_findings)| Usage {
                masks,
                analyzed,
                dropped,
                service_level,
                unused_role_findings,
            },
        )
}

fn arb_config() -> impl Strategy<Value = ConfigChoice> {
    (
        weighted(0.7),
        any::<bool>(),
        any::<bool>(),
        any::<u8>(),
        0..4u8,
        any::<u8>(),
    )
        .prop_map(
            |(toml, account, stack_name, map_principals, map_groups, map_sites)| ConfigChoice {
                toml,
                account,
                stack_name,
                map_principals,
                map_groups,
                map_sites,
            },
        )
}

/// A random world, made consistent (see [`World::normalize`]).
pub fn arb_world() -> impl Strategy<Value = World> {
    (
        0..3u8,
        proptest::collection::vec(arb_env(), 1..=3),
        proptest::collection::vec(arb_principal(), 1..=4),
        proptest::collection::vec(arb_group(), 0..=2),
        proptest::collection::vec(arb_policy(), 1..=4),
        0..USED.len(),
        any::<bool>(),
        any::<bool>(),
        arb_usage(),
        arb_config(),
    )
        .prop_map(
            |(
                format,
                envs,
                principals,
                groups,
                policies,
                var_default,
                env_default,
                stack_per_env,
                usage,
                config,
            )| {
                World {
                    format: match format {
                        0 => Format::Terraform,
                        1 => Format::CloudFormationJson,
                        _ => Format::CloudFormationYaml,
                    },
                    envs,
                    principals,
                    groups,
                    policies,
                    var_default,
                    env_default,
                    stack_per_env,
                    usage,
                    config,
                }
                .normalize()
            },
        )
}

impl World {
    /// Makes a generated world one that can exist: what the format cannot spell becomes what it can,
    /// and names that two deployments in one account would share become per environment (IAM names
    /// are unique in an account). What the world says is then deployable as written.
    pub fn normalize(mut self) -> World {
        let terraform = self.format.is_terraform();
        let shared_account = self
            .envs
            .iter()
            .enumerate()
            .any(|(i, a)| self.envs.iter().skip(i + 1).any(|b| a.account == b.account));
        for principal in &mut self.principals {
            principal.naming = match (terraform, principal.naming) {
                (true, Naming::Generated) => Naming::EnvVar,
                // An `aws_iam_user` has no `name_prefix`.
                (true, Naming::Prefix) if principal.kind == Kind::User => Naming::EnvVar,
                (false, Naming::EnvVar) => Naming::SubParam,
                (false, Naming::Prefix) => Naming::SubAccount,
                (_, naming) => naming,
            };
            if shared_account {
                principal.naming = match principal.naming {
                    Naming::Literal | Naming::SubAccount if terraform => Naming::EnvVar,
                    Naming::Literal | Naming::SubAccount => Naming::SubParam,
                    naming => naming,
                };
            }
            if principal.kind == Kind::Role {
                principal.groups = 0;
            }
            principal.groups &= (1u8 << self.groups.len()) - 1;
        }
        if shared_account {
            self.stack_per_env = true;
        }
        for group in &mut self.groups {
            if terraform && group.exclusive {
                group.outside_members = 0;
            }
        }
        let principal_bits = (1u8 << self.principals.len()) - 1;
        let group_bits = ((1u8 << self.groups.len()) - 1) << 4;
        let mut bounded = 0u8;
        let yaml = self.format == Format::CloudFormationYaml;
        for policy in &mut self.policies {
            policy.targets &= principal_bits | group_bits;
            // CloudFormation shares a document only through a YAML alias; JSON writes each in place.
            policy.form = match (terraform, yaml, policy.form) {
                (true, _, form) => form,
                (false, true, form) if form.is_shared() => Form::DataDoc,
                (false, _, _) => Form::Jsonencode,
            };
            let shared = policy.form.is_shared();
            // A Terraform document written in place has one holder; a shared one any number.
            let single = terraform && !policy.managed && !shared;
            // An inline policy needs a holder (CloudFormation's `AWS::IAM::Policy` at least one of
            // `Roles`, `Users`, `Groups`).
            let needs_one = !policy.managed;
            if single {
                policy.targets &= policy.targets.wrapping_neg();
            }
            if needs_one && policy.targets == 0 {
                policy.targets = 1;
            }
            if !policy.managed {
                policy.boundary_of = 0;
                policy.exported = false;
            }
            // A principal has one permissions boundary.
            policy.boundary_of &= principal_bits & !bounded;
            bounded |= policy.boundary_of;
            if !policy.exported {
                policy.outside_roles = 0;
            }
            if !shared {
                policy.scp = false;
            }
            policy.inline_too &= principal_bits | group_bits;
            if !(shared && policy.managed) {
                policy.inline_too = 0;
            }
        }
        // The configuration can only name one account or one stack when there is one.
        let accounts: std::collections::BTreeSet<usize> =
            self.envs.iter().map(|e| e.account).collect();
        self.config.account &= accounts.len() == 1;
        self.config.stack_name &= !terraform && !self.stack_per_env;
        if !self.config.toml {
            self.config.map_principals = 0;
            self.config.map_groups = 0;
            self.config.map_sites = 0;
        }
        self.config.map_principals &= principal_bits;
        self.config.map_groups &= (1u8 << self.groups.len()) - 1;
        self.config.map_sites &= (1u8 << self.policies.len()) - 1;
        self
    }

    pub fn account(&self, env: usize) -> &'static str {
        self.envs
            .get(env)
            .and_then(|e| ACCOUNTS.get(e.account))
            .copied()
            .unwrap_or(ACCOUNTS[0])
    }

    pub fn base_name(&self, i: usize) -> &'static str {
        match self.principals.get(i).map(|p| p.kind) {
            Some(Kind::User) => USER_NAMES[i % USER_NAMES.len()],
            _ => ROLE_NAMES[i % ROLE_NAMES.len()],
        }
    }

    /// The logical id of a principal in a template (`App`), of a group (`Devs`).
    pub fn logical_id(name: &str) -> String {
        let mut chars = name.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }

    pub fn stack_name(&self, env: usize) -> String {
        if self.stack_per_env {
            format!("app-{}", env_name(env))
        } else {
            "app".to_string()
        }
    }

    /// The name principal `i` is deployed as in environment `env`.
    pub fn deployed_name(&self, i: usize, env: usize) -> String {
        let base = self.base_name(i);
        let env_name = env_name(env);
        match self.principals.get(i).map(|p| p.naming) {
            Some(Naming::EnvVar | Naming::SubParam) => format!("{base}-{env_name}"),
            // Terraform's unique id: a timestamp-like 26 digits, different per deployment.
            Some(Naming::Prefix) => format!("{base}-2026010100000000000000{env}{i}00"),
            Some(Naming::SubAccount) => format!("{base}-{}", self.account(env)),
            Some(Naming::Generated) => format!(
                "{}-{}-SFX{env}{i}ABCDEFG",
                self.stack_name(env),
                World::logical_id(base)
            ),
            _ => base.to_string(),
        }
    }

    /// Every principal that exists, in every environment: the source's, and those outside it.
    pub fn deployed(&self) -> Vec<Deployed> {
        let mut out = Vec::new();
        for (env, env_name) in ENV_NAMES.iter().enumerate().take(self.envs.len()) {
            for (i, p) in self.principals.iter().enumerate() {
                out.push(Deployed {
                    env,
                    kind: p.kind,
                    name: self.deployed_name(i, env),
                    who: Who::Source(i),
                });
            }
            for (g, group) in self.groups.iter().enumerate() {
                for k in 0..group.outside_members {
                    out.push(Deployed {
                        env,
                        kind: Kind::User,
                        name: format!("ext{k}-{}-{env_name}", group_name(g)),
                        who: Who::GroupMember(g),
                    });
                }
            }
            for (p, policy) in self.policies.iter().enumerate() {
                for k in 0..policy.outside_roles {
                    out.push(Deployed {
                        env,
                        kind: Kind::Role,
                        name: format!("other{k}-p{p}-{env_name}"),
                        who: Who::Attacher(p),
                    });
                }
            }
        }
        out
    }

    pub fn arn(&self, d: &Deployed) -> String {
        format!(
            "arn:aws:iam::{}:{}/{}",
            self.account(d.env),
            d.kind.arn_part(),
            d.name
        )
    }

    fn member_of(&self, d: &Deployed, g: usize) -> bool {
        match d.who {
            Who::Source(i) => self.principals.get(i).is_some_and(|p| bit(p.groups, g)),
            Who::GroupMember(h) => h == g,
            Who::Attacher(_) => false,
        }
    }

    /// Whether policy `p` of environment `env` grants to `d` (inline in it, attached to it or to a
    /// group it is in, or attached by another stack).
    pub fn grants_to(&self, p: usize, env: usize, d: &Deployed) -> bool {
        let Some(policy) = self.policies.get(p) else {
            return false;
        };
        if d.env != env {
            return false;
        }
        match d.who {
            Who::Source(i) if bit(policy.targets | policy.inline_too, i) => true,
            Who::Attacher(q) => q == p,
            _ => (0..self.groups.len())
                .any(|g| bit(policy.targets | policy.inline_too, 4 + g) && self.member_of(d, g)),
        }
    }

    /// Whether policy `p` of environment `env` caps `d`: its permissions boundary, or a service
    /// control policy of its account.
    pub fn caps(&self, p: usize, env: usize, d: &Deployed) -> bool {
        let Some(policy) = self.policies.get(p) else {
            return false;
        };
        let bounded = matches!(d.who, Who::Source(i) if bit(policy.boundary_of, i)) && d.env == env;
        let scp = policy.scp && self.account(d.env) == self.account(env);
        bounded || scp
    }

    /// What `var.extra_action` is in an environment.
    pub fn extra_action(&self, env: usize) -> &'static str {
        let i = self
            .envs
            .get(env)
            .and_then(|e| e.extra_action)
            .unwrap_or(self.var_default);
        USED[i % USED.len()]
    }

    /// The actions used by the `n`th deployed principal, before they are cut to what it may use.
    pub fn used_mask(&self, n: usize) -> u8 {
        let masks = &self.usage.masks;
        masks.get(n % masks.len().max(1)).copied().unwrap_or(0)
    }

    pub fn finding_dropped(&self, n: usize) -> bool {
        let dropped = &self.usage.dropped;
        dropped
            .get(n % dropped.len().max(1))
            .copied()
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone)]
pub struct Deployed {
    pub env: usize,
    pub kind: Kind,
    pub name: String,
    pub who: Who,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Source(usize),
    /// A user added to group `g` outside the source.
    GroupMember(usize),
    /// A role of another stack that attaches the exported policy `p`.
    Attacher(usize),
}

/// A statement as read from a source: its patterns, and whether it also names `var.extra_action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub patterns: Vec<String>,
    pub var_action: bool,
    /// `Allow` + `NotAction`: everything but the patterns.
    pub not_action: bool,
}

impl Grant {
    /// What the statement allows in an environment, over the whole catalog.
    pub fn allowed(&self, catalog: &Catalog, world: &World, env: usize) -> ActionSet {
        let patterns: Vec<Pattern> = self
            .patterns
            .iter()
            .map(|p| Pattern::new(p.as_str()))
            .chain(
                self.var_action
                    .then(|| Pattern::new(world.extra_action(env))),
            )
            .collect();
        let listed = catalog.expand_all(&patterns);
        if self.not_action {
            let mut all = ActionSet::from_range(catalog.len(), catalog.ids());
            all.difference_with(&listed);
            all
        } else {
            listed
        }
    }
}

/// The statements the world writes, by `Sid`.
pub fn written_grants(world: &World) -> Vec<(String, Grant)> {
    let mut out = Vec::new();
    for (p, policy) in world.policies.iter().enumerate() {
        for (s, statement) in policy.statements.iter().enumerate() {
            out.push((
                sid(p, s),
                Grant {
                    patterns: statement
                        .iter()
                        .map(|&i| PATTERNS[i % PATTERNS.len()].to_string())
                        .collect(),
                    var_action: policy.var_action && s == 0,
                    not_action: false,
                },
            ));
        }
    }
    out
}

/// The `Sid` of statement `s` of policy `p`: how a statement is found again after a fix.
pub fn sid(p: usize, s: usize) -> String {
    format!("P{p}S{s}")
}
