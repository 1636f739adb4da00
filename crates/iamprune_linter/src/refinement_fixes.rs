//! The fixes of the refinement rules, shared by IAM001–IAM003: an element is removed, replaced, or
//! its statement goes.

use iamprune_policy::{ElementRefinement, Outcome, Statement, StatementRefinement};

use crate::context::SiteContext;
use crate::diagnostic::{Applicability, Fix};
use crate::edits::{Change, Writer};

/// The site's writer: one per site, so its line index is built once.
pub fn writer<'a>(ctx: &'a SiteContext<'a>) -> &'a Writer<'a> {
    &ctx.writer
}

/// The fix for one changed element of an `Allow` + `Action` statement.
pub fn element_fix(
    ctx: &SiteContext<'_>,
    statement: &Statement,
    refinement: &StatementRefinement,
    change: &ElementRefinement,
) -> Option<Fix> {
    let block = statement.actions.as_ref()?;
    let removes_statement = matches!(
        refinement,
        StatementRefinement::Elements {
            removes_statement: true,
            ..
        }
    );
    let writer = writer(ctx);
    let (change_made, title, refined) = match &change.refinement.outcome {
        Outcome::Keep => return None,
        Outcome::Replace(patterns) => (
            Change::Replace(change.element, patterns),
            format!("replace `{}` with {}", change.original, list(patterns)),
            patterns.clone(),
        ),
        Outcome::Remove if removes_statement => (
            Change::RemoveStatement,
            "remove the statement: none of its actions is used".to_string(),
            Vec::new(),
        ),
        Outcome::Remove => (
            Change::Remove(change.element),
            format!("remove `{}`", change.original),
            Vec::new(),
        ),
    };
    // A SAM policy template holds no action: with the user's leave, the fix writes out the
    // statements it stands for, the change made.
    let (title, edits) = match writer.write_out(statement.index, change_made) {
        Some(edits) => {
            let out = "write out the statements of the SAM policy template";
            let title = match change_made {
                Change::Replace(_, patterns) => {
                    format!(
                        "{out}, `{}` replaced with {}",
                        change.original,
                        list(patterns)
                    )
                }
                Change::Remove(_) => format!("{out} without `{}`", change.original),
                Change::RemoveStatement => {
                    format!("{out} without the one none of whose actions is used")
                }
            };
            (title, edits)
        }
        None => match change_made {
            Change::Replace(i, patterns) => (title, writer.replace_element(block, i, patterns)),
            Change::Remove(i) => (title, writer.remove_element(block, i)),
            Change::RemoveStatement => match writer.remove_statement(ctx.document, statement.index)
            {
                Some(edit) => (title, vec![edit]),
                None => return Some(display_only(nothing_used(ctx.document))),
            },
        },
    };
    if edits.is_empty() {
        return Some(display_only(title));
    }
    if let Some(why) = ctx.drift.blocks(&change.original) {
        return Some(Fix {
            applicability: Applicability::DisplayOnly,
            title: format!("{title}; held back because {why}"),
            edits,
            refined,
        });
    }
    Some(Fix {
        applicability: ctx.applicability(),
        title,
        edits,
        refined,
    })
}

/// What to do when no statement of a document is used, which no edit inside it can say: the
/// document goes where it is declared. A document that is one statement and nothing around it is a
/// branch of a CloudFormation `Fn::If`, which an empty branch cannot be.
fn nothing_used(document: &iamprune_policy::PolicyDocument) -> String {
    let is_branch = !document.statement_is_list
        && document
            .statements
            .first()
            .is_some_and(|s| s.span == document.span);
    if is_branch {
        "the statement of this `Fn::If` branch is not used: replace the branch with a `Ref` to `AWS::NoValue`"
            .into()
    } else {
        "no statement of the policy is used: detach or delete the policy".into()
    }
}

pub fn display_only(title: String) -> Fix {
    Fix {
        applicability: Applicability::DisplayOnly,
        title,
        edits: Vec::new(),
        refined: Vec::new(),
    }
}

/// `a`, `b` and 3 more.
pub fn list(patterns: &[String]) -> String {
    let shown: Vec<String> = patterns.iter().take(4).map(|p| format!("`{p}`")).collect();
    match patterns.len() {
        0 => "nothing".into(),
        n if n > 4 => format!("{} and {} more", shown.join(", "), n - 4),
        _ => shown.join(", "),
    }
}

/// Iterates the changed elements of every statement, with the statement and its refinement.
pub fn changes<'a>(
    ctx: &'a SiteContext<'a>,
) -> impl Iterator<
    Item = (
        &'a Statement,
        &'a StatementRefinement,
        &'a ElementRefinement,
    ),
> + 'a {
    ctx.refinement
        .into_iter()
        .flat_map(|r| r.statements.iter())
        .zip(ctx.document.statements.iter())
        .flat_map(|(refinement, statement)| {
            let changes: &'a [ElementRefinement] = match refinement {
                StatementRefinement::Elements { changes, .. } => changes,
                _ => &[],
            };
            changes.iter().map(move |c| (statement, refinement, c))
        })
}

/// Whether the change removes a pattern because its whole service is unused (IAM003's case).
pub fn whole_service_removal(ctx: &SiteContext<'_>, change: &ElementRefinement) -> bool {
    let Some(unused) = ctx.unused else {
        return false;
    };
    change.refinement.outcome == Outcome::Remove
        && change
            .original
            .split_once(':')
            .is_some_and(|(service, _)| unused.services().any(|s| s.eq_ignore_ascii_case(service)))
}
