//! Whom a policy reaches: roles, users and groups of the module, named as far as the source tells,
//! through `role`/`user`/`group` arguments, attachments, `managed_policy_arns` and group membership.

use iamprune_policy::{PrincipalKind, PrincipalName, PrincipalRef, Reach, SiteNote};

use crate::ir::{Block, Expr, ExprKind};
use crate::scope::{Instance, Located, Scope, mentions_instance};

pub(crate) fn resource_type(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::Role => "aws_iam_role",
        PrincipalKind::User => "aws_iam_user",
        PrincipalKind::Group => "aws_iam_group",
    }
}

/// The resource blocks of a module with the file each is in.
pub(crate) struct Resources<'a> {
    pub blocks: Vec<(usize, &'a Block)>,
    /// The first resource of each type and label: every policy looks up the principals it names, and
    /// a search of every block for each would grow with the square of the module.
    by_address: std::collections::HashMap<(&'a str, &'a str), (usize, &'a Block)>,
}

impl<'a> Resources<'a> {
    pub fn new(scope: &Scope<'a>) -> Self {
        let blocks: Vec<(usize, &'a Block)> = scope
            .files
            .iter()
            .enumerate()
            .flat_map(|(file, f)| f.body.blocks.iter().map(move |b| (file, b)))
            .filter(|(_, b)| b.ident == "resource" || b.ident == "module")
            .collect();
        let mut by_address = std::collections::HashMap::new();
        for &(file, block) in &blocks {
            if let (true, [rtype, label, ..]) = (block.ident == "resource", block.labels.as_slice())
            {
                by_address
                    .entry((rtype.as_str(), label.as_str()))
                    .or_insert((file, block));
            }
        }
        Resources { blocks, by_address }
    }

    pub fn of_type<'r>(&'r self, rtype: &'r str) -> impl Iterator<Item = (usize, &'a Block)> + 'r {
        self.blocks.iter().copied().filter(move |(_, b)| {
            b.ident == "resource" && b.labels.first().is_some_and(|t| t == rtype)
        })
    }

    pub fn find(&self, rtype: &str, label: &str) -> Option<(usize, &'a Block)> {
        self.by_address.get(&(rtype, label)).copied()
    }
}

/// Whom a policy of a module reaches, found through the module's resources.
pub(crate) struct ReachFinder<'s, 'a> {
    pub scope: &'s Scope<'a>,
    pub resources: Resources<'a>,
}

/// `aws_iam_role.app` and, for an instance, `aws_iam_role.app["key"]` / `[0]`.
fn declared_as(rtype: &str, label: &str, instance: &Instance) -> String {
    match (&instance.each_key, instance.count_index) {
        (Some(key), _) => format!("{rtype}.{label}[\"{key}\"]"),
        (None, Some(i)) => format!("{rtype}.{label}[{i}]"),
        (None, None) => format!("{rtype}.{label}"),
    }
}

impl<'s, 'a> ReachFinder<'s, 'a> {
    pub fn new(scope: &'s Scope<'a>) -> Self {
        ReachFinder {
            scope,
            resources: Resources::new(scope),
        }
    }

    /// The principals a role, user or group resource declares: one per literal instance.
    pub fn identity(&self, kind: PrincipalKind, file: usize, block: &Block) -> Reach {
        let rtype = resource_type(kind);
        let label = block.labels.get(1).map_or("?", String::as_str);
        let (attr, prefix) = match (block.body.attr("name"), block.body.attr("name_prefix")) {
            (Some(a), _) => (a, false),
            (None, Some(a)) => (a, true),
            (None, None) => {
                return Reach::unknown(kind, declared_as(rtype, label, &Instance::default()));
            }
        };
        let at = Located {
            file,
            expr: &attr.value,
        };
        let instances = match self.scope.instances(file, block) {
            Some(list) => list,
            // Instances that only evaluation can list still share one name when the name does not
            // depend on the instance (typically `count = var.create ? 1 : 0`).
            None if !mentions_instance(self.scope.text(file), &attr.value) => {
                vec![Instance::default()]
            }
            None => return Reach::unknown(kind, declared_as(rtype, label, &Instance::default())),
        };
        let mut reach = Reach::default();
        for instance in &instances {
            let name = match self.scope.string(at, instance) {
                Some(n) if prefix => PrincipalName::Prefix(n),
                Some(n) if self.scope.certain_string(at, instance).is_some() => {
                    PrincipalName::Exact(n)
                }
                Some(n) => PrincipalName::Assumed(n),
                None => PrincipalName::Unknown,
            };
            reach.merge(Reach {
                principals: vec![PrincipalRef {
                    kind,
                    name,
                    declared_as: declared_as(rtype, label, instance),
                }],
                complete: reach.complete,
                notes: Vec::new(),
            });
        }
        reach
    }

