//! YAML templates as spanned trees, with CloudFormation's short tags turned into the JSON form.
//!
//! `!Sub x` becomes `{"Fn::Sub": x}`, `!Ref x` becomes `{"Ref": x}`, `!GetAtt a.b` becomes
//! `{"Fn::GetAtt": ["a", "b"]}`, and any other local tag `!Name` becomes `{"Fn::Name": …}`, the span of
//! the object being the whole tagged node. The rest of the crate then handles both syntaxes alike.

mod events;
mod reparse;
mod styles;

use std::collections::{HashMap, HashSet};

use iamprune_syntax::{Member, Node, NodeKind, Span, SyntaxError};

pub(crate) use events::ScalarStyle;
use events::{Event, EventKind};
pub(crate) use reparse::reparse;
pub(crate) use styles::Styles;

/// Deeper nesting is refused: later walks recurse, and a hostile buffer must give an error, not
/// overflow the stack. Real templates nest a few dozen levels.
pub const MAX_DEPTH: usize = 256;

/// Aliases copy the anchored node; this bounds the copies so that a "billion laughs" file is an error
/// instead of exhausting memory.
const MAX_NODES: usize = 2_000_000;

/// A parsed YAML document.
#[derive(Debug, Clone)]
pub struct YamlTree {
    pub root: Node,
    /// The roots of the documents after the first, in a stream of several (`---`).
    pub rest: Vec<Node>,
    /// Keys that occur twice in one mapping (the second occurrence); the tree keeps both.
    pub duplicate_keys: Vec<(String, Span)>,
    /// The style of every string scalar, by the start of its value span, so that a policy written as
    /// JSON inside a string can be mapped back through the string's escapes.
    pub(crate) styles: Styles,
    /// Spans of nodes copied through an alias (start of the anchored node's span).
    pub(crate) aliased: Vec<Span>,
    /// Whether any node has an anchor (`&name`), used or not.
    pub(crate) anchored: bool,
}

/// Parses a YAML stream: its first document is `root`, the others `rest`. An empty stream gives a `Null`
/// root.
pub fn parse(text: &str) -> Result<YamlTree, SyntaxError> {
    // libyaml skips a byte order mark without counting it in its offsets; parse after it and shift.
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    };
    let mut builder = Builder {
        text,
        shift,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        duplicate_keys: Vec::new(),
        styles: Vec::new(),
        aliased: Vec::new(),
        nodes: 0,
        anchored: false,
    };
    let mut roots = Vec::new();
    // The tree is built as the events come. Its first error stops the building, not the parse: a
    // syntax error anywhere in the text is the one reported, as when every event came first.
    let mut built = Ok(());
    let parsed = events::events(body, |event| {
        if built.is_err() {
            return;
        }
        built = builder.event(event);
        if let Some(root) = builder.root.take() {
            roots.push(root.node);
            // An anchor names a node of its own document only.
            builder.anchors.clear();
        }
    });
    parsed.map_err(|e| {
        let at = e.offset.saturating_add(shift).min(text.len());
        SyntaxError::new(Span::new(at, at), e.message)
    })?;
    built?;
    let mut roots = roots.into_iter();
    let root = roots
        .next()
        .unwrap_or_else(|| Node::new(Span::new(shift, shift), NodeKind::Null));
    Ok(YamlTree {
        root,
        rest: roots.collect(),
        duplicate_keys: builder.duplicate_keys,
        styles: Styles::new(builder.styles),
        aliased: builder.aliased,
        anchored: builder.anchored,
    })
}

/// A finished node with what the limits need.
#[derive(Debug, Clone)]
struct Built {
    node: Node,
    depth: usize,
    count: usize,
}

#[derive(Debug)]
struct Frame {
    /// Start of the node including its tag and anchor.
    start: usize,
    /// Start of the collection itself, after its properties.
    value_start: usize,
    tag: Option<String>,
    tag_span: Span,
    anchor: Option<String>,
    flow: bool,
    is_map: bool,
    items: Vec<Node>,
    members: Vec<Member>,
    /// The keys of a mapping past [`SCANNED_KEYS`] members, to find duplicates without a quadratic
    /// scan; empty while the members are few enough to scan.
    keys: HashSet<String>,
    pending_key: Option<(String, Span)>,
    depth: usize,
    count: usize,
}

/// Up to this many members, a mapping's keys are compared one by one: nearly every mapping of a
/// template is this small, and hashing and copying each key cost more than the comparisons.
const SCANNED_KEYS: usize = 16;

impl Frame {
    /// Whether `key` is already a key of this mapping, which is to get it next.
    fn has_key(&mut self, key: &str) -> bool {
        if self.members.len() < SCANNED_KEYS {
            return self.members.iter().any(|m| m.key == key);
        }
        if self.keys.is_empty() {
            self.keys = self.members.iter().map(|m| m.key.clone()).collect();
        }
        !self.keys.insert(key.to_string())
    }
}

