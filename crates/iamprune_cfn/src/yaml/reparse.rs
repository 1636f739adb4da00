//! Parsing a template again after an edit inside one of its resources, as an editor does at every
//! keystroke: only that resource's text is parsed, and the rest of the previous tree is kept with its
//! spans moved. The result is the tree a whole parse gives (a property test holds the two to that);
//! whatever this cannot do as surely (an edit that spans two resources or touches a key, anchors and
//! aliases, a stream of documents, flow collections) is left to the whole parse.

use iamprune_syntax::{Change, Member, Node, NodeKind, Span, Spans};

use super::{Styles, YamlTree, parse};

/// The tree of `new`, from `old`'s tree `previous`, when the two texts differ inside one resource of
/// the template's block `Resources` mapping; `None` to parse `new` whole.
pub(crate) fn reparse(old: &str, previous: YamlTree, new: &str) -> Option<YamlTree> {
    let plan = plan(old, &previous, new)?;
    splice(previous, new, plan)
}

/// Where the edit falls: the resource it is in, the byte range of that resource's entry in the old
/// text (from the start of its key's line to the start of the next key's line), and how much longer
/// the new text is.
struct Plan {
    resource: usize,
    region: Span,
    delta: isize,
    /// Where the changed bytes end in the old text: spans from there on move by `delta`.
    changed_end: usize,
}

fn plan(old: &str, previous: &YamlTree, new: &str) -> Option<Plan> {
    if !previous.rest.is_empty()
        || !previous.aliased.is_empty()
        || previous.anchored
        // Where a duplicate stands in the list is the builder's order, which a splice would not
        // keep; nothing reads the list in order, but the tree is the whole parse's or nothing.
        || !previous.duplicate_keys.is_empty()
        || old.starts_with('\u{feff}')
        || new.starts_with('\u{feff}')
        || !plain_lines(old)
        || !plain_lines(new)
    {
        return None;
    }
    let change = Change::between(old, new);
    let (prefix, changed_end) = (change.start(), change.old_end());
    let resources = previous.root.get("Resources")?;
    // A block mapping: its entries are lines of their own.
    if old.get(resources.value.span.start..)?.starts_with('{') {
        return None;
    }
    let members = resources.value.as_object()?;
    let line_start = |at: usize| {
        old.get(..at)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1)
    };
    let resource = members
        .iter()
        .position(|m| m.key_span.start > prefix)?
        .checked_sub(1)?;
    let key = members.get(resource)?.key_span;
    let start = line_start(key.start);
    let end = line_start(members.get(resource + 1)?.key_span.start);
    // Strictly inside: the key's line up to its key and the next key's line are as before, so the
    // resource stands where it stood (a key moved to another column would end the mapping).
    if prefix < key.end || changed_end >= end {
        return None;
    }
    Some(Plan {
        resource,
        region: Span::new(start, end),
        delta: new.len() as isize - old.len() as isize,
        changed_end,
    })
}

/// Whether a text's lines end only in `\n` (or `\r\n`) and it has no directive (`%TAG`, which would
/// change what a tag means in the part parsed alone): YAML also breaks lines at a lone `\r`,
/// U+0085, U+2028 and U+2029, which the search for a resource's lines does not know.
fn plain_lines(text: &str) -> bool {
    let bytes = text.as_bytes();
    // The first byte of each: `\r`, U+0085 (C2 85), U+2028 and U+2029 (E2 80 A8/A9). A template is
    // ASCII but for a few characters, so this runs at memchr's speed over the text at every keystroke.
    let breaks_only_at_newlines =
        memchr::memchr3_iter(b'\r', 0xC2, 0xE2, bytes).all(|i| match bytes.get(i..) {
            Some([b'\r', next, ..]) => *next == b'\n',
            Some([b'\r']) => false,
            Some([0xC2, 0x85, ..]) => false,
            Some([0xE2, 0x80, 0xA8 | 0xA9, ..]) => false,
            _ => true,
        });
    breaks_only_at_newlines
        && !text.starts_with('%')
        && memchr::memmem::find(bytes, b"\n%").is_none()
}

