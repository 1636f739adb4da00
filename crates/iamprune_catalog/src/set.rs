//! Sets of catalog actions as bit sets over action ids.

use std::ops::Range;

use fixedbitset::FixedBitSet;

use crate::ActionId;

/// A set of actions of one catalog. Ids are positions in the catalog's sorted order, so the actions
/// sharing a prefix form one contiguous id range and prefix questions are range questions.
#[derive(Clone, Default)]
pub struct ActionSet {
    bits: FixedBitSet,
}

impl ActionSet {
    /// The empty set for a catalog of `len` actions.
    pub fn empty(len: usize) -> Self {
        ActionSet {
            bits: FixedBitSet::with_capacity(len),
        }
    }

    pub fn from_range(len: usize, range: Range<ActionId>) -> Self {
        let mut set = Self::empty(len);
        set.insert_range(range);
        set
    }

    pub fn insert(&mut self, id: ActionId) {
        self.grow_to(id as usize + 1);
        self.bits.insert(id as usize);
    }

    pub fn insert_range(&mut self, range: Range<ActionId>) {
        self.grow_to(range.end as usize);
        self.bits
            .insert_range(range.start as usize..range.end as usize);
    }

    pub fn contains(&self, id: ActionId) -> bool {
        self.bits.contains(id as usize)
    }

    pub fn len(&self) -> usize {
        self.bits.count_ones(..)
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_clear()
    }

    /// Whether any id in `range` is in the set.
    pub fn any_in(&self, range: Range<ActionId>) -> bool {
        let end = (range.end as usize).min(self.bits.len());
        let start = (range.start as usize).min(end);
        self.bits.count_ones(start..end) > 0
    }

    pub fn union_with(&mut self, other: &ActionSet) {
        self.grow_to(other.bits.len());
        self.bits.union_with(&other.bits);
    }

    pub fn intersect_with(&mut self, other: &ActionSet) {
        self.bits.intersect_with(&other.bits);
    }

    pub fn difference_with(&mut self, other: &ActionSet) {
        self.bits.difference_with(&other.bits);
    }

    pub fn is_subset(&self, other: &ActionSet) -> bool {
        self.bits.is_subset(&other.bits)
    }

    /// The ids in ascending order, which is the catalog's sorted order.
    pub fn iter(&self) -> impl Iterator<Item = ActionId> + '_ {
        self.bits.ones().map(|i| i as ActionId)
    }

    fn grow_to(&mut self, len: usize) {
        if self.bits.len() < len {
            self.bits.grow(len);
        }
    }
}

/// Equal as sets: two sets built for catalogs of different lengths still compare by members.
impl PartialEq for ActionSet {
    fn eq(&self, other: &Self) -> bool {
        self.bits.is_subset(&other.bits) && other.bits.is_subset(&self.bits)
    }
}

impl Eq for ActionSet {}

impl std::fmt::Debug for ActionSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<ActionId> for ActionSet {
    fn from_iter<I: IntoIterator<Item = ActionId>>(iter: I) -> Self {
        let mut set = ActionSet::default();
        for id in iter {
            set.insert(id);
        }
        set
    }
}