struct Builder<'a> {
    text: &'a str,
    shift: usize,
    stack: Vec<Frame>,
    anchors: HashMap<String, Built>,
    root: Option<Built>,
    duplicate_keys: Vec<(String, Span)>,
    styles: Vec<(usize, ScalarStyle)>,
    aliased: Vec<Span>,
    nodes: usize,
    anchored: bool,
}

impl Builder<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> SyntaxError {
        let at = at.min(self.text.len());
        SyntaxError::new(Span::new(at, at), message)
    }

    fn event(&mut self, event: Event) -> Result<(), SyntaxError> {
        let span = event.span.shifted(self.shift);
        match event.kind {
            EventKind::Scalar {
                value,
                tag,
                anchor,
                style,
            } => {
                let built = self.scalar(span, value, tag, style);
                if let Some(anchor) = anchor {
                    self.anchored = true;
                    self.anchors.insert(anchor, built.clone());
                }
                self.push(built)
            }
            EventKind::SequenceStart { tag, anchor, flow } => {
                self.open(span, tag, anchor, flow, false)
            }
            EventKind::MappingStart { tag, anchor, flow } => {
                self.open(span, tag, anchor, flow, true)
            }
            EventKind::SequenceEnd | EventKind::MappingEnd => self.close(span),
            EventKind::Alias { anchor } => {
                let Some(built) = self.anchors.get(&anchor).cloned() else {
                    return Err(self.error(span.start, format!("unknown alias `*{anchor}`")));
                };
                self.aliased.push(built.node.span);
                self.push(built)
            }
            EventKind::Other => Ok(()),
        }
    }

    fn open(
        &mut self,
        span: Span,
        tag: Option<String>,
        anchor: Option<String>,
        flow: bool,
        is_map: bool,
    ) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                span.start,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let (value_start, tag_span) = properties(self.text, span);
        self.stack.push(Frame {
            start: span.start,
            value_start,
            tag,
            tag_span,
            anchor,
            flow,
            is_map,
            items: Vec::new(),
            members: Vec::new(),
            keys: HashSet::new(),
            pending_key: None,
            depth: 0,
            count: 1,
        });
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), SyntaxError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.error(span.start, "unbalanced collection end"));
        };
        // A block collection's end event sits at the next token, past blank lines and comments; the
        // node ends with its last item instead.
        let end = if frame.flow {
            span.end
        } else {
            let last = if frame.is_map {
                frame.members.last().map(|m| m.value.span.end)
            } else {
                frame.items.last().map(|n| n.span.end)
            };
            last.unwrap_or(frame.value_start).max(frame.value_start)
        };
        let kind = if frame.is_map {
            let mut members = frame.members;
            if let Some((key, key_span)) = frame.pending_key {
                // A key without a value (only possible in odd flow mappings): its value is null.
                members.push(Member {
                    key,
                    key_span,
                    value: Node::new(Span::new(key_span.end, key_span.end), NodeKind::Null),
                });
            }
            NodeKind::Object(members)
        } else {
            NodeKind::Array(frame.items)
        };
        let node = Node::new(Span::new(frame.value_start, end), kind);
        let built = match intrinsic_name(frame.tag.as_deref()) {
            Some(name) => Built {
                node: intrinsic(name, frame.tag_span, Span::new(frame.start, end), node),
                depth: frame.depth + 2,
                count: frame.count + 1,
            },
            None => Built {
                node,
                depth: frame.depth + 1,
                count: frame.count,
            },
        };
        if let Some(anchor) = frame.anchor {
            self.anchored = true;
            self.anchors.insert(anchor, built.clone());
        }
        self.push(built)
    }

    fn scalar(
        &mut self,
        span: Span,
        value: String,
        tag: Option<String>,
        style: ScalarStyle,
    ) -> Built {
        let (value_start, tag_span) = properties(self.text, span);
        let mut value_span = Span::new(value_start.min(span.end), span.end);
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            // The end mark of a block scalar is past its trailing line breaks.
            let raw = self.text.get(value_span.range()).unwrap_or_default();
            value_span.end = value_span.start + raw.trim_end().len();
        }
        let name = intrinsic_name(tag.as_deref());
        let kind = if name.is_none() && tag.is_none() && style == ScalarStyle::Plain {
            plain(&value)
        } else {
            NodeKind::String(value)
        };
        if matches!(kind, NodeKind::String(_)) {
            self.styles.push((value_span.start, style));
        }
        match name {
            None => Built {
                node: Node::new(value_span, kind),
                depth: 1,
                count: 1,
            },
            Some(name) => {
                let inner = match (&kind, name.as_str()) {
                    (NodeKind::String(s), "Fn::GetAtt") => get_att(s, value_span, style),
                    _ => Node::new(value_span, kind),
                };
                Built {
                    node: intrinsic(name, tag_span, Span::new(span.start, value_span.end), inner),
                    depth: 3,
                    count: 4,
                }
            }
        }
    }

    fn push(&mut self, built: Built) -> Result<(), SyntaxError> {
        self.nodes = self.nodes.saturating_add(built.count);
        if self.nodes > MAX_NODES {
            return Err(self.error(
                built.node.span.start,
                "too many nodes (aliases expand to more than 2,000,000 values)",
            ));
        }
        if self.stack.len() + built.depth > MAX_DEPTH * 2 {
            return Err(self.error(
                built.node.span.start,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(built);
            return Ok(());
        };
        frame.depth = frame.depth.max(built.depth);
        frame.count = frame.count.saturating_add(built.count);
        if !frame.is_map {
            frame.items.push(built.node);
            return Ok(());
        }
        match frame.pending_key.take() {
            None => {
                let span = built.node.span;
                let key = match built.node.kind {
                    NodeKind::String(s) | NodeKind::Number(s) => s,
                    NodeKind::Bool(b) => b.to_string(),
                    NodeKind::Null => String::new(),
                    _ => self.text.get(span.range()).unwrap_or_default().to_string(),
                };
                frame.pending_key = Some((key, span));
            }
            Some((key, key_span)) => {
                if frame.has_key(&key) {
                    self.duplicate_keys.push((key.clone(), key_span));
                }
                frame.members.push(Member {
                    key,
                    key_span,
                    value: built.node,
                });
            }
        }
        Ok(())
    }
}

/// The JSON key of a CloudFormation short tag: `!Ref` → `Ref`, `!Condition` → `Condition`, `!Sub` →
/// `Fn::Sub`. Standard tags (`!!str`, resolved by libyaml to `tag:yaml.org,2002:…`) and the
/// non-specific `!` are not intrinsics.
fn intrinsic_name(tag: Option<&str>) -> Option<String> {
    let name = tag?.strip_prefix('!')?;
    if name.is_empty() || name.starts_with('!') {
        return None;
    }
    Some(match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    })
}

