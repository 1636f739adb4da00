//! Which roles and users an identity policy of a template reaches, and how their names are known.

use iamprune_policy::{PrincipalKind, PrincipalName, PrincipalRef, Reach};
use iamprune_syntax::{Node, NodeKind};

use crate::intrinsic::{Target, as_intrinsic, substitute, target};

/// The resources of one template, and what is known about the stack it is deployed as.
pub(crate) struct ReachFinder<'a> {
    resources: Vec<(&'a str, &'a Node)>,
    /// The template's `Outputs`, by name.
    outputs: Vec<(&'a str, &'a Node)>,
    stack_name: Option<&'a str>,
    account: Option<&'a str>,
}

/// The principals a policy reaches, and whether some of them are users reached through a group, whose
/// members may also be added outside the template.
#[derive(Debug, Default)]
pub(crate) struct GroupedReach {
    pub found: Reach,
    pub through_group: bool,
}

impl GroupedReach {
    fn add(&mut self, principal: PrincipalRef) {
        self.found.add(principal);
    }
}

const ROLE: &str = "AWS::IAM::Role";
const USER: &str = "AWS::IAM::User";
const GROUP: &str = "AWS::IAM::Group";
const SAM_FUNCTIONS: [&str; 2] = ["AWS::Serverless::Function", "AWS::Serverless::StateMachine"];

fn resource_type(resource: &Node) -> Option<&str> {
    resource.get("Type")?.value.as_str()
}

fn property<'a>(resource: &'a Node, key: &str) -> Option<&'a Node> {
    Some(&resource.get("Properties")?.value.get(key)?.value)
}

/// The items of a list property; an expression in place of the list is one unfollowable item.
fn items(node: &Node) -> Vec<&Node> {
    match node.as_array() {
        Some(items) => items.iter().collect(),
        None => vec![node],
    }
}

/// Whether a value refers to the resource `id`: `Ref`, `Fn::GetAtt`, or `${id}` / `${id.Attr}` in a
/// `Fn::Sub`, anywhere inside it.
fn refers_to(node: &Node, id: &str) -> bool {
    if let Some((name, arg)) = as_intrinsic(node) {
        match name {
            "Ref" if arg.as_str() == Some(id) => return true,
            "Fn::GetAtt" if matches!(target(node), Target::GetAtt(t) if t == id) => return true,
            "Fn::Sub" => {
                let template = arg
                    .as_array()
                    .and_then(|a| a.first())
                    .unwrap_or(arg)
                    .as_str()
                    .unwrap_or_default();
                if template.contains(&format!("${{{id}}}"))
                    || template.contains(&format!("${{{id}."))
                {
                    return true;
                }
            }
            _ => {}
        }
    }
    match &node.kind {
        NodeKind::Array(items) => items.iter().any(|n| refers_to(n, id)),
        NodeKind::Object(members) => members.iter().any(|m| refers_to(&m.value, id)),
        _ => false,
    }
}

impl<'a> ReachFinder<'a> {
    pub(crate) fn new(
        resources: Vec<(&'a str, &'a Node)>,
        outputs: Vec<(&'a str, &'a Node)>,
        stack_name: Option<&'a str>,
        account: Option<&'a str>,
    ) -> Self {
        ReachFinder {
            resources,
            outputs,
            stack_name,
            account,
        }
    }

    /// The roles and users whose `PermissionsBoundary` is the managed policy `policy_id`.
    pub(crate) fn bounded_by(&self, policy_id: &str) -> Vec<&'a str> {
        self.of_type(&[ROLE, USER])
            .filter(|(_, r)| {
                property(r, "PermissionsBoundary").is_some_and(|b| refers_to(b, policy_id))
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// The outputs that hand the resource `id` (its ARN or name) to whoever reads the stack: another
    /// stack may attach a policy given that way, which this template cannot see.
    pub(crate) fn outputs_of(&self, id: &str) -> Vec<&'a str> {
        self.outputs
            .iter()
            .filter(|(_, output)| output.get("Value").is_some_and(|v| refers_to(&v.value, id)))
            .map(|(name, _)| *name)
            .collect()
    }

    fn resource(&self, id: &str) -> Option<&'a Node> {
        self.resources
            .iter()
            .find(|(rid, _)| *rid == id)
            .map(|(_, node)| *node)
    }

