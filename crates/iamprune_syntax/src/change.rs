//! Where two versions of a text differ: an editor's hover is answered from the check of an older text
//! where the place asked about lies outside what changed since, and a template is parsed again only
//! where it changed.

/// Where the texts differ: `old[start..old_end]` became `new[start..new_end]`, the rest is equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    start: usize,
    old_end: usize,
    new_end: usize,
}

impl Change {
    /// The one region that differs between `old` and `new` (their common prefix and suffix aside),
    /// aligned to character boundaries of both.
    pub fn between(old: &str, new: &str) -> Change {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        while !(old.is_char_boundary(start) && new.is_char_boundary(start)) {
            start -= 1;
        }
        let longest = a.len().min(b.len()) - start;
        let mut suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(longest)
            .take_while(|(x, y)| x == y)
            .count();
        while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
            suffix -= 1;
        }
        Change {
            start,
            old_end: a.len() - suffix,
            new_end: b.len() - suffix,
        }
    }

    /// Where the texts start to differ.
    pub fn start(self) -> usize {
        self.start
    }

    /// Where what changed ends in the old text.
    pub fn old_end(self) -> usize {
        self.old_end
    }

    /// Where what changed ends in the new text.
    pub fn new_end(self) -> usize {
        self.new_end
    }

    /// The offset in the old text of `offset` in the new one; `None` inside what changed.
    pub fn to_old(self, offset: usize) -> Option<usize> {
        if offset < self.start {
            Some(offset)
        } else if offset >= self.new_end {
            Some(offset - self.new_end + self.old_end)
        } else {
            None
        }
    }

    /// The offset in the new text of `offset` in the old one; `None` inside what changed.
    pub fn to_new(self, offset: usize) -> Option<usize> {
        Change {
            start: self.start,
            old_end: self.new_end,
            new_end: self.old_end,
        }
        .to_old(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn offsets_outside_the_change_map_across_it() {
        let old = "Action: s3:Get*\nResource: x";
        let new = "Action: s3:GetObject\nResource: x";
        let change = Change::between(old, new);
        assert_eq!(change.to_old(3), Some(3));
        assert_eq!(
            change.to_old(new.find("Resource").unwrap()),
            Some(old.find("Resource").unwrap())
        );
        assert_eq!(change.to_old(new.find("Object").unwrap()), None);
        assert_eq!(
            change.to_new(old.find('x').unwrap()),
            Some(new.find('x').unwrap())
        );
    }

    #[test]
    fn equal_texts_map_every_offset_to_itself() {
        let change = Change::between("abc", "abc");
        assert_eq!((change.to_old(0), change.to_old(3)), (Some(0), Some(3)));
    }

    #[test]
    fn the_change_never_splits_a_character() {
        // `é` and `è` share their first byte: the change starts before it, not inside it.
        let change = Change::between("café!", "cafè!");
        assert_eq!(change.to_old(3), None);
        assert_eq!(change.to_old(5), Some(5));
        assert_eq!(change.to_old(2), Some(2));
    }

    #[test]
    fn insertions_and_deletions_shift_what_follows() {
        let change = Change::between("a b", "a xx b");
        assert_eq!(change.to_old(5), Some(2));
        let change = Change::between("a xx b", "a b");
        assert_eq!(change.to_old(2), Some(5));
    }
}