    /// The principals an argument such as `role = aws_iam_role.app.name` names, for each instance of
    /// the block that holds it.
    pub fn target(&self, kind: PrincipalKind, file: usize, block: &Block, expr: &Expr) -> Reach {
        // `for_each = aws_iam_role.app` with `role = each.value.name`: every instance of that role.
        let rtype = resource_type(kind);
        let each_resource = block
            .body
            .attr("for_each")
            .and_then(|f| match f.value.ref_path() {
                Some([root, label]) if root == rtype => Some(label),
                _ => None,
            });
        if let (Some(label), Some([each, value, ..])) = (each_resource, expr.ref_path()) {
            if each == "each" && value == "value" {
                return match self.resources.find(rtype, label) {
                    Some((f, b)) => self.identity(kind, f, b),
                    None => Reach::unknown(kind, format!("{rtype}.{label}")),
                };
            }
        }
        let instances = match self.scope.instances(file, block) {
            Some(list) => list,
            None if !mentions_instance(self.scope.text(file), expr) => vec![Instance::default()],
            None => {
                let text = expr.span.slice(self.scope.text(file)).unwrap_or("?");
                return Reach::unknown(kind, crate::embedded::short(text));
            }
        };
        let mut reach = Reach::default();
        for instance in &instances {
            reach.merge(self.target_one(kind, file, expr, instance));
        }
        reach
    }

    fn target_one(
        &self,
        kind: PrincipalKind,
        file: usize,
        expr: &Expr,
        instance: &Instance,
    ) -> Reach {
        let rtype = resource_type(kind);
        if let Some([root, label, ..]) = expr.ref_path() {
            if root == rtype {
                return match self.resources.find(rtype, label) {
                    Some((f, block)) => self.identity(kind, f, block),
                    None => Reach::unknown(kind, format!("{rtype}.{label}")),
                };
            }
        }
        let at = Located { file, expr };
        match self.scope.string(at, instance) {
            Some(name) if self.scope.certain_string(at, instance).is_none() => {
                self.by_name(kind, &name, PrincipalName::Assumed(name.clone()))
            }
            Some(name) => self.by_name(kind, &name, PrincipalName::Exact(name.clone())),
            None => {
                let text = expr.span.slice(self.scope.text(file)).unwrap_or("?");
                Reach::unknown(kind, crate::embedded::short(text))
            }
        }
    }

    /// A principal named by a string (`role = "app"`): the module's resource of that name if there is
    /// one, else the name as is (`as_named`: exact, or assumed when the string comes from a variable).
    fn by_name(&self, kind: PrincipalKind, name: &str, as_named: PrincipalName) -> Reach {
        let rtype = resource_type(kind);
        for (file, block) in self.resources.of_type(rtype) {
            let reach = self.identity(kind, file, block);
            if reach.principals.iter().any(|p| match &p.name {
                PrincipalName::Exact(n) | PrincipalName::Assumed(n) => n == name,
                _ => false,
            }) {
                return reach;
            }
        }
        Reach {
            principals: vec![PrincipalRef {
                kind,
                name: as_named,
                declared_as: name.to_string(),
            }],
            complete: true,
            notes: Vec::new(),
        }
    }

    /// A list argument (`roles = [...]`, `users = var.users`).
    pub fn targets(&self, kind: PrincipalKind, file: usize, block: &Block, expr: &Expr) -> Reach {
        match &expr.kind {
            ExprKind::Array(items) => {
                let mut reach = Reach::default();
                for item in items {
                    reach.merge(self.target(kind, file, block, item));
                }
                reach
            }
            _ => match self
                .scope
                .list(Located { file, expr }, &Instance::default())
            {
                Some(names) => {
                    // A list that only variables' defaults tell is assumed, like a name from one.
                    let certain = self
                        .scope
                        .certain_list(Located { file, expr }, &Instance::default())
                        .is_some();
                    let mut reach = Reach::default();
                    for name in names {
                        let as_named = if certain {
                            PrincipalName::Exact(name.clone())
                        } else {
                            PrincipalName::Assumed(name.clone())
                        };
                        reach.merge(self.by_name(kind, &name, as_named));
                    }
                    reach
                }
                None => {
                    let text = expr.span.slice(self.scope.text(file)).unwrap_or("?");
                    Reach::unknown(kind, crate::embedded::short(text))
                }
            },
        }
    }