    fn of_type(&self, types: &[&str]) -> impl Iterator<Item = (&'a str, &'a Node)> + '_ {
        let types: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        self.resources
            .iter()
            .filter(move |(_, r)| resource_type(r).is_some_and(|t| types.iter().any(|x| x == t)))
            .copied()
    }

    /// The principals an identity policy of resource `owner_id` reaches. `path` is the place of the
    /// document inside the resource's `Properties`.
    pub(crate) fn reach(&self, owner_id: &str, owner: &Node) -> GroupedReach {
        let mut reach = GroupedReach::default();
        match resource_type(owner).unwrap_or_default() {
            ROLE => reach.add(self.principal(PrincipalKind::Role, owner_id, owner)),
            USER => reach.add(self.principal(PrincipalKind::User, owner_id, owner)),
            GROUP => self.group_members(&mut reach, Target::Ref(owner_id)),
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                for (key, kind) in [
                    ("Roles", PrincipalKind::Role),
                    ("Users", PrincipalKind::User),
                    ("Groups", PrincipalKind::Group),
                ] {
                    if let Some(list) = property(owner, key) {
                        for item in items(list) {
                            self.attached(&mut reach, kind, item);
                        }
                    }
                }
                if resource_type(owner) == Some("AWS::IAM::ManagedPolicy") {
                    self.managed_policy_users(&mut reach, owner_id);
                }
            }
            "AWS::IAM::RolePolicy" => {
                self.named(&mut reach, PrincipalKind::Role, owner, "RoleName")
            }
            "AWS::IAM::UserPolicy" => {
                self.named(&mut reach, PrincipalKind::User, owner, "UserName")
            }
            "AWS::IAM::GroupPolicy" => {
                self.named(&mut reach, PrincipalKind::Group, owner, "GroupName");
            }
            t if SAM_FUNCTIONS.contains(&t) => self.sam_role(&mut reach, owner_id, owner),
            _ => reach.found.complete = false,
        }
        reach
    }

    /// A role or user declared in the template.
    fn principal(&self, kind: PrincipalKind, id: &str, resource: &Node) -> PrincipalRef {
        let key = match kind {
            PrincipalKind::Role => "RoleName",
            PrincipalKind::User => "UserName",
            PrincipalKind::Group => "GroupName",
        };
        // With the name written twice, which one CloudFormation takes depends on its parser.
        let written_twice = resource
            .get("Properties")
            .and_then(|p| p.value.as_object())
            .is_some_and(|members| members.iter().filter(|m| m.key == key).count() > 1);
        let name = if written_twice {
            PrincipalName::Unknown
        } else {
            self.name(kind, property(resource, key), id)
        };
        PrincipalRef {
            kind,
            name,
            declared_as: id.to_string(),
        }
    }

    fn name(&self, kind: PrincipalKind, value: Option<&Node>, id: &str) -> PrincipalName {
        let Some(value) = value else {
            return self.generated(kind, id);
        };
        if let Some(s) = value.as_str() {
            return PrincipalName::Exact(s.to_string());
        }
        match as_intrinsic(value) {
            Some(("Fn::Sub", arg)) => substitute(arg, self.stack_name, self.account)
                .map_or(PrincipalName::Unknown, PrincipalName::Exact),
            _ => PrincipalName::Unknown,
        }
    }

    fn unknown(kind: PrincipalKind, declared_as: &str) -> PrincipalRef {
        PrincipalRef {
            kind,
            name: PrincipalName::Unknown,
            declared_as: declared_as.to_string(),
        }
    }

    /// One entry of `Roles`/`Users`/`Groups`: a literal name or a reference to a resource of the
    /// template (`Ref` of a role, user or group gives its name).
    fn attached(&self, reach: &mut GroupedReach, kind: PrincipalKind, item: &Node) {
        let t = target(item);
        if kind == PrincipalKind::Group {
            self.group_members(reach, t);
            return;
        }
        let wanted = if kind == PrincipalKind::Role {
            ROLE
        } else {
            USER
        };
        match t {
            Target::Literal(name) => {
                let declared = self
                    .of_type(&[wanted])
                    .find(|(id, r)| {
                        self.principal(kind, id, r).name == PrincipalName::Exact(name.into())
                    })
                    .map_or(name, |(id, _)| id);
                reach.add(PrincipalRef {
                    kind,
                    name: PrincipalName::Exact(name.to_string()),
                    declared_as: declared.to_string(),
                });
            }
            Target::Ref(id) | Target::GetAtt(id) => match self.resource(id) {
                Some(r) if resource_type(r) == Some(wanted) => {
                    reach.add(self.principal(kind, id, r))
                }
                _ => reach.add(Self::unknown(kind, id)),
            },
            Target::Other => reach.add(Self::unknown(kind, "an expression")),
        }
    }

    /// `RoleName`/`UserName`/`GroupName` of a `RolePolicy`/`UserPolicy`/`GroupPolicy`.
    fn named(&self, reach: &mut GroupedReach, kind: PrincipalKind, owner: &Node, key: &str) {
        match property(owner, key) {
            Some(value) => self.attached(reach, kind, value),
            None => reach.found.complete = false,
        }
    }

    /// The users of a group: those whose `Groups` name it, and `UserToGroupAddition`s. Members added
    /// outside the template cannot be seen.
    fn group_members(&self, reach: &mut GroupedReach, group: Target<'_>) {
        reach.through_group = true;
        let (group_id, group_name) = match group {
            Target::Ref(id) | Target::GetAtt(id) => match self.resource(id) {
                Some(r) if resource_type(r) == Some(GROUP) => {
                    let name = property(r, "GroupName").and_then(Node::as_str);
                    (Some(id), name)
                }
                _ => {
                    reach.add(Self::unknown(PrincipalKind::Group, id));
                    return;
                }
            },
            Target::Literal(name) => {
                let id = self
                    .of_type(&[GROUP])
                    .find(|(_, r)| property(r, "GroupName").and_then(Node::as_str) == Some(name));
                (id.map(|(id, _)| id), Some(name))
            }
            Target::Other => {
                reach.add(Self::unknown(PrincipalKind::Group, "an expression"));
                return;
            }
        };
        // The group stands for its members that the template does not declare (anyone may add a user
        // to it): unnamed, so the policy is narrowed only when a mapping lists them.
        reach.add(Self::unknown(
            PrincipalKind::Group,
            group_id.or(group_name).unwrap_or("a group"),
        ));
        let names_group = |item: &Node| match target(item) {
            Target::Ref(id) | Target::GetAtt(id) => Some(id) == group_id,
            Target::Literal(name) => Some(name) == group_name,
            Target::Other => false,
        };
        for (id, user) in self.of_type(&[USER]) {
            if property(user, "Groups").is_some_and(|g| items(g).into_iter().any(names_group)) {
                reach.add(self.principal(PrincipalKind::User, id, user));
            }
        }
        for (_, addition) in self.of_type(&["AWS::IAM::UserToGroupAddition"]) {
            if property(addition, "GroupName").is_some_and(names_group) {
                if let Some(users) = property(addition, "Users") {
                    for item in items(users) {
                        self.attached(reach, PrincipalKind::User, item);
                    }
                }
            }
        }
    }

    /// Roles, users and groups of the template whose `ManagedPolicyArns` name the managed policy
    /// `policy_id`, and SAM functions whose `Policies` do.
    fn managed_policy_users(&self, reach: &mut GroupedReach, policy_id: &str) {
        let names_policy = |item: &Node| matches!(target(item), Target::Ref(id) | Target::GetAtt(id) if id == policy_id);
        for (id, r) in self.of_type(&[ROLE, USER, GROUP]) {
            let listed = property(r, "ManagedPolicyArns")
                .is_some_and(|arns| items(arns).into_iter().any(names_policy));
            if !listed {
                continue;
            }
            match resource_type(r) {
                Some(ROLE) => reach.add(self.principal(PrincipalKind::Role, id, r)),
                Some(USER) => reach.add(self.principal(PrincipalKind::User, id, r)),
                _ => self.group_members(reach, Target::Ref(id)),
            }
        }
        for (id, f) in self.of_type(&SAM_FUNCTIONS) {
            if property(f, "Policies").is_some_and(|p| items(p).into_iter().any(names_policy)) {
                self.sam_role(reach, id, f);
            }
        }
    }

    /// The name CloudFormation generates for the resource `logical_id`, with the other resources of the
    /// template whose names it generates as well (roles of SAM functions included).
    fn generated(&self, kind: PrincipalKind, logical_id: &str) -> PrincipalName {
        let (wanted, key) = match kind {
            PrincipalKind::Role => (ROLE, "RoleName"),
            PrincipalKind::User => (USER, "UserName"),
            PrincipalKind::Group => (GROUP, "GroupName"),
        };
        let mut rivals: Vec<String> = self
            .of_type(&[wanted])
            .filter(|(id, r)| *id != logical_id && property(r, key).is_none())
            .map(|(id, _)| id.to_string())
            .collect();
        if kind == PrincipalKind::Role {
            rivals.extend(
                self.of_type(&SAM_FUNCTIONS)
                    .filter(|(_, f)| property(f, "Role").is_none())
                    .map(|(id, _)| format!("{id}Role"))
                    .filter(|id| id != logical_id),
            );
        }
        PrincipalName::Generated {
            stack: self.stack_name.map(str::to_string),
            logical_id: logical_id.to_string(),
            rivals,
        }
    }

    /// The role of a SAM function: its `Role`, or the role the transform creates, `<Id>Role`.
    fn sam_role(&self, reach: &mut GroupedReach, id: &str, function: &Node) {
        match property(function, "Role") {
            None => reach.add(PrincipalRef {
                kind: PrincipalKind::Role,
                name: self.generated(PrincipalKind::Role, &format!("{id}Role")),
                declared_as: id.to_string(),
            }),
            Some(role) => match target(role) {
                Target::Ref(rid) | Target::GetAtt(rid) => match self.resource(rid) {
                    Some(r) if resource_type(r) == Some(ROLE) => {
                        reach.add(self.principal(PrincipalKind::Role, rid, r));
                    }
                    _ => reach.add(Self::unknown(PrincipalKind::Role, rid)),
                },
                Target::Literal(arn) => reach.add(PrincipalRef {
                    kind: PrincipalKind::Role,
                    name: Self::role_arn(arn).unwrap_or(PrincipalName::Unknown),
                    declared_as: id.to_string(),
                }),
                Target::Other => reach.add(Self::unknown(PrincipalKind::Role, id)),
            },
        }
    }

    /// A role given by its ARN (`arn:aws:iam::123456789012:role/path/name`): the name is the last part.
    fn role_arn(arn: &str) -> Option<PrincipalName> {
        let (_, path) = arn.split_once(":role/")?;
        let name = path.rsplit('/').next()?;
        (!name.is_empty() && !name.contains("${")).then(|| PrincipalName::Exact(name.to_string()))
    }
}
