//! The style of every string scalar of a tree, by the start of its value span: sorted, so that the
//! reparse after a keystroke replaces the edited resource's styles and moves the later ones in place
//! rather than hashing every scalar of the template again.

use iamprune_syntax::Span;

use super::ScalarStyle;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Styles(Vec<(usize, ScalarStyle)>);

impl Styles {
    /// From `(start, style)` pairs in any order; of two at the same start, the later is kept.
    pub(crate) fn new(mut styles: Vec<(usize, ScalarStyle)>) -> Self {
        // A parse gives them in text order, which the stable sort passes through in one run.
        styles.sort_by_key(|(at, _)| *at);
        let mut kept: Vec<(usize, ScalarStyle)> = Vec::with_capacity(styles.len());
        for (at, style) in styles {
            match kept.last_mut() {
                Some(last) if last.0 == at => last.1 = style,
                _ => kept.push((at, style)),
            }
        }
        Styles(kept)
    }

    pub(crate) fn get(&self, at: usize) -> Option<ScalarStyle> {
        self.0
            .binary_search_by_key(&at, |(start, _)| *start)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, style)| *style)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, ScalarStyle)> + '_ {
        self.0.iter().copied()
    }

    /// The styles of `region` replaced by `new` (whose starts are already in the new text), and those
    /// at or past its end moved by `delta`.
    pub(crate) fn splice(&mut self, region: Span, delta: isize, new: Styles) {
        let from = self.0.partition_point(|(at, _)| *at < region.start);
        let to = self.0.partition_point(|(at, _)| *at < region.end);
        for (at, _) in self.0.get_mut(to..).into_iter().flatten() {
            *at = at.saturating_add_signed(delta);
        }
        self.0.splice(from..to, new.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_replaced_and_what_follows_moves() {
        let mut styles = Styles::new(vec![
            (30, ScalarStyle::Plain),
            (2, ScalarStyle::Literal),
            (12, ScalarStyle::Plain),
            (12, ScalarStyle::Folded),
        ]);
        assert_eq!(styles.get(12), Some(ScalarStyle::Folded));
        assert_eq!(styles.get(13), None);
        styles.splice(
            Span::new(10, 20),
            3,
            Styles::new(vec![(15, ScalarStyle::Literal)]),
        );
        assert_eq!(
            styles.iter().collect::<Vec<_>>(),
            [
                (2, ScalarStyle::Literal),
                (15, ScalarStyle::Literal),
                (33, ScalarStyle::Plain)
            ]
        );
    }
}
