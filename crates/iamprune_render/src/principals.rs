//! `iamprune principals`: the join for people, one block per source principal, then the findings that
//! reached nothing and the policies that findings reach but do not narrow.

use std::fmt::Write;

use crate::{JoinReport, path_string};

pub fn principals_text(join: &JoinReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "source principals: {}", join.principals.len());
    for p in &join.principals {
        let _ = writeln!(
            out,
            "  {} ({} in {})",
            p.declared_as,
            p.kind,
            path_string(&p.unit)
        );
        let name = p.name.as_deref().unwrap_or("not known from the source");
        let _ = writeln!(out, "    name: {name} ({})", p.named_by.as_str());
        if p.deployed.is_empty() {
            let _ = writeln!(out, "    deployed as: no finding names it");
        }
        for d in &p.deployed {
            let _ = writeln!(out, "    deployed as: {} (by {})", d.arn, d.by);
        }
        let _ = writeln!(out, "    policies: {}", p.policies.join(", "));
    }
    if !join.findings.is_empty() {
        let joined = join.joined();
        let _ = writeln!(
            out,
            "findings for {} principal(s): {joined} joined, {} not",
            join.findings.len(),
            join.findings.len() - joined
        );
        for f in join.findings.iter().filter(|f| !f.joined) {
            let _ = writeln!(
                out,
                "  {}: not joined: {}",
                f.arn,
                f.reason.as_deref().unwrap_or_default()
            );
        }
    }
    if !join.policies.is_empty() {
        let _ = writeln!(
            out,
            "policies findings reach but do not narrow: {}",
            join.policies.len()
        );
        for p in &join.policies {
            for reason in &p.reasons {
                let _ = writeln!(out, "  {} ({}): {reason}", p.owner, path_string(&p.file));
            }
        }
    }
    out
}
