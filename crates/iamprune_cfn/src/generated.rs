//! Matching a role name that CloudFormation generated for a resource without an explicit name.

/// The longest IAM role name.
const MAX_NAME: usize = 64;

/// Whether `actual_role_name` has the shape of a name CloudFormation generates for the resource
/// `logical_id` of stack `stack`: `STACK-LOGICALID-SUFFIX`, the suffix being 12 or 13 letters and
/// digits (upper-case in older stacks, mixed-case today: `...ServiceRole3-NSCvroR0lMPF`), the whole at
/// most 64 characters.
///
/// When the full form would be longer than 64 characters CloudFormation shortens the stack and logical
/// id parts; the exact split is not documented, so any non-empty prefixes of both are accepted then,
/// but only when the full form really is too long. That keeps a short role `App-Fn-…` from matching
/// logical id `FnTwo`, while a truncated name still finds its resource.
pub fn generated_name_matches(stack: &str, logical_id: &str, actual_role_name: &str) -> bool {
    if stack.is_empty() || logical_id.is_empty() || actual_role_name.len() > MAX_NAME {
        return false;
    }
    let Some((prefix, suffix)) = actual_role_name.rsplit_once('-') else {
        return false;
    };
    if !is_suffix(suffix) {
        return false;
    }
    // A nested stack's own name is generated: `PARENT-LOGICALID-SUFFIX`, written `PARENT-LOGICALID-*`.
    let nested = stack.strip_suffix("-*");
    let shortest_stack = nested.map_or(stack.len(), |base| base.len() + 1 + 12);
    let full_len = shortest_stack + 1 + logical_id.len() + 1 + suffix.len();
    if full_len <= MAX_NAME {
        // Not cut: the stack, '-', the logical id exactly.
        let Some(stack_part) = prefix
            .strip_suffix(logical_id)
            .and_then(|p| p.strip_suffix('-'))
        else {
            return false;
        };
        return match nested {
            None => stack_part == stack,
            Some(base) => stack_part
                .strip_prefix(base)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(is_suffix),
        };
    }
    // Cut: some split of `prefix` into a prefix of the stack, '-', a prefix of the logical id.
    prefix.match_indices('-').any(|(at, _)| {
        let (s, rest) = (prefix.get(..at), prefix.get(at + 1..));
        match (s, rest) {
            (Some(s), Some(l)) => {
                !s.is_empty()
                    && !l.is_empty()
                    && stack_prefix(stack, s)
                    && logical_id.starts_with(l)
            }
            _ => false,
        }
    })
}

/// Whether a deployed stack's name is the one the source gives: the same, or for a nested stack's
/// `PARENT-LOGICALID-*`, `PARENT-LOGICALID-` and CloudFormation's random suffix.
pub fn stack_name_matches(source: &str, deployed: &str) -> bool {
    match source.strip_suffix("-*") {
        None => deployed == source,
        Some(base) => deployed
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(is_suffix),
    }
}

/// CloudFormation's random suffix: 12 or 13 letters and digits.
fn is_suffix(text: &str) -> bool {
    (12..=13).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `part` can begin the name of the stack: a prefix of it, or for a nested stack's
/// `PARENT-LOGICALID-*`, a prefix of `PARENT-LOGICALID-` followed by part of a suffix.
fn stack_prefix(stack: &str, part: &str) -> bool {
    match stack.strip_suffix("-*") {
        None => stack.starts_with(part),
        Some(base) => {
            base.starts_with(part)
                || part
                    .strip_prefix(base)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|rest| {
                        rest.len() <= 13 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::generated_name_matches as matches;

    #[test]
    fn full_names() {
        assert!(matches("prod", "AppRole", "prod-AppRole-1ABCDEFGHIJK"));
        assert!(matches("prod", "AppRole", "prod-AppRole-1ABCDEFGHIJKL"));
        assert!(matches(
            "my-stack",
            "AppRole",
            "my-stack-AppRole-ABCDEFGHIJKL"
        ));
        assert!(matches("prod", "AppRole", "prod-AppRole-NSCvroR0lMPF"));
        assert!(!matches("prod", "AppRole", "prod-AppRole-NSCvro_0lMPF"));
        assert!(!matches("prod", "AppRole", "prod-AppRole-SHORT"));
        assert!(!matches("prod", "AppRole", "prod-AppRoleX-1ABCDEFGHIJK"));
        assert!(!matches("prod", "AppRole", "dev-AppRole-1ABCDEFGHIJK"));
        // A short full form is never matched by a truncated one.
        assert!(!matches("prod", "AppRoleTwo", "prod-AppRole-1ABCDEFGHIJK"));
        assert!(!matches("", "AppRole", "-AppRole-1ABCDEFGHIJK"));
        assert!(!matches("prod", "AppRole", "prod-AppRole"));
    }

    #[test]
    fn nested_stack_names() {
        let stack = "App-ChildNestedStackResourceAB12CD34-*";
        // Not cut: the nested stack's own suffix sits between its parent part and the logical id.
        assert!(matches(
            "App-Child-*",
            "FnRole",
            "App-Child-1ABCDEFGHIJK-FnRole-NSCvroR0lMPF"
        ));
        assert!(!matches(
            "App-Child-*",
            "FnRole",
            "App-Child-FnRole-NSCvroR0lMPF"
        ));
        // Cut inside the parent part, or inside the nested stack's suffix.
        assert!(matches(
            stack,
            "FnServiceRoleAAAA1111",
            "App-ChildNestedStackResourceAB-FnServiceRoleAAAA-NSCvroR0lMPF"
        ));
        assert!(matches(
            stack,
            "FnServiceRoleAAAA1111",
            "App-ChildNestedStackResourceAB12CD34-1ABC-FnServ-NSCvroR0lMPF"
        ));
        assert!(!matches(
            stack,
            "OtherRole",
            "App-ChildNestedStackResourceAB-FnServiceRoleAAAA-NSCvroR0lMPF"
        ));
    }

    #[test]
    fn truncated_names() {
        let stack = "a-very-long-stack-name-for-the-production-environment";
        let id = "LambdaFunctionServiceRoleC0FFEE12";
        let actual = "a-very-long-stack-name-for-th-LambdaFunctionServ-1ABCDEFGHIJK";
        assert!(actual.len() <= 64);
        assert!(matches(stack, id, actual));
        assert!(!matches(stack, "OtherRole", actual));
        assert!(!matches(
            "another-stack-name-that-is-also-long-enough-here",
            id,
            actual
        ));
        // Longer than IAM allows: not a role name at all.
        let long = format!("{stack}-{id}-1ABCDEFGHIJK");
        assert!(long.len() > 64);
        assert!(!matches(stack, id, &long));
    }
}
