//! Values that hold spans into a text: moved together when the text before them grows or shrinks, as
//! an editor's keystroke moves everything after it.

use crate::{Member, Node, NodeKind, Span};

/// A value whose spans can be visited, each once, to read or move them.
///
/// Implementations destructure their type whole, so that a field added later is a compile error here
/// rather than a span left behind.
pub trait Spans {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span));

    /// Moves every span by `delta` bytes. Spans that would start before the text are clamped to it;
    /// a caller moves only what it knows lies after the change.
    fn move_spans(&mut self, delta: isize) {
        self.each_span(&mut |span| *span = span.moved(delta));
    }

    /// The smallest span covering every span, `None` when there is none.
    fn hull(&mut self) -> Option<Span> {
        let mut hull: Option<Span> = None;
        self.each_span(&mut |span| {
            hull = Some(match hull {
                Some(h) => Span::new(h.start.min(span.start), h.end.max(span.end)),
                None => *span,
            });
        });
        hull
    }
}

impl Span {
    /// The span moved by `delta` bytes (clamped at the start of the text).
    pub fn moved(self, delta: isize) -> Span {
        let at = |offset: usize| offset.saturating_add_signed(delta);
        Span::new(at(self.start), at(self.end))
    }
}

impl Spans for Span {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        f(self);
    }
}

impl<T: Spans> Spans for Option<T> {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        if let Some(value) = self {
            value.each_span(f);
        }
    }
}

impl<T: Spans> Spans for Vec<T> {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        for value in self {
            value.each_span(f);
        }
    }
}

impl<T: Spans> Spans for Box<T> {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        (**self).each_span(f);
    }
}

impl Spans for Node {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Node { span, kind } = self;
        f(span);
        match kind {
            NodeKind::Array(items) => items.each_span(f),
            NodeKind::Object(members) => members.each_span(f),
            NodeKind::Null
            | NodeKind::Bool(_)
            | NodeKind::Number(_)
            | NodeKind::String(_)
            | NodeKind::Opaque(_) => {}
        }
    }
}

impl Spans for Member {
    fn each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Member {
            key: _,
            key_span,
            value,
        } = self;
        f(key_span);
        value.each_span(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Node {
        Node::new(
            Span::new(10, 40),
            NodeKind::Object(vec![Member {
                key: "Action".into(),
                key_span: Span::new(11, 19),
                value: Node::new(
                    Span::new(21, 39),
                    NodeKind::Array(vec![Node::new(
                        Span::new(22, 30),
                        NodeKind::String("s3:Get*".into()),
                    )]),
                ),
            }]),
        )
    }

    #[test]
    fn every_span_of_a_tree_moves() {
        let mut moved = tree();
        moved.move_spans(5);
        let mut spans = Vec::new();
        moved.each_span(&mut |s| spans.push(*s));
        assert_eq!(
            spans,
            [
                Span::new(15, 45),
                Span::new(16, 24),
                Span::new(26, 44),
                Span::new(27, 35)
            ]
        );
        moved.move_spans(-5);
        assert_eq!(moved, tree());
    }

    #[test]
    fn the_hull_covers_every_span() {
        assert_eq!(tree().hull(), Some(Span::new(10, 40)));
        assert_eq!(Vec::<Span>::new().hull(), None);
        assert_eq!(Span::new(3, 4).moved(-10), Span::new(0, 0));
    }
}