    /// A group and the users that are its members in this module.
    pub fn group_with_members(&self, group: Reach) -> Reach {
        let mut reach = group.clone();
        let names: Vec<String> = group
            .principals
            .iter()
            .filter_map(|p| match &p.name {
                PrincipalName::Exact(n) | PrincipalName::Assumed(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let labels: Vec<String> = group
            .principals
            .iter()
            .map(|p| {
                p.declared_as
                    .split('[')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let mentions_group = |file: usize, expr: &Expr| {
            let text = expr.span.slice(self.scope.text(file)).unwrap_or_default();
            labels.iter().any(|l| text.contains(&format!("{l}.")))
                || self
                    .scope
                    .list(Located { file, expr }, &Instance::default())
                    .or_else(|| {
                        self.scope
                            .string(Located { file, expr }, &Instance::default())
                            .map(|s| vec![s])
                    })
                    .is_some_and(|list| list.iter().any(|g| names.contains(g)))
        };
        for (file, block) in self.resources.of_type("aws_iam_user_group_membership") {
            if let (Some(user), Some(groups)) = (block.body.attr("user"), block.body.attr("groups"))
            {
                let hit = match &groups.value.kind {
                    ExprKind::Array(items) => items.iter().any(|g| mentions_group(file, g)),
                    _ => mentions_group(file, &groups.value),
                };
                if hit {
                    reach.merge(self.target(PrincipalKind::User, file, block, &user.value));
                }
            }
        }
        for (file, block) in self.resources.of_type("aws_iam_group_membership") {
            if let (Some(g), Some(users)) = (block.body.attr("group"), block.body.attr("users")) {
                if mentions_group(file, &g.value) {
                    reach.merge(self.targets(PrincipalKind::User, file, block, &users.value));
                }
            }
        }
        reach
    }

    /// The roles and users of the module whose `permissions_boundary` is `aws_iam_policy.<label>`.
    pub fn bounded_by(&self, label: &str) -> Vec<String> {
        let needle = format!("aws_iam_policy.{label}.");
        self.resources
            .blocks
            .iter()
            .filter(|(_, b)| b.ident == "resource")
            .filter(|(file, b)| {
                b.body.attr("permissions_boundary").is_some_and(|a| {
                    a.value
                        .span
                        .slice(self.scope.text(*file))
                        .is_some_and(|t| t.contains(&needle))
                })
            })
            .map(|(_, b)| b.labels.join("."))
            .collect()
    }

    /// Everything a managed policy `aws_iam_policy.<label>` is attached to in this module.
    /// `owner` is the policy's block, where a note about a missing attachment points.
    pub fn attachments(&self, label: &str, owner: iamprune_syntax::Span) -> Reach {
        let needle = format!("aws_iam_policy.{label}.");
        let mentions = |file: usize, expr: &Expr| {
            expr.span
                .slice(self.scope.text(file))
                .is_some_and(|t| t.contains(&needle))
        };
        let mut reach = Reach::default();
        let mut found = false;
        // An output hands the policy to whatever reads the module's outputs or state, which may attach
        // it to principals this module does not know.
        for (file, source) in self.scope.files.iter().enumerate() {
            for block in source.body.blocks.iter().filter(|b| b.ident == "output") {
                if block
                    .body
                    .attr("value")
                    .is_some_and(|a| mentions(file, &a.value))
                {
                    found = true;
                    reach.merge(Reach::incomplete(SiteNote {
                        span: owner,
                        message: format!(
                            "the policy is handed out by `output.{}`: whoever reads it may attach the \
                             policy elsewhere, so it is not narrowed (list whom it reaches in \
                             iamprune.toml [principals])",
                            block.labels.first().map_or("?", String::as_str)
                        ),
                    }));
                }
            }
        }
        for &(file, block) in &self.resources.blocks {
            let body = &block.body;
            if block.ident == "module" {
                if body.attrs.iter().any(|a| mentions(file, &a.value)) {
                    found = true;
                    reach.merge(Reach::incomplete(SiteNote {
                        span: block.span,
                        message: format!(
                            "the policy is passed to `module.{}`, which is not followed",
                            block.labels.first().map_or("?", String::as_str)
                        ),
                    }));
                }
                continue;
            }
            let rtype = block.labels.first().map_or("", String::as_str);
            let policy_arn = body
                .attr("policy_arn")
                .is_some_and(|a| mentions(file, &a.value));
            let arg = |name: &str| body.attr(name).map(|a| &a.value);
            let part = match rtype {
                "aws_iam_role_policy_attachment" if policy_arn => {
                    arg("role").map(|e| self.target(PrincipalKind::Role, file, block, e))
                }
                "aws_iam_user_policy_attachment" if policy_arn => {
                    arg("user").map(|e| self.target(PrincipalKind::User, file, block, e))
                }
                "aws_iam_group_policy_attachment" if policy_arn => arg("group").map(|e| {
                    self.group_with_members(self.target(PrincipalKind::Group, file, block, e))
                }),
                "aws_iam_policy_attachment" if policy_arn => {
                    let mut r = Reach::default();
                    if let Some(e) = arg("roles") {
                        r.merge(self.targets(PrincipalKind::Role, file, block, e));
                    }
                    if let Some(e) = arg("users") {
                        r.merge(self.targets(PrincipalKind::User, file, block, e));
                    }
                    if let Some(e) = arg("groups") {
                        r.merge(self.group_with_members(self.targets(
                            PrincipalKind::Group,
                            file,
                            block,
                            e,
                        )));
                    }
                    Some(r)
                }
                "aws_iam_role_policy_attachments_exclusive"
                    if arg("policy_arns").is_some_and(|e| mentions(file, e)) =>
                {
                    arg("role_name").map(|e| self.target(PrincipalKind::Role, file, block, e))
                }
                "aws_iam_role" if arg("managed_policy_arns").is_some_and(|e| mentions(file, e)) => {
                    Some(self.identity(PrincipalKind::Role, file, block))
                }
                _ => None,
            };
            if let Some(part) = part {
                found = true;
                reach.merge(part);
            }
        }
        if !found {
            reach.merge(Reach::incomplete(SiteNote {
                span: owner,
                message: "no attachment of this policy was found in the module".into(),
            }));
        }
        reach
    }
}