fn splice(mut previous: YamlTree, new: &str, plan: Plan) -> Option<YamlTree> {
    let new_end = (plan.region.end as isize + plan.delta) as usize;
    let fragment = new.get(plan.region.start..new_end)?;
    // A document marker ends the document in the whole text, whatever follows it.
    if fragment
        .lines()
        .any(|line| line.starts_with("...") || line.starts_with("---"))
    {
        return None;
    }
    let mut parsed = parse(fragment).ok()?;
    let key = previous
        .root
        .get("Resources")
        .and_then(|r| r.value.as_object())
        .and_then(|m| m.get(plan.resource))
        .map(|m| m.key.clone());
    let same_shape = parsed.rest.is_empty()
        && parsed.aliased.is_empty()
        && !parsed.anchored
        && parsed.duplicate_keys.is_empty()
        && matches!(parsed.root.as_object(), Some([only]) if Some(&only.key) == key.as_ref());
    if !same_shape {
        return None;
    }
    let offset = plan.region.start;
    shift_from(&mut parsed.root, 0, offset as isize);
    let member = take_only_member(parsed.root)?;
    // Everything of the old tree past the edit moves with the text after it.
    shift_after_resource(
        &mut previous.root,
        plan.resource,
        plan.changed_end,
        plan.delta,
    );
    *resource_slot(&mut previous.root, plan.resource)? = member;
    let mut styles = previous.styles;
    let parsed_styles = parsed
        .styles
        .iter()
        .map(|(at, s)| (at + offset, s))
        .collect();
    styles.splice(plan.region, plan.delta, Styles::new(parsed_styles));
    Some(YamlTree {
        root: previous.root,
        rest: Vec::new(),
        duplicate_keys: Vec::new(),
        styles,
        aliased: Vec::new(),
        anchored: false,
    })
}

fn take_only_member(root: Node) -> Option<Member> {
    match root.kind {
        NodeKind::Object(members) => members.into_iter().next(),
        _ => None,
    }
}

fn resource_slot(root: &mut Node, index: usize) -> Option<&mut Member> {
    let NodeKind::Object(members) = &mut root.kind else {
        return None;
    };
    let resources = members.iter_mut().find(|m| m.key == "Resources")?;
    match &mut resources.value.kind {
        NodeKind::Object(members) => members.get_mut(index),
        _ => None,
    }
}

/// [`shift_from`] over a template edited inside resource `resource`, leaving alone the resources
/// before it: their text ends on a line before the edit, so nothing of them moves, and a template of a
/// thousand resources need not be walked to find that out at every keystroke.
fn shift_after_resource(root: &mut Node, resource: usize, from: usize, delta: isize) {
    let NodeKind::Object(members) = &mut root.kind else {
        return shift_from(root, from, delta);
    };
    shift_span(&mut root.span, from, delta);
    let mut resources_seen = false;
    for member in members {
        let first_resources = member.key == "Resources" && !resources_seen;
        resources_seen |= first_resources;
        match &mut member.value.kind {
            NodeKind::Object(resources) if first_resources => {
                shift_span(&mut member.key_span, from, delta);
                shift_span(&mut member.value.span, from, delta);
                for later in resources.iter_mut().skip(resource) {
                    later.each_span(&mut |span| shift_span(span, from, delta));
                }
            }
            _ => member.each_span(&mut |span| shift_span(span, from, delta)),
        }
    }
}

/// Moves by `delta` every span end, and every span start, at or past `from`.
fn shift_from(node: &mut Node, from: usize, delta: isize) {
    node.each_span(&mut |span| shift_span(span, from, delta));
}