fn intrinsic(name: String, tag_span: Span, span: Span, value: Node) -> Node {
    Node::new(
        span,
        NodeKind::Object(vec![Member {
            key: name,
            key_span: tag_span,
            value,
        }]),
    )
}

/// `!GetAtt Resource.Attribute` → `["Resource", "Attribute"]`. Element spans are exact when the
/// scalar is written without escapes; otherwise both take the whole scalar's span.
fn get_att(value: &str, span: Span, style: ScalarStyle) -> Node {
    let (resource, attribute) = value.split_once('.').unwrap_or((value, ""));
    let exact = style == ScalarStyle::Plain && span.len() == value.len();
    let (first, second) = if exact {
        let split = span.start + resource.len();
        (
            Span::new(span.start, split),
            Span::new((split + 1).min(span.end), span.end),
        )
    } else {
        (span, span)
    };
    Node::new(
        span,
        NodeKind::Array(vec![
            Node::new(first, NodeKind::String(resource.to_string())),
            Node::new(second, NodeKind::String(attribute.to_string())),
        ]),
    )
}

/// The type of an untagged plain scalar, as YAML's core schema reads it.
fn plain(value: &str) -> NodeKind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        "true" | "True" | "TRUE" => NodeKind::Bool(true),
        "false" | "False" | "FALSE" => NodeKind::Bool(false),
        _ if is_number(value) => NodeKind::Number(value.to_string()),
        _ => NodeKind::String(value.to_string()),
    }
}

fn is_number(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit())
}

/// Skips a node's anchor and tag (`&a !Sub`, in either order) at the start of its event span. Returns
/// where the value itself starts and the span of the tag.
fn properties(text: &str, span: Span) -> (usize, Span) {
    let bytes = text.as_bytes();
    let end = span.end.min(bytes.len());
    let mut at = span.start.min(end);
    let mut tag_span = Span::new(at, at);
    while let Some(&first) = bytes.get(at) {
        if at >= end || (first != b'!' && first != b'&') {
            break;
        }
        let token_start = at;
        let verbatim = bytes.get(at + 1) == Some(&b'<') && first == b'!';
        while at < end {
            let b = bytes.get(at).copied().unwrap_or(b' ');
            if verbatim {
                at += 1;
                if b == b'>' {
                    break;
                }
                continue;
            }
            if b.is_ascii_whitespace() || matches!(b, b',' | b'[' | b']' | b'{' | b'}') {
                break;
            }
            at += 1;
        }
        if first == b'!' {
            tag_span = Span::new(token_start, at);
        }
        while at < end && bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        // Comments may sit between a tag and a block collection.
        if bytes.get(at) == Some(&b'#') {
            while at < end && bytes.get(at).is_some_and(|&b| b != b'\n') {
                at += 1;
            }
            while at < end && bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
                at += 1;
            }
        }
    }
    (at, tag_span)
}

#[cfg(test)]
mod tests;