fn shift_span(span: &mut Span, from: usize, delta: isize) {
    let moved = |at: usize| {
        if at >= from {
            (at as isize + delta).max(0) as usize
        } else {
            at
        }
    };
    *span = Span::new(moved(span.start), moved(span.end));
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  # the first\n  A:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action:\n                  - s3:GetObject\n                  - !Sub \"s3:${X}\"\n                Resource: '*'\n  B:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: sqs:*\n            Resource: \"*\"\n  C:\n    Type: AWS::SQS::Queue\nOutputs:\n  X:\n    Value: !Ref B\n";

    /// What a whole parse and a reparse give for `new`, when the reparse is taken.
    fn both(old: &str, new: &str) -> Option<(YamlTree, YamlTree)> {
        let previous = parse(old).ok()?;
        let reparsed = reparse(old, previous, new)?;
        let whole = parse(new).unwrap_or_else(|e| panic!("{e}\n{new}"));
        Some((reparsed, whole))
    }

    fn same(a: &YamlTree, b: &YamlTree) -> bool {
        let sorted = |t: &YamlTree| {
            let mut styles: Vec<(usize, String)> = t
                .styles
                .iter()
                .map(|(k, v)| (k, format!("{v:?}")))
                .collect();
            styles.sort();
            styles
        };
        a.root == b.root
            && a.duplicate_keys == b.duplicate_keys
            && sorted(a) == sorted(b)
            && a.aliased == b.aliased
    }

    #[test]
    fn an_edit_inside_a_resource_gives_what_a_whole_parse_gives() {
        let edits = [
            (
                "s3:GetObject",
                "s3:GetObject\n                  - s3:PutObject",
            ),
            ("s3:GetObject", "s3:Get*"),
            ("sqs:*", "[sqs:SendMessage, sqs:ReceiveMessage]"),
            (
                "Resource: \"*\"",
                "Resource: \"arn:aws:sqs:*:*:q\"  # a comment",
            ),
            ("p\n", "a longer policy name\n"),
            (
                "Type: AWS::IAM::ManagedPolicy",
                "Type: AWS::IAM::ManagedPolicy\n    DependsOn: A",
            ),
        ];
        for (from, to) in edits {
            let new = TEMPLATE.replacen(from, to, 1);
            let Some((reparsed, whole)) = both(TEMPLATE, &new) else {
                panic!("not reparsed: {from} -> {to}");
            };
            assert!(same(&reparsed, &whole), "{from} -> {to}");
        }
    }

    #[test]
    fn texts_whose_lines_or_tags_a_part_cannot_tell_are_parsed_whole() {
        let edit = |text: &str| text.replacen("sqs:*", "sqs:Send*", 1);
        let cases = [
            // A lone carriage return ends a line for YAML.
            TEMPLATE.replacen(
                "            Resource: \"*\"\n",
                "            Resource: \"*\"\r",
                1,
            ),
            TEMPLATE.replacen("Type: AWS::SQS::Queue", "Type: AWS::SQS::Queue\u{2028}", 1),
            // A directive changes what a tag means.
            format!("%TAG ! tag:example.com,2000:\n---\n{TEMPLATE}"),
        ];
        for old in cases {
            let Ok(previous) = parse(&old) else {
                panic!("does not parse: {old:?}");
            };
            assert!(reparse(&old, previous, &edit(&old)).is_none(), "{old}");
        }
    }

    #[test]
    fn what_a_reparse_cannot_do_surely_is_left_to_a_whole_parse() {
        let edits = [
            // The key of a resource, and the line of the next one.
            ("  B:\n", "  Bee:\n"),
            ("  C:\n", "  C: \n"),
            // The last resource, and outside the resources.
            ("Type: AWS::SQS::Queue", "Type: AWS::SNS::Topic"),
            ("Value: !Ref B", "Value: !Ref A"),
            // Two resources at once.
            ("Resource: '*'\n  B:", "Resource: '*'\n  Bx:"),
            // An anchor, and an edit that breaks the resource.
            ("s3:GetObject", "&a s3:GetObject"),
            ("Action: sqs:*", "Action: [sqs:*"),
            // A document end inside a resource ends the document in the whole text.
            ("Resource: '*'\n", "Resource: '*'\n...\n"),
            // A resource key given twice.
            ("  B:\n", "  A:\n    Type: X\n  B:\n"),
        ];
        for (from, to) in edits {
            let new = TEMPLATE.replacen(from, to, 1);
            let Ok(previous) = parse(TEMPLATE) else {
                panic!("the template parses");
            };
            assert!(
                reparse(TEMPLATE, previous, &new).is_none(),
                "{from} -> {to}"
            );
        }
    }

    /// Random edits at random places of real templates: whenever the reparse is taken, it gives the
    /// whole parse's tree, and the whole parse succeeds.
    #[test]
    fn random_edits_reparse_as_whole_parses_do() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut texts = vec![TEMPLATE.to_string()];
        for file in [
            "cfn/resource_policies.yaml",
            "cfn/crlf_tabs.yaml",
            "demo/cloudformation/template.yaml",
        ] {
            if let Ok(text) = std::fs::read_to_string(root.join(file)) {
                texts.push(text);
            }
        }
        let snippets = [
            " ",
            "\n",
            "- x",
            ":",
            "  ",
            "# c",
            "'",
            "\"",
            "[",
            "{",
            "}",
            "&a ",
            "*a",
            "!Ref x ",
            "\n    Extra: 1",
            "\n  Z:",
            "\n      - s3:Get*",
            "é",
            "\t",
            "\r\n",
            "-",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1) as u64) as usize
        };
        let (mut taken, mut tries) = (0, 0);
        for _ in 0..3000 {
            let text = &texts[next(texts.len())];
            let mut at = next(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut new = text.clone();
            if next(3) == 0 {
                let mut end = (at + 1 + next(8)).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                new.replace_range(at..end, "");
            } else {
                new.insert_str(at, snippets[next(snippets.len())]);
            }
            let Ok(previous) = parse(text) else { continue };
            tries += 1;
            if let Some(reparsed) = reparse(text, previous, &new) {
                taken += 1;
                let whole = parse(&new)
                    .unwrap_or_else(|e| panic!("reparsed, but the whole parse fails: {e}\n{new}"));
                assert!(same(&reparsed, &whole), "{new}");
            }
        }
        // Enough of them fall inside a resource and keep it whole to try the splice.
        assert!(taken * 5 > tries, "{taken} of {tries} reparsed");
    }
}
